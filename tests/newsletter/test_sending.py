"""Sending: what the mail backend actually received, once per recipient, with the right headers."""

from __future__ import annotations

import contextlib
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.utils import timezone

from newsletter import services
from newsletter.models import (
    ChunkStatus,
    Delivery,
    DeliveryStatus,
    Newsletter,
    NewsletterStatus,
    SendChunk,
    Subscriber,
    SubscriberStatus,
    SuppressionReason,
)
from newsletter.tokens import unsubscribe_token
from tests.newsletter.conftest import ma, make_subscriber
from tests.newsletter.helpers import compose, composer, html_of, recipients, send_all

pytestmark = pytest.mark.django_db


def test_a_send_reaches_every_confirmed_subscriber_exactly_once_and_nobody_else(
    bob, carol, dan, pete, uma, django_capture_on_commit_callbacks
):
    newsletter = send_all(compose(), django_capture_on_commit_callbacks)
    assert recipients() == ["bob@example.org", "carol@example.org", "dan@example.org"]
    assert newsletter.status == NewsletterStatus.SENT
    assert newsletter.recipient_count == 3
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


def test_every_newsletter_email_carries_one_click_unsubscribe_headers_and_a_visible_link(
    bob, django_capture_on_commit_callbacks
):
    send_all(compose(), django_capture_on_commit_callbacks)
    [message] = mail.outbox
    token = unsubscribe_token(bob.pk)
    url = f"https://portal.example.org/newsletter/unsubscribe/{token}/"
    assert message.extra_headers["List-Unsubscribe"].startswith(f"<{url}>, <mailto:unsubscribe@")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "newsletter.indivisiblemass.org" in message.extra_headers["List-Id"]
    html = html_of(message)
    assert f'href="{url}"' in html and ">Unsubscribe</a>" in html
    assert url in message.body  # the plain-text part, generated from the HTML
    assert "/newsletter/preferences/" in html and "/newsletter/preferences/" in message.body
    assert "P.O. Box" in html and "P.O. Box" in message.body  # the postal address
    assert "Hi Bob," in html and "Hi Bob," in message.body


def test_the_html_part_has_inlined_css_and_sanitised_markdown(bob, django_capture_on_commit_callbacks):
    body = "# Big news\n\n**Bold** and [a link](https://example.org).\n\n<script>alert(1)</script>"
    send_all(compose(body=body), django_capture_on_commit_callbacks)
    html = html_of(mail.outbox[0])
    assert "<strong>Bold</strong>" in html
    assert "<script" not in html
    assert 'style="' in html and "font-family" in html  # inlined from the template's <style>
    assert "Bold and a link (https://example.org)" in mail.outbox[0].body


def test_the_district_segment_reaches_only_that_districts_subscribers(
    bob, carol, dan, django_capture_on_commit_callbacks
):
    send_all(compose(districts=[ma(3)]), django_capture_on_commit_callbacks)
    assert recipients() == ["bob@example.org"]


def test_the_events_block_is_filled_per_recipients_district(
    bob, carol, django_capture_on_commit_callbacks, monkeypatch
):
    from newsletter import selectors

    def fake_events(district_id, limit=5):
        code = f"MA-{district_id and ma_number(district_id)}"
        return [selectors.EventItem(title=f"Town hall in {code}", url="https://portal.example.org/events/x/")]

    def ma_number(district_id):
        from districts.models import District

        return District.objects.get(pk=district_id).number

    monkeypatch.setattr(selectors, "upcoming_events", fake_events)
    send_all(compose(include_events=True), django_capture_on_commit_callbacks)
    by_address = {m.to[0]: m for m in mail.outbox}
    assert "Town hall in MA-3" in html_of(by_address["bob@example.org"])
    assert "Town hall in MA-1" not in html_of(by_address["bob@example.org"])
    assert "Town hall in MA-1" in by_address["carol@example.org"].body


