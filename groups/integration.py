"""The seam where the events app shows a group's next and upcoming events.

Groups does not import events: once ``events`` provides ``events.selectors.next_event_by_group``
(``group_ids -> {group_id: event}``, one query) and ``events.panels.group_panel(request, group)``
(rendered HTML or ""), directory cards and group pages show them. Until then they show nothing.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.http import HttpRequest


def _provider(module_name: str, attribute: str) -> Any:
    try:
        module = import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        return None
    return getattr(module, attribute, None)


def next_events(group_ids: list[int]) -> dict[int, Any]:
    provider = _provider("events.selectors", "next_event_by_group")
    if provider is None or not group_ids:
        return {}
    return provider(group_ids)


def attach_next_events(groups: list) -> None:
    """Set ``next_event`` (an event or None) on each group, with one query for all of them."""
    found = next_events([g.pk for g in groups])
    for group in groups:
        group.next_event = found.get(group.pk)


def group_events_html(request: HttpRequest, group: object) -> str:
    """The upcoming events section of a group's page, or "" until events exist."""
    provider = _provider("events.panels", "group_panel")
    return provider(request, group) if provider is not None else ""
