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

Signed-in members get a cache of their own (``@member_page``): a page rendered for a member is
stored under a key made of the member, their session, their CSRF secret and the address, and
served to that same session only, never to anyone else. It goes stale with every public page
(the generation above) and, besides, with the member's own generation
(:func:`invalidate_member`), bumped by every POST (or other write) the member sends
(``imc.middleware.MemberWritesMiddleware``: joining a group, an RSVP, a profile edit, a
subscription; every change of ours is a POST) and by every saved or deleted row that belongs to
the member (a ``user_id`` column, or the account itself; :func:`member_row_changed`). Never
stored or served: anything but a GET, a request with messages to show, or a session without a
CSRF secret yet. The timeout (``PAGE_CACHE_SECONDS``) bounds what neither announces (a
coordinator's change in the admin to a row that is not the member's, an event starting).

A stored page keeps the form token it was rendered with; it stays valid, since the key holds the
CSRF secret the token was masked from (what is lost is only the per-response masking against
BREACH, for pages whose only secret is that token).
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
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


# --- Signed-in members --------------------------------------------------------------------------

MEMBER_HEADER = "X-Member-Page-Cache"
# A member's generation outlives every page stored under it (PAGE_CACHE_SECONDS), and starts from
# the clock, so that a counter evicted and made again never repeats a value a stored page has.
MEMBER_GENERATION_SECONDS = 24 * 3600


def member_generation_key(user_id: object) -> str:
    return f"pagecache:member:{user_id}:generation"


def invalidate_member(user_id: object) -> None:
    """Make the member's stored pages stale, now and once more when the transaction commits."""
    _bump_member(user_id)
    transaction.on_commit(lambda: _bump_member(user_id))


def _bump_member(user_id: object) -> None:
    key = member_generation_key(user_id)
    try:
        cache.incr(key)
    except ValueError:  # no counter yet (or it was evicted)
        cache.add(key, time.time_ns(), timeout=MEMBER_GENERATION_SECONDS)
    except Exception:  # noqa: BLE001 - a cache outage must not fail the write that caused it
        pass


@dataclass(frozen=True)
class _MemberRequest:
    """Who asks, as their session says: the account, the session's proof of the password it was
    opened with, the session and the CSRF secret."""

    user_id: str
    auth_hash: str
    session_key: str
    secret: str

    @classmethod
    def of(cls, request: HttpRequest) -> _MemberRequest | None:
        """None when this request may neither be served nor stored."""
        if settings.PAGE_CACHE_SECONDS <= 0 or request.method != "GET":
            return None
        session = request.session
        # Reading the session first: a key whose row is gone (signed out, expired) then reads as none.
        user_id, auth_hash = session.get(SESSION_KEY), session.get(HASH_SESSION_KEY)
        secret, session_key = request.META.get("CSRF_COOKIE"), session.session_key
        if not (user_id and auth_hash and secret and session_key):
            return None
        # Messages waiting (in their cookie or the session) are shown once, on a page rendered for them.
        if len(get_messages(request)):
            return None
        return cls(str(user_id), auth_hash, session_key, secret)

    def page_key(self, request: HttpRequest) -> str:
        address = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
        identity = "\0".join([self.user_id, self.auth_hash, self.session_key, self.secret, address])
        return "pagecache:member:page:" + hashlib.sha256(identity.encode()).hexdigest()

    def is_still(self, request: HttpRequest) -> bool:
        """After the view: Django's authentication found this very member behind the session (it
        checks the account is active and the password unchanged), and nothing was rotated."""
        user = request.user
        return (
            user.is_authenticated
            and str(user.pk) == self.user_id
            and request.session.get(HASH_SESSION_KEY) == self.auth_hash
            and request.session.session_key == self.session_key
            and request.META.get("CSRF_COOKIE") == self.secret
        )


def member_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve a signed-in member the copy of this view's page stored for them while it is fresh.

    A hit reads the session but not the account: the page was stored only after Django's
    authentication accepted this session for this member, and whatever could make it refuse the
    session now (the account deactivated, deleted, its password changed) is a write to the
    account, which makes the member's pages stale (:func:`member_row_changed`). A signed-out
    session has no row any more, so it reads as nobody's. Put it outside ``login_required``.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        member = _MemberRequest.of(request)
        if member is None:
            return view(request, *args, **kwargs)
        key, member_key = member.page_key(request), member_generation_key(member.user_id)
        try:
            found = cache.get_many([GENERATION_KEY, member_key, key])
        except Exception:  # noqa: BLE001 - no cache: render as if this decorator were absent
            return view(request, *args, **kwargs)
        generations = (found.get(GENERATION_KEY, 0), found.get(member_key, 0))
        stored = found.get(key)
        if stored is not None and stored[0] == generations and stored[1] == member.user_id:
            _, _, content_type, content = stored
            response = HttpResponse(content, content_type=content_type)
            get_token(request)  # the page holds a form token: renew the cookie, as a render does
            response[MEMBER_HEADER] = "hit"
            patch_vary_headers(response, ["Cookie"])
            return response
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        if _member_storable(request, response, member):
            with contextlib.suppress(Exception):  # a cache outage only means the next visit renders
                value = (generations, member.user_id, response["Content-Type"], response.content)
                cache.set(key, value, settings.PAGE_CACHE_SECONDS)
            response[MEMBER_HEADER] = "miss"
        return response

    return wrapped


def _member_storable(request: HttpRequest, response: HttpResponse, member: _MemberRequest) -> bool:
    """Only a plain page, rendered for the member who asked, with the session and CSRF secret it
    was keyed by, and without a message the view queued for the next page."""
    cache_control = response.get("Cache-Control", "")
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not any(word in cache_control for word in ("no-store", "no-cache"))
        and member.is_still(request)
        and not len(get_messages(request))
    )


def member_row_changed(sender: type, instance: object, **kwargs: object) -> None:
    """A saved or deleted row of the member's own (their account, or a row with their ``user_id``:
    a membership, an RSVP, a subscription, an address, a second factor): their pages are stale."""
    if sender._meta.label == settings.AUTH_USER_MODEL:  # type: ignore[attr-defined]
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and set(update_fields) <= {"last_login"}:
            return  # a sign-in opens a new session, whose pages are stored under a key of their own
        user_id = getattr(instance, "pk", None)
    else:
        user_id = getattr(instance, "user_id", None)
    if user_id is not None:
        invalidate_member(user_id)
