"""The newsletter reads server answers and retries with the outbox's one policy (outbox.classify),
and queues its work through imc.broker.publish, on the bulk queue."""

from __future__ import annotations

import contextlib
import smtplib
import time

import pytest
from django.conf import settings as django_settings
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

from imc import broker
from imc.celery import app
from newsletter import services
from newsletter.models import Delivery, DeliveryStatus, NewsletterStatus, SendChunk
from tests.newsletter.conftest import make_subscriber
from tests.newsletter.helpers import compose, recipients, send_all

pytestmark = pytest.mark.django_db


class RejectingContentBackend(LocmemBackend):
    """Rejects the message to one address for its content (554 after DATA): the address is fine."""

    rejected = "strict@example.org"

    def send_messages(self, messages):
        for message in messages:
            if self.rejected in message.to:
                raise smtplib.SMTPDataError(554, b"5.6.0 Message content rejected")
        return super().send_messages(messages)


class BusyBackend(LocmemBackend):
    """Defers one address every time (451), as a greylisting server that never lets up would."""

    busy = "busy@example.org"

    def send_messages(self, messages):
        for message in messages:
            if self.busy in message.to:
                raise smtplib.SMTPDataError(451, b"4.3.0 Try again later")
        return super().send_messages(messages)


def test_a_message_rejected_for_good_fails_at_once_without_suppressing_the_address(
    bob, settings, django_capture_on_commit_callbacks
):
    strict = make_subscriber("strict@example.org")
    settings.EMAIL_BACKEND = f"{__name__}.RejectingContentBackend"
    newsletter = send_all(compose(), django_capture_on_commit_callbacks)
    assert recipients() == ["bob@example.org"]
    delivery = Delivery.objects.get(newsletter=newsletter, subscriber=strict)
    # Retrying cannot help a 554, so it is not tried again (the chunk was not put back).
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert delivery.error.startswith("554")
    assert SendChunk.objects.get(newsletter=newsletter).failures == 0
    strict.refresh_from_db()
    assert not strict.suppressed  # the address itself was not refused
    assert newsletter.status == NewsletterStatus.SENT


def test_a_newsletter_delivery_is_tried_as_often_as_the_one_retry_policy_says(
    bob, settings, django_capture_on_commit_callbacks
):
    settings.MAIL_MAX_ATTEMPTS = 4
    settings.NEWSLETTER_CHUNK_MAX_FAILURES = 10
    busy = make_subscriber("busy@example.org")
    settings.EMAIL_BACKEND = f"{__name__}.BusyBackend"
    newsletter = compose()
    with pytest.raises(smtplib.SMTPDataError):  # the first try, in-process
        send_all(newsletter, django_capture_on_commit_callbacks)
    chunk = SendChunk.objects.get(newsletter=newsletter)
    for _ in range(10):
        delivery = Delivery.objects.get(newsletter=newsletter, subscriber=busy)
        if delivery.status != DeliveryStatus.PENDING:
            break
        SendChunk.objects.filter(pk=chunk.pk).update(status="queued")
        with contextlib.suppress(smtplib.SMTPDataError):  # a retry: the chunk goes back
            services.chunk_send(chunk_id=chunk.pk)
    delivery = Delivery.objects.get(newsletter=newsletter, subscriber=busy)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 4)


def test_the_newsletters_tasks_run_on_the_bulk_queue_and_single_mail_on_the_default_one():
    route = app.amqp.router.route
    assert route({}, "newsletter.tasks.send_chunk")["queue"].name == "bulk"
    assert route({}, "newsletter.tasks.prepare")["queue"].name == "bulk"
    for name in ("outbox.tasks.send", "outbox.tasks.send_batch", "events.tasks.reminders_tick"):
        assert route({}, name)["queue"].name == django_settings.CELERY_TASK_DEFAULT_QUEUE


def test_starting_a_send_with_the_broker_away_returns_at_once_and_leaves_it_to_the_sweeper(
    bob, settings, django_capture_on_commit_callbacks, monkeypatch, coordinator
):
    """The coordinator's request must not wait on the broker: the issue is a row in SENDING, and
    the sweeper queues its preparation once the broker is back."""
    from tests.realstack import free_port

    monkeypatch.setattr(app.conf, "task_always_eager", False)
    monkeypatch.setattr(app.conf, "broker_url", f"redis://127.0.0.1:{free_port()}/0")  # nothing listens
    broker.reset_backoff()
    published = []
    monkeypatch.setattr(
        "celery.app.task.Task.apply_async", lambda self, *a, **k: published.append(self.name)
    )  # would the old code have reached the broker some other way, this records it
    newsletter = compose()
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        services.newsletter_send_now(newsletter=newsletter, by=coordinator)
    assert time.monotonic() - started < 1.0
    assert published == []  # publish() saw the broker away and skipped it, without raising
    newsletter.refresh_from_db()
    assert newsletter.status == NewsletterStatus.SENDING and not newsletter.prepared
    broker.reset_backoff()