def test_without_the_events_app_the_events_block_is_simply_left_out(bob, django_capture_on_commit_callbacks):
    send_all(compose(include_events=True), django_capture_on_commit_callbacks)
    assert "IMCPH" not in html_of(mail.outbox[0]) and "IMCPH" not in mail.outbox[0].body


def test_a_test_send_goes_to_the_coordinator_only(bob, coordinator, django_capture_on_commit_callbacks):
    newsletter = compose()
    with django_capture_on_commit_callbacks(execute=True):
        services.newsletter_send_test(newsletter=newsletter, by=coordinator)
    assert recipients() == ["cora@example.org"]
    assert mail.outbox[0].subject == "[TEST] Spring update"
    assert "Hi Cora," in mail.outbox[0].body
    newsletter.refresh_from_db()
    assert newsletter.status == NewsletterStatus.DRAFT
    assert not Delivery.objects.exists()


def test_a_scheduled_issue_waits_for_its_time_then_the_sweeper_sends_it(
    bob, django_capture_on_commit_callbacks, coordinator
):
    newsletter = compose()
    services.newsletter_schedule(
        newsletter=newsletter, by=coordinator, when=timezone.now() + timezone.timedelta(hours=2)
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.newsletter_sweep()
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        services.newsletter_sweep(now=timezone.now() + timezone.timedelta(hours=3))
    assert recipients() == ["bob@example.org"]
    newsletter.refresh_from_db()
    assert newsletter.status == NewsletterStatus.SENT


def test_scheduling_in_the_past_is_refused(bob, coordinator):
    newsletter = compose()
    with pytest.raises(services.NotAllowed):
        services.newsletter_schedule(
            newsletter=newsletter, by=coordinator, when=timezone.now() - timezone.timedelta(minutes=1)
        )
    newsletter.refresh_from_db()
    assert newsletter.status == NewsletterStatus.DRAFT


def _prepared(newsletter, capture):
    """Start a send and write its rows, but keep its chunks from being handed to a worker."""
    with capture(execute=False):
        services.newsletter_send_now(newsletter=newsletter, by=composer())
    with capture(execute=False):
        services.newsletter_prepare(newsletter_id=newsletter.pk)
    newsletter.refresh_from_db()
    return newsletter


def test_delivery_rows_exist_for_every_recipient_before_anything_is_sent(
    bob, carol, dan, settings, django_capture_on_commit_callbacks
):
    settings.NEWSLETTER_CHUNK_SIZE = 2
    newsletter = _prepared(compose(), django_capture_on_commit_callbacks)
    assert mail.outbox == []
    assert Delivery.objects.filter(newsletter=newsletter, status=DeliveryStatus.PENDING).count() == 3
    assert list(SendChunk.objects.filter(newsletter=newsletter).values_list("number", "size")) == [(0, 2), (1, 1)]
    # Preparing again (a sweeper that thought it died) writes nothing twice.
    with django_capture_on_commit_callbacks(execute=False):
        services.newsletter_prepare(newsletter_id=newsletter.pk)
    assert Delivery.objects.filter(newsletter=newsletter).count() == 3


def test_a_paused_send_sends_nothing_until_it_is_resumed(bob, carol, django_capture_on_commit_callbacks, coordinator):
    newsletter = _prepared(compose(), django_capture_on_commit_callbacks)
    services.newsletter_pause(newsletter=newsletter, by=coordinator)
    chunk = SendChunk.objects.get(newsletter=newsletter)
    assert services.chunk_send(chunk_id=chunk.pk) == 0
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        services.newsletter_resume(newsletter=newsletter, by=coordinator)
    assert recipients() == ["bob@example.org", "carol@example.org"]
    newsletter.refresh_from_db()
    assert newsletter.status == NewsletterStatus.SENT


def test_a_pause_takes_effect_in_the_middle_of_a_chunk(settings, django_capture_on_commit_callbacks, coordinator):
    for n in range(60):
        make_subscriber(f"s{n:02}@example.org")
    newsletter = _prepared(compose(), django_capture_on_commit_callbacks)

    class PausingBackend(LocmemBackend):
        def send_messages(self, messages):
            sent = super().send_messages(messages)
            if len(mail.outbox) == 10:
                services.newsletter_pause(newsletter=newsletter, by=coordinator)
            return sent

    settings.EMAIL_BACKEND = f"{__name__}.PausingBackend"
    globals()["PausingBackend"] = PausingBackend
    chunk = SendChunk.objects.get(newsletter=newsletter)
    services.chunk_send(chunk_id=chunk.pk)
    # The pause is seen before the next status batch: the first 25 at most.
    assert 10 <= len(mail.outbox) <= 25
    chunk.refresh_from_db()
    assert chunk.status == ChunkStatus.QUEUED
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        services.newsletter_resume(newsletter=newsletter, by=coordinator)
    assert len(mail.outbox) == 60
    assert len(set(recipients())) == 60


def test_a_cancelled_send_sends_nothing_more_and_reports_what_was_not_sent(
    bob, carol, django_capture_on_commit_callbacks, coordinator
):
    newsletter = _prepared(compose(), django_capture_on_commit_callbacks)
    services.newsletter_cancel(newsletter=newsletter, by=coordinator)
    chunk = SendChunk.objects.get(newsletter=newsletter)
    assert services.chunk_send(chunk_id=chunk.pk) == 0
    with django_capture_on_commit_callbacks(execute=True):
        services.newsletter_sweep()
    assert mail.outbox == []
    newsletter.refresh_from_db()
    assert newsletter.status == NewsletterStatus.CANCELLED
    with pytest.raises(services.NotAllowed):
        services.newsletter_resume(newsletter=newsletter, by=coordinator)
    from newsletter.selectors import report

    assert report(newsletter).not_sent == 2


def test_an_unsubscribe_during_a_send_stops_the_messages_not_yet_sent(settings, django_capture_on_commit_callbacks):
    subscribers = [make_subscriber(f"s{n:02}@example.org") for n in range(60)]
    late = subscribers[50]
    newsletter = _prepared(compose(), django_capture_on_commit_callbacks)

    class UnsubscribingBackend(LocmemBackend):
        def send_messages(self, messages):
            if len(mail.outbox) == 0:
                services.subscriber_unsubscribe(subscriber_id=late.pk)
            return super().send_messages(messages)

    globals()["UnsubscribingBackend"] = UnsubscribingBackend
    settings.EMAIL_BACKEND = f"{__name__}.UnsubscribingBackend"
    services.chunk_send(chunk_id=SendChunk.objects.get(newsletter=newsletter).pk)
    assert len(mail.outbox) == 59
    assert late.email not in recipients()
    assert Delivery.objects.get(subscriber=late).status == DeliveryStatus.SKIPPED


class RefusingBackend(LocmemBackend):
    """Refuses one address for good, as an SMTP server answering 550 to RCPT TO would."""

    refused = "gone@example.org"

    def send_messages(self, messages):
        for message in messages:
            if self.refused in message.to:
                raise smtplib.SMTPRecipientsRefused({self.refused: (550, b"5.1.1 No such user")})
        return super().send_messages(messages)


def test_a_permanent_smtp_refusal_suppresses_the_address_for_every_later_send(
    bob, settings, django_capture_on_commit_callbacks
):
    gone = make_subscriber("gone@example.org")
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    first = send_all(compose(), django_capture_on_commit_callbacks)
    assert recipients() == ["bob@example.org"]
    failed = Delivery.objects.get(newsletter=first, subscriber=gone)
    assert failed.status == DeliveryStatus.FAILED and failed.error.startswith("550")
    gone.refresh_from_db()
    assert gone.suppressed and gone.suppressed_reason == SuppressionReason.REFUSED
    mail.outbox.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    second = send_all(compose("Summer update"), django_capture_on_commit_callbacks)
    assert recipients() == ["bob@example.org"]
    assert not Delivery.objects.filter(newsletter=second, subscriber=gone).exists()


class FlakyBackend(LocmemBackend):
    """The server hangs up once, then works."""

    failures = 1

    def send_messages(self, messages):
        if FlakyBackend.failures:
            FlakyBackend.failures -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


def test_a_dropped_connection_leaves_the_chunk_for_a_retry_that_sends_each_message_once(
    bob, carol, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    FlakyBackend.failures = 1
    newsletter = _prepared(compose(), django_capture_on_commit_callbacks)
    chunk = SendChunk.objects.get(newsletter=newsletter)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        services.chunk_send(chunk_id=chunk.pk)
    chunk.refresh_from_db()
    assert chunk.status == ChunkStatus.QUEUED
    with django_capture_on_commit_callbacks(execute=True):
        services.newsletter_sweep(now=timezone.now() + timezone.timedelta(minutes=5))
    assert recipients() == ["bob@example.org", "carol@example.org"]


def test_the_sweeper_requeues_a_chunk_whose_worker_died(bob, carol, django_capture_on_commit_callbacks):
    newsletter = _prepared(compose(), django_capture_on_commit_callbacks)
    chunk = SendChunk.objects.get(newsletter=newsletter)
    # A worker claimed it, sent to Bob, and was killed.
    SendChunk.objects.filter(pk=chunk.pk).update(
        status=ChunkStatus.INFLIGHT, lease_until=timezone.now() + timezone.timedelta(minutes=2)
    )
    Delivery.objects.filter(subscriber=bob).update(status=DeliveryStatus.SENT, sent_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        services.newsletter_sweep()  # its heartbeat is fresh: left alone
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        services.newsletter_sweep(now=timezone.now() + timezone.timedelta(minutes=5))
    assert recipients() == ["carol@example.org"]
    newsletter.refresh_from_db()
    assert newsletter.status == NewsletterStatus.SENT


def test_bounces_and_complaints_from_the_email_service_suppress_the_address(
    bob, carol, dan, django_capture_on_commit_callbacks
):
    from anymail.signals import AnymailTrackingEvent, tracking

    newsletter = send_all(compose(), django_capture_on_commit_callbacks)
    bob_delivery = Delivery.objects.get(newsletter=newsletter, subscriber=bob)
    for event_type, recipient, metadata in [
        ("bounced", "bob@example.org", {"delivery_id": str(bob_delivery.pk)}),
        ("complained", "carol@example.org", {}),
        ("deferred", "dan@example.org", {}),  # a soft bounce: nothing happens
    ]:
        event = AnymailTrackingEvent(event_type=event_type, recipient=recipient, metadata=metadata)
        tracking.send(sender=object, event=event, esp_name="TestESP")
    statuses = {s.email: (s.suppressed, s.suppressed_reason) for s in Subscriber.objects.all()}
    assert statuses == {
        "bob@example.org": (True, SuppressionReason.BOUNCE),
        "carol@example.org": (True, SuppressionReason.COMPLAINT),
        "dan@example.org": (False, ""),
    }
    bob_delivery.refresh_from_db()
    assert bob_delivery.bounced
    mail.outbox.clear()
    send_all(compose("Next"), django_capture_on_commit_callbacks)
    assert recipients() == ["dan@example.org"]
    from newsletter.selectors import report

    assert report(newsletter).bounced == 2


def test_the_report_counts_unsubscribes_since_the_send(bob, carol, client, django_capture_on_commit_callbacks):
    newsletter = send_all(compose(), django_capture_on_commit_callbacks)
    client.post(f"/newsletter/unsubscribe/{unsubscribe_token(bob.pk)}/")
    from newsletter.selectors import report

    numbers = report(newsletter)
    assert (numbers.delivered, numbers.failed, numbers.unsubscribed_since) == (2, 0, 1)
    assert Subscriber.objects.get(pk=bob.pk).status == SubscriberStatus.UNSUBSCRIBED


def test_the_database_rate_limiter_spaces_reservations_at_the_configured_rate(db):
    from newsletter.send_rate import BURST_SECONDS, DatabaseRateLimiter

    limiter = DatabaseRateLimiter(10.0)
    assert limiter.reserve(10) == 0.0
    wait = limiter.reserve(10)
    assert 1.0 - BURST_SECONDS - 0.1 <= wait <= 1.0
    assert limiter.grant_size(25) == 1


def test_a_rate_limited_send_takes_as_long_as_the_rate_says(settings, django_capture_on_commit_callbacks):
    import time

    settings.NEWSLETTER_RATE_PER_SECOND = 20.0
    from newsletter.send_rate import BURST_SECONDS

    for n in range(24):
        make_subscriber(f"r{n:02}@example.org")
    started = time.monotonic()
    send_all(compose(), django_capture_on_commit_callbacks)
    elapsed = time.monotonic() - started
    assert len(mail.outbox) == 24
    # Reserved two at a time (a tenth of a second's worth): the last pair may start at
    # 22 / 20 = 1.1 s, less the small burst the limiter allows.
    assert elapsed >= 1.1 - BURST_SECONDS - 0.05


@pytest.mark.realstack
def test_the_redis_rate_limiter_is_shared_by_every_process(db):
    from newsletter.send_rate import BUCKET, BURST_SECONDS, RedisRateLimiter
    from tests.realstack import redis_url

    url = redis_url()  # skipped without Redis on a laptop, a failure under CI
    import redis

    redis.Redis.from_url(url).delete(f"imc:{BUCKET}")
    first, second = RedisRateLimiter(10.0, url), RedisRateLimiter(10.0, url)  # two workers
    assert first.reserve(10) == 0.0
    wait = second.reserve(10)
    assert 1.0 - BURST_SECONDS - 0.1 <= wait <= 1.0


def test_the_anymail_tracking_webhook_suppresses_a_hard_bounce(bob, client, settings):
    """Through a real provider's webhook view (Postmark's format), not just the signal."""
    import json

    settings.ANYMAIL = {"WEBHOOK_SECRET": "user:pass"}
    payload = {
        "RecordType": "Bounce",
        "Type": "HardBounce",
        "TypeCode": 1,
        "Email": "bob@example.org",
        "Description": "The server was unable to deliver your message",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "BouncedAt": "2026-03-01T10:00:00Z",
        "MessageID": "00000000-0000-0000-0000-000000000000",
        "Metadata": {},
    }
    response = client.post(
        "/anymail/postmark/tracking/",
        json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz",
    )
    assert response.status_code == 200
    bob.refresh_from_db()
    assert bob.suppressed and bob.suppressed_reason == SuppressionReason.BOUNCE


def test_the_events_block_comes_from_the_events_app_for_each_recipients_district(
    bob, carol, dan, django_capture_on_commit_callbacks
):
    from tests.events.conftest import make_event

    make_event(title="Lowell town hall", town="Lowell")  # MA-3, Bob's district
    make_event(title="Springfield phone bank", town="Springfield")  # MA-1, Carol's
    send_all(compose(include_events=True), django_capture_on_commit_callbacks)
    by_address = {m.to[0]: m for m in mail.outbox}
    bob_html = html_of(by_address["bob@example.org"])
    assert "Upcoming events in your district" in bob_html and "Lowell town hall" in bob_html
    assert "Springfield phone bank" not in bob_html
    assert "Springfield phone bank" in by_address["carol@example.org"].body
    assert "Upcoming events" not in by_address["dan@example.org"].body  # no district, no block


# --- fencing: a worker never sends for a chunk it no longer owns -------------------------------


class StallingBackend(LocmemBackend):
    """While its first message is on its way, the worker stalls past its lease: the sweeper
    hands the chunk on and a second worker (run in-process, eagerly) claims and sends it."""

    stalled = False

    def send_messages(self, messages):
        sent = super().send_messages(messages)
        if not StallingBackend.stalled:
            StallingBackend.stalled = True
            services.newsletter_sweep(now=timezone.now() + timezone.timedelta(minutes=10))
        return sent


def test_a_worker_whose_chunk_was_handed_on_sends_nothing_more_and_nobody_gets_two_copies(
    bob, carol, dan, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"{__name__}.StallingBackend"
    StallingBackend.stalled = False
    newsletter = _prepared(compose(), django_capture_on_commit_callbacks)
    chunk = SendChunk.objects.get(newsletter=newsletter)

    sent_by_first = services.chunk_send(chunk_id=chunk.pk)

    # The first worker sent Bob's message, then found its token outdated: Carol and Dan came from
    # the second worker only, and the second left Bob's message (in flight) to its owner.
    assert sent_by_first == 1
    assert recipients() == ["bob@example.org", "carol@example.org", "dan@example.org"]
    chunk.refresh_from_db()
    assert chunk.attempts == 2 and chunk.token == 2
    assert Delivery.objects.get(subscriber=bob).status == DeliveryStatus.SENT
    # Once the in-flight time is over, the chunk closes without sending anything again.
    with django_capture_on_commit_callbacks(execute=True):
        services.newsletter_sweep(now=timezone.now() + timezone.timedelta(hours=1))
    assert recipients() == ["bob@example.org", "carol@example.org", "dan@example.org"]
    newsletter.refresh_from_db()
    assert newsletter.status == NewsletterStatus.SENT


def test_a_stale_token_sends_nothing(bob, carol, django_capture_on_commit_callbacks):
    newsletter = _prepared(compose(), django_capture_on_commit_callbacks)
    chunk = SendChunk.objects.get(newsletter=newsletter)
    from newsletter.services import chunks

    first, first_token = chunks._claim(chunk.pk)
    # Handed on (lease expired) and claimed again by another worker.
    SendChunk.objects.filter(pk=chunk.pk).update(status=ChunkStatus.QUEUED)
    _, second_token = chunks._claim(chunk.pk)
    assert second_token == first_token + 1
    factory = chunks.ChunkMessages(chunks.rendering.render_issue(newsletter), newsletter.pk, None)
    delivery = Delivery.objects.select_related("subscriber").get(subscriber=bob)
    with pytest.raises(chunks.LeaseLost):
        chunks._send_one(factory, chunks.Claim(chunk.pk, first_token), newsletter, delivery, {}, None)
    assert mail.outbox == []
    assert Delivery.objects.get(subscriber=bob).status == DeliveryStatus.PENDING
    assert not chunks._renew(chunk.pk, first_token) and chunks._renew(chunk.pk, second_token)


def test_a_message_another_worker_has_in_flight_waits_for_it_and_is_sent_again_only_once_presumed_lost(
    bob, carol, settings, django_capture_on_commit_callbacks
):
    newsletter = _prepared(compose(), django_capture_on_commit_callbacks)
    chunk = SendChunk.objects.get(newsletter=newsletter)
    # A worker marked Bob's message in flight, then died or stalled with it.
    Delivery.objects.filter(subscriber=bob).update(status=DeliveryStatus.INFLIGHT, inflight_at=timezone.now())
    services.chunk_send(chunk_id=chunk.pk)
    assert recipients() == ["carol@example.org"]
    chunk.refresh_from_db()
    assert chunk.status == ChunkStatus.QUEUED  # not done: Bob's message may still be on its way
    with django_capture_on_commit_callbacks(execute=True):
        services.newsletter_sweep()  # too early to presume it lost
    assert recipients() == ["carol@example.org"]

    # The in-flight time has passed without its owner recording it: sent again, once.
    long_ago = timezone.now() - timezone.timedelta(seconds=settings.NEWSLETTER_DELIVERY_INFLIGHT_SECONDS + 1)
    Delivery.objects.filter(subscriber=bob).update(inflight_at=long_ago)
    with django_capture_on_commit_callbacks(execute=True):
        services.newsletter_sweep(now=timezone.now() + timezone.timedelta(hours=1))
    assert recipients() == ["bob@example.org", "carol@example.org"]
    newsletter.refresh_from_db()
    assert newsletter.status == NewsletterStatus.SENT


def test_a_slow_server_does_not_let_the_lease_expire_while_the_owner_sends(
    bob, carol, settings, django_capture_on_commit_callbacks
):
    settings.NEWSLETTER_CHUNK_LEASE_SECONDS = 60
    newsletter = _prepared(compose(), django_capture_on_commit_callbacks)
    chunk = SendChunk.objects.get(newsletter=newsletter)
    before = timezone.now()
    services.chunk_send(chunk_id=chunk.pk)
    chunk.refresh_from_db()
    # Renewed before each message: the last renewal came after the claim.
    assert chunk.lease_until > before + timezone.timedelta(seconds=59)
    assert chunk.status == ChunkStatus.DONE


# --- a send that cannot go out fails visibly ------------------------------------------------


BAD_SUBJECTS = ["Spring\r\nBcc: everyone@example.org", "Spring\nupdate", "Spring\rupdate", "Spring\x1b[31m", "A\u2028B"]


@pytest.mark.parametrize("subject", BAD_SUBJECTS)
def test_a_subject_with_a_line_break_or_control_character_is_refused_before_anything_is_sent(
    bob, coordinator, subject, django_capture_on_commit_callbacks
):
    from outbox.models import OutboundEmail

    newsletter = compose()
    Newsletter.objects.filter(pk=newsletter.pk).update(subject=subject)  # saved before forms refused it
    newsletter.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(services.NotSendable, match="line break"):
            services.newsletter_send_now(newsletter=newsletter, by=coordinator)
        with pytest.raises(services.NotSendable, match="line break"):
            services.newsletter_send_test(newsletter=newsletter, by=coordinator)
        with pytest.raises(services.NotSendable, match="line break"):
            services.newsletter_schedule(
                newsletter=newsletter, by=coordinator, when=timezone.now() + timezone.timedelta(hours=1)
            )
    newsletter.refresh_from_db()
    assert newsletter.status == NewsletterStatus.DRAFT
    assert mail.outbox == [] and not OutboundEmail.objects.exists()
    assert not Delivery.objects.exists()


def _assert_failed(newsletter: Newsletter, reason: str) -> None:
    """The send stopped visibly, with its reason, and nothing left."""
    newsletter.refresh_from_db()
    assert newsletter.status == NewsletterStatus.FAILED
    assert reason in newsletter.failure_reason
    assert mail.outbox == []


def test_a_send_whose_message_cannot_be_built_fails_with_its_reason_instead_of_looping(
    bob, carol, django_capture_on_commit_callbacks
):
    newsletter = _prepared(compose(), django_capture_on_commit_callbacks)
    # The subject went bad after the send started (a direct database edit, an old row).
    Newsletter.objects.filter(pk=newsletter.pk).update(subject="Broken\r\nsubject")
    with django_capture_on_commit_callbacks(execute=True):
        services.newsletter_sweep(now=timezone.now() + timezone.timedelta(minutes=5))
    _assert_failed(newsletter, "line break")
    with django_capture_on_commit_callbacks(execute=True):
        report = services.newsletter_sweep(now=timezone.now() + timezone.timedelta(minutes=10))
    assert report["requeued"] == 0  # no loop: a failed send is left alone
    assert SendChunk.objects.get(newsletter=newsletter).status == ChunkStatus.QUEUED
    assert Delivery.objects.filter(newsletter=newsletter, status=DeliveryStatus.PENDING).count() == 2


def test_a_render_error_is_permanent_and_fails_the_send(bob, monkeypatch, django_capture_on_commit_callbacks):
    from newsletter import rendering

    newsletter = _prepared(compose(), django_capture_on_commit_callbacks)

    def broken(newsletter):
        raise ValueError("unknown template variable")

    monkeypatch.setattr(rendering, "render_issue", broken)
    chunk = SendChunk.objects.get(newsletter=newsletter)
    assert services.chunk_send(chunk_id=chunk.pk) == 0
    _assert_failed(newsletter, "unknown template variable")


def test_a_scheduled_issue_whose_subject_cannot_be_sent_fails_visibly_at_its_time(
    bob, django_capture_on_commit_callbacks, coordinator
):
    newsletter = compose()
    services.newsletter_schedule(
        newsletter=newsletter, by=coordinator, when=timezone.now() + timezone.timedelta(minutes=5)
    )
    Newsletter.objects.filter(pk=newsletter.pk).update(subject="Broken\nsubject")
    with django_capture_on_commit_callbacks(execute=True):
        services.newsletter_sweep(now=timezone.now() + timezone.timedelta(minutes=10))
    _assert_failed(newsletter, "line break")


class DownBackend(LocmemBackend):
    def open(self):
        raise smtplib.SMTPConnectError(421, "Service not available")


def test_a_chunk_that_keeps_failing_fails_the_send_after_a_bounded_number_of_tries(
    bob, settings, django_capture_on_commit_callbacks, coordinator
):
    settings.EMAIL_BACKEND = f"{__name__}.DownBackend"
    settings.NEWSLETTER_CHUNK_MAX_FAILURES = 3
    newsletter = _prepared(compose(), django_capture_on_commit_callbacks)
    for tick in range(1, 10):
        # In-process (eager) the chunk task's error reaches the sweep that queued it; on a worker
        # it stays there.
        with contextlib.suppress(smtplib.SMTPConnectError), django_capture_on_commit_callbacks(execute=True):
            services.newsletter_sweep(now=timezone.now() + timezone.timedelta(minutes=5 * tick))
    newsletter.refresh_from_db()
    assert newsletter.status == NewsletterStatus.FAILED
    assert "failed 3 times" in newsletter.failure_reason and "421" in newsletter.failure_reason
    assert SendChunk.objects.get(newsletter=newsletter).failures == 3

    # Once the server is back, the coordinator tries again, and it goes out.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        services.newsletter_resume(newsletter=newsletter, by=coordinator)
    newsletter.refresh_from_db()
    assert newsletter.status == NewsletterStatus.SENT and newsletter.failure_reason == ""
    assert recipients() == ["bob@example.org"]


def test_the_staff_pages_show_a_failed_send_and_its_reason(staff_client, client):
    newsletter = compose()
    reason = "Part 1 of the send failed 5 times; last error: SMTPConnectError: 421"
    Newsletter.objects.filter(pk=newsletter.pk).update(status=NewsletterStatus.FAILED, failure_reason=reason)
    page = staff_client.get(f"/newsletter/staff/{newsletter.pk}/").content.decode()
    assert "The send stopped." in page and reason in page and "Try again" in page
    assert reason in staff_client.get("/newsletter/staff/").content.decode()
    assert reason in staff_client.get("/admin/newsletter/newsletter/").content.decode()
    assert staff_client.get(f"/newsletter/staff/{newsletter.pk}/progress.json").json()["status"] == "failed"
    assert reason not in client.get(f"/newsletter/staff/{newsletter.pk}/").content.decode()  # an outsider


def test_a_test_send_of_a_subject_with_a_line_break_says_why_and_sends_nothing(staff_client):
    from outbox.models import OutboundEmail

    newsletter = compose()
    Newsletter.objects.filter(pk=newsletter.pk).update(subject="Spring\r\nupdate")
    response = staff_client.post(f"/newsletter/staff/{newsletter.pk}/test/", follow=True)
    assert response.status_code == 200
    assert "line break" in response.content.decode()
    assert not OutboundEmail.objects.exists()
