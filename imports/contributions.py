"""What the imports give the events app (see ``imc.registry``): an imported event's origin, so
its page sends people to Mobilize to RSVP and its copied fields stay the sync's alone."""

from __future__ import annotations

from events.models import Event
from events.origin import ExternalOrigin
from imc.registry import Kind, contributes
from imports.models import ImportedEvent
from imports.services import COPIED_FIELDS

SOURCE_NAME = "Mobilize"


@contributes(Kind.EVENT_ORIGIN)
def event_origin(event: Event) -> ExternalOrigin | None:
    url = ImportedEvent.objects.filter(event_id=event.pk).values_list("browser_url", flat=True).first()
    if url is None:
        return None
    return ExternalOrigin(source=SOURCE_NAME, url=url, fields=COPIED_FIELDS)


@contributes(Kind.PUBLIC_MODELS)
def public_models() -> list:
    return [ImportedEvent]  # an event's page says where it was imported from
