"""End to end on the real stack: PostgreSQL (or SQLite on disk), Redis, Celery worker processes, SMTP.

Counts what the SMTP server on loopback actually received.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.utils import timezone

from newsletter import services
from newsletter.models import ConsentSource, Delivery, DeliveryStatus, Newsletter, NewsletterStatus, Subscriber
from newsletter.models import SubscriberStatus as S
from tests.newsletter.helpers import compose

pytestmark = pytest.mark.realstack

WORKER_ENV = {"NEWSLETTER_RATE_PER_SECOND": "500", "NEWSLETTER_CHUNK_SIZE": "200"}


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
    worker_factory, pipelining_smtp_server, settings
):
    smtp_server = pipelining_smtp_server
    settings.NEWSLETTER_CHUNK_STALE_SECONDS = 3
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
            for n in range(2000)
        ]
    )
    worker = worker_factory(smtp_server, extra_env=WORKER_ENV)
    newsletter = compose("Two thousand")
    services.newsletter_send_now(newsletter=newsletter)  # after commit: prepare, then the chunks

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

    worker_factory(smtp_server, extra_env=WORKER_ENV)
    # The beat sweeper's work, run here every 0.2 s: chunks whose worker died go back to the queue.
    finished = _wait_until(
        lambda: Newsletter.objects.get(pk=newsletter.pk).status == NewsletterStatus.SENT, timeout=240, sweep=True
    )
    assert finished, f"not finished: {Counter(Delivery.objects.values_list('status', flat=True))}"
    time.sleep(0.5)

    with smtp_server.lock:
        messages = list(smtp_server.messages)
    counts = Counter(address for m in messages for address in m.recipients)
    expected = {f"reader{n:04}@example.org" for n in range(2000)} - unsubscribed
    assert expected <= set(counts), f"missing: {sorted(expected - set(counts))[:10]}"
    repeats = {address: n for address, n in counts.items() if n > 1}
    assert sum(n - 1 for n in repeats.values()) <= 1, f"more than one repeat for one kill: {repeats}"
    after_kill = [address for m in messages[received_before_kill:] for address in m.recipients]
    assert not unsubscribed & set(after_kill)
    assert not unsubscribed & set(counts)  # they were unsubscribed before their turn: nothing at all
    assert all(m.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click" for m in messages)
    assert Delivery.objects.filter(newsletter=newsletter, status=DeliveryStatus.SENT).count() == 1980
    assert Delivery.objects.filter(newsletter=newsletter, status=DeliveryStatus.SKIPPED).count() == 20


def test_a_permanent_smtp_refusal_on_the_real_stack_suppresses_the_address(worker_factory, smtp_server):
    now = timezone.now()
    for email in ["ok@example.org", "gone@example.org"]:
        Subscriber.objects.create(
            email=email, status=S.CONFIRMED, consent_at=now, consent_source=ConsentSource.IMPORT, confirmed_at=now
        )
    smtp_server.refuse.add("gone@example.org")
    worker_factory(smtp_server, extra_env=WORKER_ENV)
    newsletter = compose("Refusals")
    services.newsletter_send_now(newsletter=newsletter)
    assert _wait_until(lambda: Newsletter.objects.get(pk=newsletter.pk).status == NewsletterStatus.SENT, timeout=60)
    assert [m.recipients for m in smtp_server.messages] == [["ok@example.org"]]
    gone = Subscriber.objects.get(email="gone@example.org")
    assert gone.suppressed and gone.suppressed_reason == "refused"
    assert Delivery.objects.get(subscriber=gone).error.startswith("550")
