"""The outbox: every owed email is a row; claimed once, sent once, retried or failed by SMTP's answer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from outbox.models import EmailStatus, OutboundEmail
from outbox.services import email_claim, email_deliver, email_queue, email_sweep
from outbox.tasks import send
from tests import realstack

pytestmark = pytest.mark.django_db


def _queued(to: str = "bob@example.org") -> OutboundEmail:
    # Inside the test's transaction nothing is dispatched on commit: the row waits, as it would
    # with the broker down.
    return email_queue(kind="test.notice", to=to, subject="Hello", body_text="Hi")


@pytest.fixture
def smtp(settings, smtp_server):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_TIMEOUT = 5
    return smtp_server


def test_queueing_writes_the_row_and_dispatches_only_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email = _queued()
    assert OutboundEmail.objects.get(pk=email.pk).status == EmailStatus.QUEUED
    assert mail.outbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert len(mail.outbox) == 1


def test_the_sweeper_requeues_rows_the_broker_never_took():
    email = _queued()
    assert email_sweep() == 0  # too fresh: its own dispatch may still be on the way
    later = timezone.now() + timedelta(seconds=61)
    assert email_sweep(now=later) == 1
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert [m.to for m in mail.outbox] == [["bob@example.org"]]
    assert email_sweep(now=later) == 0  # sent rows are left alone


def test_the_sweeper_recovers_rows_whose_worker_died_but_not_busy_ones():
    stale, busy = _queued("stale@example.org"), _queued("busy@example.org")
    now = timezone.now()
    OutboundEmail.objects.filter(pk=stale.pk).update(
        status=EmailStatus.INFLIGHT, claimed_at=now - timedelta(seconds=601)
    )
    OutboundEmail.objects.filter(pk=busy.pk).update(status=EmailStatus.INFLIGHT, claimed_at=now - timedelta(seconds=30))
    assert email_sweep(now=now) == 1
    stale.refresh_from_db()
    busy.refresh_from_db()
    assert stale.status == EmailStatus.SENT
    assert busy.status == EmailStatus.INFLIGHT
    assert [m.to for m in mail.outbox] == [["stale@example.org"]]


def test_a_row_is_sent_once_even_if_its_task_runs_twice():
    email = _queued()
    assert send(email.pk) is True
    assert send(email.pk) is False
    assert email_deliver(email_id=email.pk) is False
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.SENT, 1)


def test_only_one_of_two_claims_wins():
    email = _queued()
    assert email_claim(email_id=email.pk) is not None
    assert email_claim(email_id=email.pk) is None


def test_the_message_is_what_the_row_says(smtp):
    email = email_queue(
        kind="test.notice",
        to="bob@example.org",
        reply_to="organizer@example.org",
        subject="Meeting on Tuesday",
        body_text="See you there",
        body_html="<p>See you there</p>",
    )
    assert email_deliver(email_id=email.pk)
    [received] = smtp.messages
    assert received.recipients == ["bob@example.org"]
    assert received.subject == "Meeting on Tuesday"
    assert received.message["Reply-To"] == "organizer@example.org"
    assert received.message["X-IMC-Email-Id"] == str(email.pk)


def test_an_smtp_5xx_marks_the_row_failed_for_good(smtp):
    smtp.refuse.add("gone@example.org")
    email = _queued("gone@example.org")
    assert email_deliver(email_id=email.pk) is False
    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED
    assert email.attempts == 1
    assert "550" in email.last_error
    assert email_sweep(now=timezone.now() + timedelta(hours=1)) == 0  # never retried
    assert smtp.messages == []


def test_an_smtp_4xx_is_retried_until_it_passes(smtp):
    smtp.defer.add("busy@example.org")
    email = _queued("busy@example.org")
    assert email_deliver(email_id=email.pk) is False
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.QUEUED, 1)
    assert "451" in email.last_error
    smtp.defer.clear()
    assert email_sweep(now=timezone.now() + timedelta(seconds=61)) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == (EmailStatus.SENT, 2, "")
    assert [m.recipients for m in smtp.messages] == [["busy@example.org"]]


def test_an_unreachable_smtp_server_is_retried_then_given_up(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = realstack.free_port()  # nothing listens there
    settings.EMAIL_TIMEOUT = 2
    email = _queued()
    now = timezone.now()
    for attempt in range(1, settings.MAIL_MAX_ATTEMPTS + 1):
        now += timedelta(seconds=61)
        assert email_sweep(now=now) == 1
        email.refresh_from_db()
        assert email.attempts == attempt
        assert email.status == (EmailStatus.QUEUED if attempt < settings.MAIL_MAX_ATTEMPTS else EmailStatus.FAILED)
    assert email_sweep(now=now + timedelta(hours=1)) == 0
