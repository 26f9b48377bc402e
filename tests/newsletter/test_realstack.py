"""End to end on the real stack: PostgreSQL (or SQLite on disk), Redis, Celery worker processes, SMTP.

Counts what the SMTP server on loopback actually received.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from newsletter import services
from newsletter.models import (
    ConsentSource,
    Delivery,
    DeliveryStatus,
    Newsletter,
    NewsletterStatus,
    SendChunk,
    Subscriber,
)
from newsletter.models import SubscriberStatus as S
from tests import realstack
from tests.newsletter.helpers import compose

pytestmark = pytest.mark.realstack

WORKER_ENV = {"NEWSLETTER_RATE_PER_SECOND": "500", "NEWSLETTER_CHUNK_SIZE": "200"}


# A short lease, so that the sweeper hands a chunk on within seconds, and an in-flight message
# presumed lost after some more: the worker's own settings, read from its environment.
LEASE_SECONDS = 3
LEASE_ENV = {
    **WORKER_ENV,
    "NEWSLETTER_CHUNK_LEASE_SECONDS": str(LEASE_SECONDS),
    "NEWSLETTER_DELIVERY_INFLIGHT_SECONDS": "20",
}


def _readers(count: int) -> list[str]:
    now = timezone.now()
    emails = [f"reader{n:04}@example.org" for n in range(count)]
    Subscriber.objects.bulk_create(
        [
            Subscriber(
                email=email, status=S.CONFIRMED, consent_at=now, consent_source=ConsentSource.IMPORT, confirmed_at=now
            )
            for email in emails
        ]
    )
    return emails


def _copies(sink: realstack.SmtpSink) -> Counter:
    """How many copies each address received, once the server has been quiet for a while."""
    quiet_for = 2 * sink.delay + 2
    seen, since = -1, time.monotonic()
    while time.monotonic() - since < quiet_for:
        with sink.lock:
            now_seen = len(sink.messages)
        if now_seen != seen:
            seen, since = now_seen, time.monotonic()
        time.sleep(0.2)
    with sink.lock:
        return Counter(address for m in sink.messages for address in m.recipients)


@pytest.fixture
def slow_smtp_server():
    sink, controller = realstack.start_smtp_sink(delay=1.5)
    yield sink
    controller.stop()


@pytest.fixture
def sluggish_smtp_server():
    sink, controller = realstack.start_smtp_sink(delay=0.5)
    yield sink
    controller.stop()


def _wait_until(predicate, timeout: float, step: float = 0.2, sweep: bool = False) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        if sweep:
            services.newsletter_sweep()
        time.sleep(step)
    return predicate()


@pytest.fixture
def pipelining_smtp_server():
    """Like production servers, this one offers PIPELINING, so the chunks pipeline their messages."""
    from tests.newsletter.test_smtp_pipelining import start_pipelining_sink

    sink, controller = start_pipelining_sink()
    yield sink
    controller.stop()


def test_a_send_to_2000_survives_a_killed_worker_everyone_once_unsubscribed_nobody(
    worker_factory, pipelining_smtp_server, settings, coordinator
):
    smtp_server = pipelining_smtp_server
    settings.NEWSLETTER_CHUNK_LEASE_SECONDS = LEASE_SECONDS
    readers = _readers(2000)
    worker = worker_factory(smtp_server, extra_env=LEASE_ENV)
    newsletter = compose("Two thousand")
    services.newsletter_send_now(newsletter=newsletter, by=coordinator)  # after commit: prepare, then the chunks

    assert _wait_until(lambda: len(smtp_server.messages) >= 500, timeout=120), worker.log()[-3000:]
    # Unsubscribe twenty readers whose message has not gone yet, then kill the worker mid-send.
    late = list(
        Delivery.objects.filter(newsletter=newsletter, status=DeliveryStatus.PENDING)
        .order_by("-pk")
        .values_list("subscriber_id", flat=True)[:20]
    )
    for subscriber_id in late:
        services.subscriber_unsubscribe(subscriber_id=subscriber_id)
    unsubscribed = set(Subscriber.objects.filter(pk__in=late).values_list("email", flat=True))
    worker.kill()
    received_before_kill = len(smtp_server.messages)
    assert received_before_kill < 2000, "the send finished before the kill; the test proves nothing"
    assert Newsletter.objects.get(pk=newsletter.pk).status == NewsletterStatus.SENDING

    worker_factory(smtp_server, extra_env=LEASE_ENV)
    # The beat sweeper's work, run here every 0.2 s: chunks whose worker died go back to the queue.
    finished = _wait_until(
        lambda: Newsletter.objects.get(pk=newsletter.pk).status == NewsletterStatus.SENT, timeout=240, sweep=True
    )
    assert finished, f"not finished: {Counter(Delivery.objects.values_list('status', flat=True))}"
    time.sleep(0.5)

    with smtp_server.lock:
        messages = list(smtp_server.messages)
    counts = Counter(address for m in messages for address in m.recipients)
    expected = set(readers) - unsubscribed
    assert expected <= set(counts), f"missing: {sorted(expected - set(counts))[:10]}"
    repeats = {address: n for address, n in counts.items() if n > 1}
    assert sum(n - 1 for n in repeats.values()) <= 1, f"more than one repeat for one kill: {repeats}"
    after_kill = [address for m in messages[received_before_kill:] for address in m.recipients]
    assert not unsubscribed & set(after_kill)
    assert not unsubscribed & set(counts)  # they were unsubscribed before their turn: nothing at all
    assert all(m.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click" for m in messages)
    assert Delivery.objects.filter(newsletter=newsletter, status=DeliveryStatus.SENT).count() == 1980
    assert Delivery.objects.filter(newsletter=newsletter, status=DeliveryStatus.SKIPPED).count() == 20


def test_a_permanent_smtp_refusal_on_the_real_stack_suppresses_the_address(worker_factory, smtp_server, coordinator):
    now = timezone.now()
    for email in ["ok@example.org", "gone@example.org"]:
        Subscriber.objects.create(
            email=email, status=S.CONFIRMED, consent_at=now, consent_source=ConsentSource.IMPORT, confirmed_at=now
        )
    smtp_server.refuse.add("gone@example.org")
    worker_factory(smtp_server, extra_env=WORKER_ENV)
    newsletter = compose("Refusals")
    services.newsletter_send_now(newsletter=newsletter, by=coordinator)
    assert _wait_until(lambda: Newsletter.objects.get(pk=newsletter.pk).status == NewsletterStatus.SENT, timeout=60)
    assert [m.recipients for m in smtp_server.messages] == [["ok@example.org"]]
    gone = Subscriber.objects.get(email="gone@example.org")
    assert gone.suppressed and gone.suppressed_reason == "refused"
    assert Delivery.objects.get(subscriber=gone).error.startswith("550")


def test_a_slow_smtp_server_with_two_workers_and_a_short_lease_sends_each_reader_one_copy(
    worker_factory, slow_smtp_server, settings, coordinator
):
    """Each message takes 1.5 s; the lease is 3 s. The worker renews its lease before each
    message, so the sweeper (run here every half second) never hands the chunk to the idle
    second worker while its owner is still sending."""
    sink = slow_smtp_server
    settings.NEWSLETTER_CHUNK_LEASE_SECONDS = LEASE_SECONDS
    readers = _readers(16)
    for _ in range(2):
        worker_factory(sink, extra_env=LEASE_ENV)
    newsletter = compose("A slow server")
    services.newsletter_send_now(newsletter=newsletter, by=coordinator)
    sent = _wait_until(
        lambda: Newsletter.objects.get(pk=newsletter.pk).status == NewsletterStatus.SENT,
        timeout=120,
        step=0.5,
        sweep=True,
    )
    copies = _copies(sink)
    assert sent, f"not finished: {Counter(Delivery.objects.values_list('status', flat=True))}"
    assert copies == dict.fromkeys(readers, 1), f"{sum(copies.values())} copies for {len(readers)} readers: {copies}"
    assert SendChunk.objects.get(newsletter=newsletter).attempts == 1  # never handed on


def test_a_worker_stopped_past_its_lease_sends_nothing_more_once_it_resumes(
    worker_factory, sluggish_smtp_server, settings, coordinator
):
    """The first worker is stopped (SIGSTOP) with a message in flight; the sweeper hands its
    chunk to a second worker, and the first resumes while the second is sending. It must not
    send another message, and the one it had in flight must neither be sent again nor lost."""
    if connection.vendor != "postgresql":
        # A stopped process keeps SQLite's one write lock, so the second worker could only wait.
        pytest.skip("A worker stopped mid-transaction needs PostgreSQL (CI runs this on PostgreSQL).")
    sink = sluggish_smtp_server
    settings.NEWSLETTER_CHUNK_LEASE_SECONDS = LEASE_SECONDS
    readers = _readers(30)
    workers = [worker_factory(sink, extra_env=LEASE_ENV) for _ in range(2)]
    newsletter = compose("A stalled worker")
    services.newsletter_send_now(newsletter=newsletter, by=coordinator)
    assert _wait_until(lambda: len(sink.messages) >= 2, timeout=60), workers[0].log()[-3000:]
    [first] = [worker for worker in workers if "newsletter.tasks.send_chunk[" in worker.log()]
    [second] = [worker for worker in workers if worker is not first]
    first.pause()
    chunk = SendChunk.objects.get(newsletter=newsletter)
    claims, received_at_pause = chunk.attempts, len(sink.messages)
    assert received_at_pause < len(readers) - 8, "the first worker sent nearly everything; the test proves nothing"
    taken_over = _wait_until(
        lambda: SendChunk.objects.get(pk=chunk.pk).attempts > claims and len(sink.messages) >= received_at_pause + 4,
        timeout=60,
        sweep=True,
    )
    assert taken_over, second.log()[-3000:]
    first.resume()
    sent = _wait_until(
        lambda: Newsletter.objects.get(pk=newsletter.pk).status == NewsletterStatus.SENT, timeout=120, sweep=True
    )
    copies = _copies(sink)
    assert sent, f"not finished: {Counter(Delivery.objects.values_list('status', flat=True))}"
    assert copies == dict.fromkeys(readers, 1), f"{sum(copies.values())} copies for {len(readers)} readers: {copies}"
    assert "was handed on while this worker sent it" in first.log()  # it woke up and stopped
