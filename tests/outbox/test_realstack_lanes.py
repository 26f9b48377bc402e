"""Single messages do not wait behind a large send (real stack: PostgreSQL, Redis, two real
worker processes, SMTP on loopback that takes a moment per message).

A newsletter send queues its chunks on the bulk queue, which has a worker of its own; a reminder
and a password reset go to the default queue's worker and arrive within seconds while the send
is still going. With one queue for everything they would wait for every chunk ahead of them.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from events import services as event_services
from events.reminders import reminders_tick
from newsletter import services
from newsletter.models import ConsentSource, Newsletter, NewsletterStatus, Subscriber
from newsletter.models import SubscriberStatus as S
from tests import realstack
from tests.accounts.test_signup_and_login import RESET_LINK
from tests.events.conftest import make_event
from tests.newsletter.helpers import compose

pytestmark = pytest.mark.realstack

READERS = 400
# Twenty chunks of twenty, a twentieth of a second per message: the send lasts some twenty
# seconds on its one bulk worker, every chunk queued at its start.
WORKER_ENV = {"NEWSLETTER_RATE_PER_SECOND": "1000", "NEWSLETTER_CHUNK_SIZE": "20"}
PROMPT_SECONDS = 5.0


@pytest.fixture
def sluggish_smtp_server():
    sink, controller = realstack.start_smtp_sink(delay=0.05)
    yield sink
    controller.stop()


def _readers(count: int) -> None:
    now = timezone.now()
    Subscriber.objects.bulk_create(
        [
            Subscriber(
                email=f"reader{n:04}@example.org",
                status=S.CONFIRMED,
                consent_at=now,
                consent_source=ConsentSource.IMPORT,
                confirmed_at=now,
            )
            for n in range(count)
        ]
    )


def _bulk_received(sink: realstack.SmtpSink) -> int:
    with sink.lock:
        return sum(1 for m in sink.messages if m.recipients[0].startswith("reader"))


def _wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_a_reminder_and_a_password_reset_arrive_within_seconds_while_a_large_send_is_in_progress(
    worker_factory, sluggish_smtp_server, client, activist, coordinator
):
    sink = sluggish_smtp_server
    _readers(READERS)
    event = make_event(start=timezone.now() + timedelta(minutes=90))  # its two-hours reminder is due now
    event_services.rsvp_create(event=event, user=activist)
    worker_factory(sink, extra_env=WORKER_ENV, queues=("celery",))
    bulk = worker_factory(sink, extra_env=WORKER_ENV, queues=("bulk",))
    newsletter = compose("A large send")
    services.newsletter_send_now(newsletter=newsletter, by=coordinator)
    assert _wait_until(lambda: _bulk_received(sink) >= 20, timeout=60), bulk.log()[-3000:]

    queued = time.monotonic()
    assert reminders_tick() == 1
    assert client.post("/accounts/password/reset/", {"email": activist.email}).status_code == 302

    def arrived(kind: str):
        for message in sink.to(activist.email):
            if kind == "reminder" and message.header("X-IMC-Reminder"):
                return True
            if kind == "reset" and RESET_LINK.search(message.text()):
                return True
        return False

    assert _wait_until(lambda: arrived("reminder") and arrived("reset"), timeout=60), "single mail never arrived"
    waited = time.monotonic() - queued
    in_progress = _bulk_received(sink)
    assert waited < PROMPT_SECONDS, f"single mail waited {waited:.1f}s behind the send"
    # ... and the send really was in progress all that time.
    assert in_progress < READERS
    assert Newsletter.objects.get(pk=newsletter.pk).status == NewsletterStatus.SENDING
