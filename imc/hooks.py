"""Page panels that other apps contribute to shared pages, without those pages importing them.

An app listed in PANEL_MODULES may define, in its ``panels.py``, any of
``home_panel(request)``, ``place_panel(request, lookup)``, ``district_panel(request, district)``
and ``profile_panel(request)``.
Each returns rendered HTML (a SafeString) or "" when it has nothing to show.

The same modules carry the member's privacy rights (issue 6):
``export_user_data(user) -> dict`` returns everything the app holds about a member, as JSON-ready
data, for the download at /accounts/data/; ``erase_user_data(user) -> None`` removes what the
app holds about them that deleting the user row would not remove by itself (rows keyed by email
address rather than by a foreign key, for instance). It runs inside the deletion's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from django.http import HttpRequest
from django.utils.safestring import SafeString

PANEL_MODULES = ["groups.panels", "events.panels", "newsletter.panels"]


def _providers(hook: str) -> list[tuple[str, Callable]]:
    """The (app label, function) pairs of the apps whose panels module defines ``hook``."""
    found = []
    for module_name in PANEL_MODULES:
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        provider = getattr(module, hook, None)
        if provider is not None:
            found.append((module_name.split(".")[0], provider))
    return found


def _collect(hook: str, *args: object) -> list[SafeString]:
    panels = []
    for _app, provider in _providers(hook):
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


def user_data(user: Any) -> dict:
    """Everything the portal holds about one member: their account, then each app's part."""
    from accounts.selectors import user_account_data

    data = user_account_data(user)
    for app, provider in _providers("export_user_data"):
        data[app] = provider(user)
    return data


def user_erase(user: Any) -> None:
    """Let each app remove what deleting the user row would leave behind."""
    for _app, provider in _providers("erase_user_data"):
        provider(user)
