"""Conditional GET for the API: ``ETag`` and ``Last-Modified`` from the answer itself, ``304``
when the client's copy is still the answer.

- The ETag is a hash of the body: exact, whatever changed (a row edited, one removed, a related
  group renamed, an event that ended and left the list).
- ``Last-Modified`` must move forward whenever the answer changes, removals included, which no
  ``updated_at`` column can say (a deleted row, or one that left the filter, has no date to point
  at). So each address remembers, in the cache, the ETag it last served and since when; when the
  ETag differs, that time becomes now (rounded up, and always past the one before, so that two
  answers within one second never share a date). It is never earlier than the newest
  ``updated_at`` the answer shows. A lost cache entry only means one ``200`` more, never a wrong
  ``304``. Without a shared cache (``REDIS_URL`` unset) each process keeps its own dates.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import time
from datetime import datetime

from django.core.cache import cache
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

SERVED_SECONDS = 7 * 24 * 3600


def _served_since(address: str, etag: str) -> int:
    key = "api:served:" + hashlib.sha256(address.encode()).hexdigest()
    try:
        stored = cache.get(key)
    except Exception:  # noqa: BLE001 - no cache: the answer is as new as now
        stored = None
    if stored is not None and stored[0] == etag:
        return stored[1]
    since = math.ceil(time.time())
    if stored is not None:
        since = max(since, stored[1] + 1)
    with contextlib.suppress(Exception):
        cache.set(key, (etag, since), SERVED_SECONDS)
    return since


class ConditionalGetMixin:
    """For DRF views: set ``self.newest`` (the newest ``updated_at`` shown) while answering."""

    newest: datetime | None = None

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        if request.method not in ("GET", "HEAD") or response.status_code != 200:
            return response
        response.render()
        etag = '"' + hashlib.sha256(response.content).hexdigest()[:40] + '"'
        last_modified = _served_since(request.get_full_path(), etag)
        if self.newest is not None:
            last_modified = max(last_modified, math.ceil(self.newest.timestamp()))
        response["ETag"] = etag
        response["Last-Modified"] = http_date(last_modified)
        # Any cache may keep it, and must ask again (a cheap 304) before each reuse.
        response["Cache-Control"] = "public, no-cache"
        return get_conditional_response(request._request, etag=etag, last_modified=last_modified, response=response)
