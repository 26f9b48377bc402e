"""The Mobilize API v1, read: an organization's events and its deleted events, every page.

Only what the importer needs: GET with a timeout, JSON pages ``{"data": [...], "next": url}``,
and a clear ``FetchError`` for every way a fetch can fail (network, timeout, a 429 with its
``Retry-After``, a 5xx, a body that is not the JSON we expect). ``next`` is followed only on the
configured API's own origin, so a page cannot send the importer elsewhere.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings

TIMEOUT_SECONDS = 10.0
MAX_PAGES = 500  # a loop of "next" links ends here instead of running forever


class FetchError(Exception):
    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _base() -> str:
    return str(settings.MOBILIZE_API_URL).rstrip("/")


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def _retry_after(value: str | None) -> int | None:
    try:
        return max(0, int(value)) if value else None
    except ValueError:
        return None


def get_page(url: str) -> dict[str, Any]:
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "imc-portal"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        retry = _retry_after(exc.headers.get("Retry-After")) if exc.code == 429 else None
        raise FetchError(f"HTTP {exc.code} from {url}", retry_after=retry) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"could not fetch {url}: {reason}") from None
    try:
        page = json.loads(body)
    except ValueError:
        raise FetchError(f"not JSON from {url} ({len(body)} bytes)") from None
    if not isinstance(page, dict) or not isinstance(page.get("data"), list):
        raise FetchError(f"no list of data in the answer from {url}")
    return page


def walk(url: str) -> Iterator[dict[str, Any]]:
    """Every item of every page from ``url`` on, following ``next``."""
    origin = _origin(_base())
    for _ in range(MAX_PAGES):
        page = get_page(url)
        yield from (item for item in page["data"] if isinstance(item, dict))
        following = page.get("next")
        if not following:
            return
        if not isinstance(following, str) or _origin(following) != origin:
            raise FetchError(f"a next page outside the API: {following!r}")
        url = following
    raise FetchError(f"more than {MAX_PAGES} pages from {url}")


def _query(since: datetime | None) -> str:
    return ("?" + urlencode({"updated_since": int(since.timestamp())})) if since else ""


def organization_events(org_id: int, since: datetime | None) -> list[dict[str, Any]]:
    return list(walk(f"{_base()}/organizations/{int(org_id)}/events{_query(since)}"))


def organization_deleted_events(org_id: int, since: datetime | None) -> list[dict[str, Any]]:
    return list(walk(f"{_base()}/organizations/{int(org_id)}/events/deleted{_query(since)}"))
