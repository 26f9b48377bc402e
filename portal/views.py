"""The portal's own pages: home (with every app's panel), about, privacy, and the health check."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import cache_control, never_cache

from districts.forms import PlaceForm
from imc import registry
from imc.pagecache import member_page, public_page
from portal import selectors


@public_page
@member_page
def home(request: HttpRequest) -> HttpResponse:
    # The page leads with its own list of the next events (near the member, see
    # portal.selectors), so the events app's statewide panel would list them a second time.
    panels = [
        html
        for contribution in registry.contributions(registry.Kind.HOME_PANEL)
        if contribution.app_label != "events" and (html := contribution.function(request))
    ]
    context = {
        "place_form": PlaceForm(),
        "panels": panels,
        "next_events": selectors.home_events(request.user),
        "featured": selectors.home_featured(),
        "counts": selectors.home_counts(),
    }
    return render(request, "home.html", context)


@public_page
def about(request: HttpRequest) -> HttpResponse:
    return render(request, "about.html")


@public_page
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy.html")


@cache_control(public=True, max_age=86400)
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico whatever the page links; send them to the SVG it links.

    Not a permanent redirect: in production the target's name carries its content hash.
    """
    return HttpResponseRedirect(static("img/favicon.svg"))


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone()[0] == 1
    except Exception:  # noqa: BLE001 - any failure means unreachable
        return False


def _broker_ok() -> bool:
    if not settings.REDIS_URL:
        return True  # embedded default: tasks run in-process, there is no broker to reach
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        return bool(client.ping())
    except Exception:  # noqa: BLE001
        return False


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    failed = [name for name, ok in checks.items() if not ok]
    body = {
        "status": "ok" if not failed else "unavailable",
        "database": "ok" if checks["database"] else "unreachable",
        "broker": ("ok" if settings.REDIS_URL else "eager (no broker configured)")
        if checks["broker"]
        else "unreachable",
        "failed": failed,
    }
    return JsonResponse(body, status=200 if not failed else 503)
