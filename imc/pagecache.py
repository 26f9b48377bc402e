"""Whole-page caching of the public pages for anonymous visitors.

Most traffic on a directory like this is people who are not signed in reading the same pages
(the group directory, a district, an event, the home page). Rendering them costs tens of
milliseconds of CPU; serving a stored copy costs one cache round trip. ``@public_page`` stores
the rendered page for ``PAGE_CACHE_SECONDS`` and serves it to the next anonymous visitor.

What is never stored or served, so nobody sees someone else's page:
- requests that carry a session cookie (signed-in members, staff) or a messages cookie;
- anything but GET, and any answer but a plain 200;
- answers that set a cookie, that rendered a CSRF token (a form for this visitor), or that
  asked not to be cached (``Cache-Control: private/no-store/no-cache``).

Freshness: every saved or deleted row of a model shown on public pages (each app names its own:
``Kind.PUBLIC_MODELS`` in ``imc.registry``) bumps a generation counter (``imc.apps``), at once
and again after the commit, so the next visitor gets a fresh render; services that change such
rows with a bulk ``update()`` call :func:`invalidate` themselves. The timeout bounds what no
write announces (an event starting, a day passing). When the cache is unreachable the page is
simply rendered, as without this module.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

GENERATION_KEY = "pagecache:generation"
MESSAGES_COOKIE = "messages"  # django.contrib.messages' CookieStorage
UNCACHEABLE = ("private", "no-store", "no-cache")


def invalidate() -> None:
    """Make every stored page stale, now and once more when the current transaction commits."""
    _bump()
    transaction.on_commit(_bump)


def _bump() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # no counter yet (or it was evicted)
        cache.add(GENERATION_KEY, 1, timeout=None)
    except Exception:  # noqa: BLE001 - a cache outage must not fail the write that caused it
        pass


def _eligible(request: HttpRequest) -> bool:
    return (
        settings.PAGE_CACHE_SECONDS > 0
        and request.method == "GET"
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and MESSAGES_COOKIE not in request.COOKIES
    )


def _storable(request: HttpRequest, response: HttpResponse) -> bool:
    cache_control = response.get("Cache-Control", "")
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not any(word in cache_control for word in UNCACHEABLE)
        and not request.user.is_authenticated
    )


def _page_key(request: HttpRequest) -> str:
    address = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    return "pagecache:page:" + hashlib.sha256(address.encode()).hexdigest()


def public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve anonymous visitors a stored copy of this view's page while it is fresh."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not _eligible(request):
            return view(request, *args, **kwargs)
        key = _page_key(request)
        try:
            found = cache.get_many([GENERATION_KEY, key])
        except Exception:  # noqa: BLE001 - no cache: render as if this decorator were absent
            return view(request, *args, **kwargs)
        generation = found.get(GENERATION_KEY, 0)
        stored = found.get(key)
        if stored is not None and stored[0] == generation:
            _, content_type, content = stored
            response = HttpResponse(content, content_type=content_type)
            response["X-Page-Cache"] = "hit"
            patch_vary_headers(response, ["Cookie"])
            return response
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        if _storable(request, response):
            with contextlib.suppress(Exception):  # a cache outage only means the next visit renders
                cache.set(key, (generation, response["Content-Type"], response.content), settings.PAGE_CACHE_SECONDS)
            response["X-Page-Cache"] = "miss"
        return response

    return wrapped
