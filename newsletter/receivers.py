"""The thin receiver of django-anymail's tracking webhook; the rule lives in the service."""

from __future__ import annotations

from newsletter.services import tracking_event_record


def anymail_tracking(sender, event, esp_name: str, **kwargs) -> None:
    tracking_event_record(
        event_type=event.event_type,
        recipient=event.recipient or "",
        metadata=event.metadata,
        description=event.description or event.reject_reason or "",
    )
