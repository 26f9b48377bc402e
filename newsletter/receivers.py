"""The thin receivers of django-anymail's webhooks; the rules live in the services."""

from __future__ import annotations

from newsletter.inbound import unsubscribe_by_message
from newsletter.services import tracking_event_record


def anymail_tracking(sender, event, esp_name: str, **kwargs) -> None:
    tracking_event_record(
        event_type=event.event_type,
        recipient=event.recipient or "",
        metadata=event.metadata,
        description=event.description or event.reject_reason or "",
    )


def anymail_inbound(sender, event, esp_name: str, **kwargs) -> None:
    """An email to us: the mailto: of List-Unsubscribe (anything else is ignored and logged)."""
    if event.message is not None:
        unsubscribe_by_message(event.message)
