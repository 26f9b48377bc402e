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
- A conditional request is answered without running the query or the serializer when nothing
  can have changed since that address last answered: the ETag the client sends is the one
  stored for the address, the public pages' generation (``imc.pagecache``: bumped by every saved
  or deleted row of a model the public pages show, and by the services' bulk updates) is the one
  the answer was made under, and the answer is younger than ``TRUSTED_SECONDS`` and than the
  first end of an event it lists (what no write announces: an event ending leaves the list).
  Otherwise the answer is made again and its hash decides, as above.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import time
from datetime import datetime

from django.core.cache import cache
from django.http import HttpResponseNotModified
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

from imc.pagecache import GENERATION_KEY

SERVED_SECONDS = 7 * 24 * 3600
# How long a stored validator answers 304 on its own, at most: the bound on what no write announces.
TRUSTED_SECONDS = 60


def _key(address: str) -> str:
    return "api:served:" + hashlib.sha256(address.encode()).hexdigest()


def _served_since(address: str, etag: str, stored) -> int:
    if stored is not None and stored[0] == etag:
        return stored[1]
    since = math.ceil(time.time())
    if stored is not None:
        since = max(since, stored[1] + 1)
    return since


class _Unchanged(Exception):
    def __init__(self, response):
        super().__init__("not modified")
        self.response = response


class ConditionalGetMixin:
    """For DRF views: set ``self.newest`` (the newest ``updated_at`` shown) and, for events,
    ``self.valid_until`` (the first end of one shown) while answering."""

    newest: datetime | None = None
    valid_until: datetime | None = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # type: ignore[misc]  # the throttle counts every request
        self.served_key = _key(request.get_full_path())
        try:
            found = cache.get_many([GENERATION_KEY, self.served_key])
        except Exception:  # noqa: BLE001 - no cache: every answer is made, and hashed
            found = {}
        self.generation = found.get(GENERATION_KEY, 0)
        self.stored = found.get(self.served_key)
        shortcut = self.unchanged(request)
        if shortcut is not None:
            raise _Unchanged(shortcut)

    def handle_exception(self, exc):
        if isinstance(exc, _Unchanged):
            return exc.response
        return super().handle_exception(exc)  # type: ignore[misc]

    def unchanged(self, request):
        """The 304 that the stored validator allows, or None when the answer must be made."""
        stored = self.stored
        if request.method not in ("GET", "HEAD") or stored is None or len(stored) < 4:
            return None
        etag, last_modified, generation, trusted_until = stored
        if generation != self.generation or time.time() >= trusted_until:
            return None
        response = get_conditional_response(request._request, etag=etag, last_modified=last_modified)
        if not isinstance(response, HttpResponseNotModified):
            return None
        response["ETag"] = etag
        response["Last-Modified"] = http_date(last_modified)
        response["Cache-Control"] = "public, no-cache"
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        if request.method not in ("GET", "HEAD") or response.status_code != 200:
            return response
        response.render()
        etag = '"' + hashlib.sha256(response.content).hexdigest()[:40] + '"'
        stored = getattr(self, "stored", None)
        last_modified = _served_since(request.get_full_path(), etag, stored)
        if self.newest is not None:
            last_modified = max(last_modified, math.ceil(self.newest.timestamp()))
        trusted_until = time.time() + TRUSTED_SECONDS
        if self.valid_until is not None:
            trusted_until = min(trusted_until, self.valid_until.timestamp())
        # The generation read before the answer was made: a write meanwhile makes it stale at once.
        generation = getattr(self, "generation", None)
        with contextlib.suppress(Exception):
            cache.set(_key(request.get_full_path()), (etag, last_modified, generation, trusted_until), SERVED_SECONDS)
        response["ETag"] = etag
        response["Last-Modified"] = http_date(last_modified)
        # Any cache may keep it, and must ask again (a cheap 304) before each reuse.
        response["Cache-Control"] = "public, no-cache"
        return get_conditional_response(request._request, etag=etag, last_modified=last_modified, response=response)
