"""One registry for what apps give the shared pages, the privacy rights and the demo data.

Each app's ``contributions.py`` registers its part; Django's ``autodiscover_modules`` finds it.
These tests hold the table of who gives what, and the arrows between apps that must run one way.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = [
    "accounts",
    "outbox",
    "districts",
    "groups",
    "events",
    "newsletter",
    "allies",
    "desk",
    "api",
    "embed",
    "imports",
]


def test_the_registry_holds_each_apps_contribution_in_installed_apps_order():
    from imc.registry import Kind, contributions

    table = {kind: [c.app_label for c in contributions(kind)] for kind in Kind}
    assert table == {
        Kind.HOME_PANEL: ["groups", "events", "newsletter"],
        Kind.PLACE_PANEL: ["groups", "events"],
        Kind.DISTRICT_PANEL: ["groups", "events", "embed"],
        Kind.STATE_DISTRICT_PANEL: ["groups", "events"],
        Kind.GROUP_PANEL: ["events", "embed"],
        Kind.PROFILE_PANEL: ["groups", "events", "newsletter", "desk"],
        Kind.EVENT_PANEL: ["allies", "embed"],
        Kind.EVENT_ORIGIN: ["imports"],
        Kind.GROUP_NEXT_EVENTS: ["events"],
        Kind.DISTRICT_EVENTS: ["events"],
        Kind.FEATURED_EVENTS: ["desk"],
        Kind.EXPORT_USER_DATA: ["groups", "events", "newsletter", "allies", "desk"],
        Kind.ERASE_USER_DATA: ["groups", "events", "newsletter"],
        Kind.EXPORT_ADDRESS_DATA: ["events"],
        Kind.ERASE_ADDRESS_DATA: ["events"],
        Kind.DEMO_SEED: ["accounts", "groups", "events", "newsletter", "allies", "desk"],
        Kind.PUBLIC_MODELS: ["accounts", "districts", "groups", "events", "newsletter", "allies", "imports"],
    }


def test_a_change_to_any_row_a_public_page_shows_makes_the_stored_pages_stale():
    """The page cache listens to every model the apps say their public pages show."""
    from django.db.models.signals import post_delete, post_save

    from imc.registry import Kind, contributions

    shown = {model._meta.label for c in contributions(Kind.PUBLIC_MODELS) for model in c.function()}
    assert shown == {
        "accounts.User",
        *("districts." + name for name in ["District", "Town", "TownDistrict", "TownAlias", "ZipCode"]),
        *("districts." + name for name in ["BoardSeat", "Team"]),
        *("districts." + name for name in ["LegislativeDistrict", "TownLegislativeDistrict", "Precinct"]),
        *("groups." + name for name in ["Group", "GroupDistrict", "GroupSlugHistory", "Membership"]),
        *("events." + name for name in ["EventSeries", "Event", "EventQuestion", "Rsvp"]),
        "newsletter.Newsletter",
        "imports.ImportedEvent",
        *("allies." + name for name in ["Ally", "Ally_districts", "AllyCohost"]),
    }
    for c in contributions(Kind.PUBLIC_MODELS):
        for model in c.function():
            assert post_save.has_listeners(model) and post_delete.has_listeners(model)


def test_registering_again_replaces_rather_than_doubles():
    from events import contributions as events_contributions
    from imc.registry import Kind, contributions, register

    register(Kind.HOME_PANEL, events_contributions.home_panel)
    assert [c.app_label for c in contributions(Kind.HOME_PANEL)] == ["groups", "events", "newsletter"]


def _python_files(folder: str) -> list[Path]:
    return [p for p in (ROOT / folder).rglob("*.py") if "migrations" not in p.parts]


def _imported_packages(path: Path) -> set[str]:
    """The top-level packages a file imports, at module level or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def test_no_app_is_looked_up_by_name_at_run_time():
    seams = [
        str(path.relative_to(ROOT))
        for folder in ["imc", "portal", *APPS]
        for path in _python_files(folder)
        if "import_module" in path.read_text() or "__import__" in path.read_text()
    ]
    assert seams == []


# The README's layout table, top to bottom: a package imports only those after it. The public API
# sits on the roof: it reads every app and nothing imports it (portal mounts it by name).
STOREYS = [
    "api",
    "portal",
    "embed",
    "imports",
    "desk",
    "allies",
    "newsletter",
    "events",
    "groups",
    "accounts",
    "outbox",
    "districts",
    "imc",
]


@pytest.mark.parametrize(
    ("package", "path"),
    [(package, path) for package in STOREYS for path in _python_files(package)],
    ids=lambda value: str(value.relative_to(ROOT)) if isinstance(value, Path) else value,
)
def test_every_import_between_apps_runs_down_the_layout(package, path):
    """``imc`` (the ground floor every app imports) imports no app; districts ask nothing of
    accounts (accounts stands on districts: a member's home town); groups never import events."""
    above = set(STOREYS[: STOREYS.index(package)])
    assert _imported_packages(path) & above == set()


@pytest.mark.django_db
def test_the_newsletters_events_block_lists_its_districts_events_from_the_events_app(settings):
    from districts.models import District
    from newsletter.selectors import upcoming_events
    from tests.events.conftest import make_event

    make_event(title="Lowell rally")  # MA-3
    make_event(title="Pittsfield social", town="Pittsfield")  # MA-1
    items = upcoming_events(District.objects.get(slug="ma-3").pk)
    assert [item.title for item in items] == ["Lowell rally"]
    assert items[0].url.startswith(settings.SITE_URL + "/events/")
