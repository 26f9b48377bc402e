"""One round trip to the database per message of a chunk, on PostgreSQL.

Before each message the worker renews its chunk's lease and marks the delivery in flight (the
fencing that keeps a stalled worker from sending once its chunk is handed on); after it, the
delivery is marked sent. The mark of one message and the take of the next travel in one
statement, so the fencing costs no round trip of its own: at a million subscribers, the one it
used to cost was a tenth of the send's wall time (bench/RESULTS.md, "Re-run after the
architecture step").
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from newsletter import services
from newsletter.models import Delivery, DeliveryStatus, Newsletter, NewsletterStatus, SendChunk
from newsletter.services.chunks import STATUS_BATCH
from tests.newsletter.conftest import make_subscriber
from tests.newsletter.helpers import compose

N = 30


def _chunk_of(count: int) -> SendChunk:
    newsletter = compose()
    Newsletter.objects.filter(pk=newsletter.pk).update(status=NewsletterStatus.SENDING, prepared=True)
    for i in range(count):
        subscriber = make_subscriber(f"reader{i:03}@example.org", town="Lowell", name=f"Reader {i}")
        Delivery.objects.create(newsletter=newsletter, subscriber=subscriber, chunk=0)
    return SendChunk.objects.create(newsletter=newsletter, number=0, size=count, queued_at=timezone.now())


@pytest.mark.django_db(transaction=True)
def test_a_chunk_costs_one_statement_per_message_on_postgresql(settings):
    if connection.vendor != "postgresql":
        pytest.skip("Prepared statements are PostgreSQL's (CI runs this on PostgreSQL).")
    settings.NEWSLETTER_CHUNK_SIZE = N
    chunk = _chunk_of(N)
    with CaptureQueriesContext(connection) as queries:
        assert services.chunk_send(chunk_id=chunk.pk) == N
    executes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("EXECUTE ")]
    # Per batch of STATUS_BATCH (the status re-read between batches): a take for its first
    # message, a mark for its last, one combined statement for each pair between. It was two
    # per message (2N) before the mark carried the next take.
    batches = -(-N // STATUS_BATCH)
    assert len(executes) <= N + batches, f"{len(executes)} EXECUTEs for {N} messages in {batches} batches"
    assert len(mail.outbox) == N
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == N
    assert not Delivery.objects.exclude(status=DeliveryStatus.SENT).exists()
