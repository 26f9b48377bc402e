"""Response headers every page carries (a strict Content Security Policy among them), and the
refusal of addresses that no page of ours can have."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import unquote_plus

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from imc import pagecache
from imc.validators import NOT_SINGLE_LINE

# Map tiles are the only third-party resource a page loads; scripts and styles are served
# from our own static files, and no page has an inline script. Without a per-request nonce the
# policy is the same for every response, so stored pages (imc.pagecache) can carry it.
TILE_HOSTS = "https://tile.openstreetmap.org https://*.tile.openstreetmap.org"


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        f"img-src 'self' data: {TILE_HOSTS}",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# The embeds (``/embed/``) are made for other sites' iframes: the same policy, framed by anyone.
FRAMEABLE_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", "frame-ancestors *")


def frameable_by_any_site(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let any site frame this view's page: no ``X-Frame-Options`` (Django's middleware skips a
    response marked exempt) and ``frame-ancestors *``. Put it outside ``@public_page``, so that a
    stored copy says the same."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response.xframe_options_exempt = True  # type: ignore[attr-defined]
        response["Content-Security-Policy"] = FRAMEABLE_CONTENT_SECURITY_POLICY
        return response

    return wrapped


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


class RefuseControlCharactersMiddleware:
    """Answer 400 to a path with a control character, or a query string with a NUL, in it.

    No address of ours has one, and a NUL that reaches a lookup makes PostgreSQL fail (a 500):
    URL converters, ``get_object_or_404`` with a string key, the admin's ``<path:object_id>``
    and every filter form would each need to remember it. Other control characters in a query
    string are left to the forms, which refuse them field by field with a message.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if NOT_SINGLE_LINE.search(request.path) or "\x00" in unquote_plus(request.META.get("QUERY_STRING", "")):
            return HttpResponseBadRequest(
                "Bad request: this address contains a control character.", content_type="text/plain; charset=utf-8"
            )
        return self.get_response(request)


class MemberWritesMiddleware:
    """Every write a signed-in member sends makes the pages stored for them stale
    (``imc.pagecache.member_page``): before the view, and after it for whoever it left signed in
    (a sign-in, a sign-out), once the view's transaction has committed.

    Every change a member can make goes through a POST (the house rule; token links from emails
    ask for a confirming POST), so a GET never costs a bump.
    """

    SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in self.SAFE_METHODS:
            return self.get_response(request)
        before = self._member(request)
        if before is not None:
            pagecache.invalidate_member(before)
        response = self.get_response(request)
        after = self._member(request)
        for user_id in {before, after} - {None}:
            pagecache.invalidate_member(user_id)
        return response

    @staticmethod
    def _member(request: HttpRequest) -> object | None:
        user = getattr(request, "user", None)
        return user.pk if user is not None and user.is_authenticated else None
