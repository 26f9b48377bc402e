"""Events copied from elsewhere (an import): where they come from, where people RSVP, and which
fields only the copier writes.

The events app knows nothing of any importer: an app that copies events in contributes
``Kind.EVENT_ORIGIN`` (``imc.registry``), answering for one event with an ``ExternalOrigin`` or
None. The event page, the RSVP services and the organizer's edit form ask ``origin_of`` here, so
the arrows keep running down (the importer imports events, never the other way).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from events.models import Event
from imc.registry import Kind, contributions


@dataclass(frozen=True)
class ExternalOrigin:
    """An event kept elsewhere, and copied here by its source's sync (the only writer of ``fields``)."""

    source: str  # the platform's name, as people know it: "Mobilize"
    url: str  # the event's page there, where people RSVP ("" when the source gave none)
    fields: frozenset[str]  # the event's fields the sync copies: read-only on the portal


def origin_of(event: Event) -> ExternalOrigin | None:
    """Where ``event`` comes from, or None for the portal's own events (one query per contributor)."""
    if event.pk is None:
        return None
    for contribution in contributions(Kind.EVENT_ORIGIN):
        found = contribution.function(event)
        if found is not None:
            return found
    return None


def rsvp_elsewhere_message(origin: ExternalOrigin) -> str:
    where = f": {origin.url}" if origin.url else "."
    return f"This event is imported from {origin.source}, and its RSVPs are taken there{where}"


def locked_changes(origin: ExternalOrigin | None, event: Event, values: dict) -> ValidationError | None:
    """The refusal of a change to the copied fields, or None when ``values`` leaves them as they are."""
    if origin is None:
        return None
    changed = sorted(name for name, value in values.items() if name in origin.fields and getattr(event, name) != value)
    if not changed:
        return None
    return ValidationError(
        {
            name: f"This event is imported from {origin.source}: change it there, and the next sync brings it here."
            for name in changed
        }
    )


def lock_form(form, origin: ExternalOrigin | None) -> None:
    """Show the copied fields of the organizer's edit form read-only: a disabled field keeps the
    event's value whatever is posted (Django uses the initial value), and says why."""
    if origin is None:
        return
    for name in origin.fields:
        field = form.fields.get(name)
        if field is not None:
            field.disabled = True
            field.help_text = f"Imported from {origin.source}: change it there."
