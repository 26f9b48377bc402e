"""What the apps contribute to the pages and duties they share: one registry, filled at start-up.

The shared pages (home, /find/, a district's or a state district's page, a group's page, an
event's page, the member's profile), an event's origin (an imported copy: RSVPs elsewhere, its
copied fields read-only), the member's privacy rights (the download at /accounts/data/ and the
deletion of the account), the
newsletter's per-reader events block, ``seed_demo`` and the page cache ask this registry instead of importing
the apps that fill them, so every import between apps runs one way (see the README's layout).

Each app says what it gives in its own ``contributions.py``::

    @contributes(Kind.HOME_PANEL)
    def home_panel(request): ...

Django's ``autodiscover_modules("contributions")`` imports every installed app's module once the
apps are ready (``imc.apps.ImcConfig.ready``). Contributions come back in INSTALLED_APPS order,
so a page lists its panels, the export its parts and ``seed_demo`` its steps in the same order on
every start (the demo data relies on it: accounts and districts before groups before events).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.safestring import SafeString

F = TypeVar("F", bound=Callable[..., Any])


class Kind(enum.StrEnum):
    """What an app can contribute, with the call each contribution answers."""

    HOME_PANEL = "home_panel"  # (request) -> HTML, or "" when it has nothing to show
    PLACE_PANEL = "place_panel"  # (request, PlaceLookup) -> HTML or "": the /find/ page
    DISTRICT_PANEL = "district_panel"  # (request, District) -> HTML or ""
    # (request, LegislativeDistrict) -> HTML or "": a State House or State Senate district's page.
    STATE_DISTRICT_PANEL = "state_district_panel"
    GROUP_PANEL = "group_panel"  # (request, Group) -> HTML or "": a group's page
    EVENT_PANEL = "event_panel"  # (request, Event) -> HTML or "": an event's page (its main column)
    PROFILE_PANEL = "profile_panel"  # (request) -> HTML or "": the member's profile page
    # (Event) -> events.origin.ExternalOrigin or None: the event is a copy of one kept elsewhere
    # (an import), whose RSVPs happen there and whose copied fields only the copier writes.
    EVENT_ORIGIN = "event_origin"
    # (group ids) -> {group id: its next event}, in one query: the directory's cards.
    GROUP_NEXT_EVENTS = "group_next_events"
    # (District, limit) -> upcoming listed events with title, get_absolute_url(), starts_at and
    # location_text: the newsletter's events block for that district's readers.
    DISTRICT_EVENTS = "district_events"
    # (District or None, limit) -> the upcoming listed events a rep or a coordinator featured for
    # that district's readers (None: every district's), soonest first, with the same attributes as
    # DISTRICT_EVENTS: highlighted first on the home page, the district page and the newsletter.
    FEATURED_EVENTS = "featured_events"
    # (user) -> JSON-ready dict of everything the app holds about the member, under the app's label.
    EXPORT_USER_DATA = "export_user_data"
    # (user) -> None: remove what deleting the user row would leave behind (rows keyed by address,
    # seats to give up). Runs inside the deletion's transaction.
    ERASE_USER_DATA = "erase_user_data"
    # (email) -> JSON-ready dict of what the app holds under an address, apart from any account
    # (a guest's RSVPs): the download opened by a link mailed to that address.
    EXPORT_ADDRESS_DATA = "export_address_data"
    # (email) -> None: erase what the app holds under the address apart from any account.
    ERASE_ADDRESS_DATA = "erase_address_data"
    DEMO_SEED = "demo_seed"  # (stdout) -> None: create or refresh the app's demo data, idempotently
    # () -> the app's models whose rows public pages show: a saved or deleted row makes the
    # stored pages stale (imc.pagecache). Bookkeeping rows (deliveries, logs) are left out.
    PUBLIC_MODELS = "public_models"


@dataclass(frozen=True)
class Contribution:
    kind: Kind
    app_label: str
    function: Callable[..., Any]


_registered: dict[Kind, list[Contribution]] = {kind: [] for kind in Kind}


def register(kind: Kind, function: F) -> F:
    """Record ``function`` as its app's contribution of this kind (its app: the module's)."""
    app = apps.get_containing_app_config(function.__module__)
    if app is None:
        raise ImproperlyConfigured(f"{function.__module__}.{function.__qualname__} is in no installed app.")
    entries = _registered[Kind(kind)]
    # Importing a module twice (the autoreloader, a test's reload) replaces rather than doubles.
    entries[:] = [
        c for c in entries if (c.app_label, c.function.__qualname__) != (app.label, function.__qualname__)
    ] + [Contribution(kind=Kind(kind), app_label=app.label, function=function)]
    return function


def contributes(kind: Kind) -> Callable[[F], F]:
    """Decorator form of ``register``."""

    def decorate(function: F) -> F:
        return register(kind, function)

    return decorate


def contributions(kind: Kind) -> list[Contribution]:
    """Every contribution of this kind, in INSTALLED_APPS order (then in the order registered)."""
    position = {config.label: index for index, config in enumerate(apps.get_app_configs())}
    return sorted(_registered[Kind(kind)], key=lambda c: position[c.app_label])


def panels(kind: Kind, request: Any, *args: object) -> list[SafeString]:
    """The HTML of every app's panel of this kind that has something to show."""
    found = []
    for contribution in contributions(kind):
        html = contribution.function(request, *args)
        if html:
            found.append(html)
    return found


def gathered(kind: Kind, *args: object, limit: int) -> list[Any]:
    """Every app's answer of a list-giving kind (``DISTRICT_EVENTS``, ``FEATURED_EVENTS``), one
    after the other in INSTALLED_APPS order, at most ``limit`` in all; [] when no app gives any."""
    found: list[Any] = []
    for contribution in contributions(kind):
        found.extend(contribution.function(*args, limit=limit))
    return found[:limit]
