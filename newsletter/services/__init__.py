"""Writes of the newsletter app. Views, admin and tasks call these and nothing else.

- ``compose``: saving a draft, and a test copy to the coordinator.
- ``lifecycle``: an issue's states (schedule, send now, pause, resume, cancel, fail, finish) and
  the sweeper.
- ``deliveries``: writing a send's delivery rows and chunks for its audience.
- ``chunks``: a worker sending one chunk, on a lease.
- ``messages``: building each recipient's email (the one message builder).
- ``subscribers``, ``bounces``: subscriptions, and what the email service reports back.
"""

from newsletter.services.bounces import tracking_event_record
from newsletter.services.chunks import chunk_send
from newsletter.services.compose import newsletter_save, newsletter_send_test, newsletter_test_copy
from newsletter.services.deliveries import newsletter_prepare
from newsletter.services.lifecycle import (
    NotAllowed,
    NotSendable,
    newsletter_cancel,
    newsletter_maybe_finish,
    newsletter_pause,
    newsletter_resume,
    newsletter_schedule,
    newsletter_send_now,
    newsletter_sweep,
    newsletter_unschedule,
)
from newsletter.services.subscribers import (
    subscriber_confirm,
    subscriber_member_subscribe,
    subscriber_request,
    subscriber_suppress,
    subscriber_unsubscribe,
    subscriber_update_preferences,
    subscription_requests_purge,
)

__all__ = [
    "NotAllowed",
    "NotSendable",
    "chunk_send",
    "newsletter_cancel",
    "newsletter_maybe_finish",
    "newsletter_pause",
    "newsletter_prepare",
    "newsletter_resume",
    "newsletter_save",
    "newsletter_schedule",
    "newsletter_send_now",
    "newsletter_send_test",
    "newsletter_test_copy",
    "newsletter_sweep",
    "newsletter_unschedule",
    "subscriber_confirm",
    "subscriber_member_subscribe",
    "subscriber_request",
    "subscriber_suppress",
    "subscriber_unsubscribe",
    "subscriber_update_preferences",
    "subscription_requests_purge",
    "tracking_event_record",
]
