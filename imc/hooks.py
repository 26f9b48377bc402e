"""Page panels that other apps contribute to shared pages, without those pages importing them.

An app listed in PANEL_MODULES may define, in its ``panels.py``, any of
``home_panel(request)``, ``place_panel(request, lookup)``, ``district_panel(request, district)``
and ``profile_panel(request)``.
Each returns rendered HTML (a SafeString) or "" when it has nothing to show.
"""

from __future__ import annotations

from importlib import import_module

from django.http import HttpRequest
from django.utils.safestring import SafeString

PANEL_MODULES = ["groups.panels", "events.panels", "newsletter.panels"]


def _collect(hook: str, *args: object) -> list[SafeString]:
    panels = []
    for module_name in PANEL_MODULES:
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        provider = getattr(module, hook, None)
        if provider is not None:
            html = provider(*args)
            if html:
                panels.append(html)
    return panels


def home_panels(request: HttpRequest) -> list[SafeString]:
    return _collect("home_panel", request)


def place_panels(request: HttpRequest, lookup: object) -> list[SafeString]:
    return _collect("place_panel", request, lookup)


def district_panels(request: HttpRequest, district: object) -> list[SafeString]:
    return _collect("district_panel", request, district)


def profile_panels(request: HttpRequest) -> list[SafeString]:
    """Panels of the member's profile page: "My groups", "My events", subscriptions."""
    return _collect("profile_panel", request)
