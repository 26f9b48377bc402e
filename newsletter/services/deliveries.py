"""Writing a send's delivery rows: one ``Delivery`` per recipient of the segment, one
``SendChunk`` per few hundred of them, before any chunk is queued.

The audience (``selectors.audience``: everyone, or the chosen districts, who still receive
mail) is read in keyset batches; the rows are unique on issue and subscriber. Only when every
row exists are the chunks handed to the workers (``lifecycle.queue_chunks``): nothing leaves
before that.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from newsletter import selectors
from newsletter.models import Delivery, DeliveryStatus, Newsletter, NewsletterStatus, SendChunk
from newsletter.services.lifecycle import queue_chunks


def newsletter_prepare(*, newsletter_id: int) -> int:
    """Write every delivery row of the send, in keyset batches; then queue the chunks.

    Safe to run again after a crash, or twice at once: each batch runs under a lock on the issue
    and continues after the last subscriber already written.
    """
    chunk_size = settings.NEWSLETTER_CHUNK_SIZE
    batch_size = chunk_size * 20
    while True:
        with transaction.atomic():
            newsletter = Newsletter.objects.select_for_update().filter(pk=newsletter_id).first()
            if newsletter is None or newsletter.prepared or newsletter.status != NewsletterStatus.SENDING:
                return 0
            done = Delivery.objects.filter(newsletter=newsletter).aggregate(
                last=Max("subscriber_id"), chunk=Max("chunk")
            )
            last = done["last"] or 0
            next_chunk = 0 if done["chunk"] is None else done["chunk"] + 1
            ids = list(
                selectors.audience(newsletter)
                .filter(pk__gt=last)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                total = Delivery.objects.filter(newsletter=newsletter).count()
                Newsletter.objects.filter(pk=newsletter.pk).update(prepared=True, recipient_count=total)
                transaction.on_commit(lambda: queue_chunks(newsletter_id))
                return total
            _write_deliveries(newsletter_id, ids, first_chunk=next_chunk, chunk_size=chunk_size)
            now = timezone.now()
            SendChunk.objects.bulk_create(
                [
                    SendChunk(
                        newsletter_id=newsletter_id,
                        number=next_chunk + n,
                        size=len(ids[start : start + chunk_size]),
                        queued_at=now,
                    )
                    for n, start in enumerate(range(0, len(ids), chunk_size))
                ]
            )


def _write_deliveries(newsletter_id: int, subscriber_ids: list[int], *, first_chunk: int, chunk_size: int) -> None:
    """One pending delivery per subscriber id, numbered into chunks of ``chunk_size`` in order."""
    if db_connection.vendor == "postgresql":
        # One statement per batch instead of thousands of model instances: a million rows in
        # seconds rather than minutes.
        with db_connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {Delivery._meta.db_table} (newsletter_id, subscriber_id, chunk, status, attempts, "
                "error, bounced, provider_message_id) "
                "SELECT %s, s.id, %s + (s.n - 1) / %s, %s, 0, '', false, '' "
                "FROM unnest(%s::bigint[]) WITH ORDINALITY AS s(id, n) "
                "ON CONFLICT (newsletter_id, subscriber_id) DO NOTHING",
                [newsletter_id, first_chunk, chunk_size, DeliveryStatus.PENDING.value, subscriber_ids],
            )
        return
    Delivery.objects.bulk_create(
        [
            Delivery(newsletter_id=newsletter_id, subscriber_id=sid, chunk=first_chunk + n // chunk_size)
            for n, sid in enumerate(subscriber_ids)
        ],
        ignore_conflicts=True,
        batch_size=500,
    )
