"""Bounces and complaints reported by an email service through django-anymail's tracking webhook."""

from __future__ import annotations

import logging

from newsletter.models import Delivery, DeliveryStatus, SuppressionReason
from newsletter.services.subscribers import subscriber_suppress

logger = logging.getLogger(__name__)

# anymail's normalised event types that mean "never send to this address again". A soft bounce
# arrives as "deferred" and is left alone.
SUPPRESSING_EVENTS = {"bounced": SuppressionReason.BOUNCE, "complained": SuppressionReason.COMPLAINT}


def tracking_event_record(*, event_type: str, recipient: str, metadata: dict | None, description: str = "") -> bool:
    """Suppress the address of a hard bounce or complaint, and mark the delivery it answers.

    Returns whether the event changed anything.
    """
    reason = SUPPRESSING_EVENTS.get(event_type)
    if reason is None or not recipient:
        return False
    suppressed = subscriber_suppress(email=recipient, reason=reason, detail=description or event_type)
    delivery_id = (metadata or {}).get("delivery_id")
    deliveries = Delivery.objects.filter(subscriber__email=recipient.strip().lower(), status=DeliveryStatus.SENT)
    if delivery_id and str(delivery_id).isdigit():
        deliveries = deliveries.filter(pk=int(delivery_id))
    else:
        deliveries = deliveries.order_by("-sent_at")[:1]
        deliveries = Delivery.objects.filter(pk__in=list(deliveries.values_list("pk", flat=True)))
    marked = deliveries.filter(bounced=False).update(bounced=True)
    return bool(suppressed or marked)
