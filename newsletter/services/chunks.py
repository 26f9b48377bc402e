"""A worker's side of a send: one chunk, held on a lease with a fencing token.

A claim hands the chunk a new token and a lease. Before each message the worker renews the lease
on condition that the token is still its own, and marks the delivery in flight on condition that
it is still pending (on PostgreSQL both in one round trip). So a worker that stalled past its
lease (a stopped machine, a long pause) and wakes up after the sweeper handed its chunk on stops
before its next message, and no worker sends a delivery that another has in flight: a slow server
or a stalled worker never doubles a message. A message a worker had in flight when it died is
sent again once ``NEWSLETTER_DELIVERY_INFLIGHT_SECONDS`` have passed: the one repeat per killed
worker we accept, since no mail protocol lets us know whether the server took it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection as db_connection
from django.db.models import Count, F, Min
from django.utils import timezone

from imc.db import session_setting
from newsletter import rendering
from newsletter.models import (
    ChunkStatus,
    Delivery,
    DeliveryStatus,
    Newsletter,
    NewsletterStatus,
    SendChunk,
    Subscriber,
    SuppressionReason,
)
from newsletter.send_rate import rate_limiter
from newsletter.services.lifecycle import newsletter_fail, newsletter_fail_if_exhausted, newsletter_maybe_finish
from newsletter.services.messages import BUILD_ERRORS, ChunkMessages, PrerenderedEmail, events_block, subject_problem
from newsletter.services.subscribers import subscriber_suppress
from outbox.classify import Verdict, classify_exception, classify_provider_status, retry_policy

logger = logging.getLogger(__name__)

# Deliveries whose status is re-read together right before they are sent.
STATUS_BATCH = 25

# Names of the prepared statements of a claim on PostgreSQL (suffixed with the chunk and token).
_MARK = "newsletter_delivery_mark"
_TAKE = "newsletter_delivery_take"
_MARK_TAKE = "newsletter_delivery_mark_take"


class LeaseLost(Exception):
    """The chunk was handed to another worker: this one must not send another message for it."""


class SendFailed(Exception):
    """A problem no retry can fix: the whole send stops in the FAILED state with this reason."""


@dataclass
class Claim:
    """This worker's hold on a chunk: its fencing token, and on PostgreSQL the names of the
    claim's prepared statements (empty elsewhere)."""

    chunk_id: int
    token: int
    mark_statement: str = ""
    take_statement: str = ""
    mark_take_statement: str = ""
    # The delivery the last mark took along (see ``_mark_sent``), and whether it was taken.
    pretaken_id: int | None = None
    pretaken: bool = False
    # Set when that mark found the chunk handed on: the message counts as sent, and it stops.
    lost: bool = False


def _lease_end() -> datetime:
    return timezone.now() + timedelta(seconds=settings.NEWSLETTER_CHUNK_LEASE_SECONDS)


def _claim(chunk_id: int) -> tuple[SendChunk, int] | None:
    """The chunk and this claim's fencing token, or None when it is not ours to send."""
    token = SendChunk.objects.filter(pk=chunk_id, status=ChunkStatus.QUEUED).values_list("token", flat=True).first()
    if token is None:
        return None
    # Conditional on the token read: of two workers claiming at once, one wins, and the winner
    # knows its token without reading the row again.
    claimed = SendChunk.objects.filter(
        pk=chunk_id, status=ChunkStatus.QUEUED, token=token, newsletter__status=NewsletterStatus.SENDING
    ).update(status=ChunkStatus.INFLIGHT, token=token + 1, lease_until=_lease_end(), attempts=F("attempts") + 1)
    if not claimed:
        return None
    return SendChunk.objects.select_related("newsletter").get(pk=chunk_id), token + 1


def _renew(chunk_id: int, token: int) -> bool:
    """Extend this claim's lease; False if the chunk was handed on meanwhile."""
    return bool(
        SendChunk.objects.filter(pk=chunk_id, token=token, status=ChunkStatus.INFLIGHT).update(lease_until=_lease_end())
    )


def _release(chunk_id: int, token: int, *, queued_at=None) -> None:
    SendChunk.objects.filter(pk=chunk_id, token=token, status=ChunkStatus.INFLIGHT).update(
        status=ChunkStatus.QUEUED, queued_at=queued_at or timezone.now()
    )


def _record_failure(chunk_id: int, token: int, exc: Exception) -> None:
    """Put the chunk back for a retry, counting the failure; past the bound the send fails."""
    failed = SendChunk.objects.filter(pk=chunk_id, token=token, status=ChunkStatus.INFLIGHT).update(
        status=ChunkStatus.QUEUED,
        queued_at=timezone.now(),
        failures=F("failures") + 1,
        last_error=f"{type(exc).__name__}: {exc}"[:300],
    )
    if failed:
        newsletter_id = SendChunk.objects.filter(pk=chunk_id).values_list("newsletter_id", flat=True).first()
        newsletter_fail_if_exhausted(newsletter_id=newsletter_id)  # type: ignore[arg-type]  # the chunk was just updated


def _fail_delivery(delivery: Delivery, address: str, verdict: Verdict, reason: str) -> None:
    """A delivery that no retry will help; a refused address is not mailed again."""
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED, attempts=F("attempts") + 1, error=reason[:300]
    )
    if verdict == Verdict.SUPPRESS:
        subscriber_suppress(email=address, reason=SuppressionReason.REFUSED, detail=reason)


def _message_id(message: EmailMultiAlternatives) -> str:
    status = getattr(message, "anymail_status", None)
    return (getattr(status, "message_id", None) or "")[:200] if status is not None else ""


@contextmanager
def _prepared_statements(claim: Claim) -> Iterator[None]:
    """On PostgreSQL, the claim's three statements, prepared for the chunk and deallocated after
    it: they spare the server parsing and planning the same statements for every message."""
    if db_connection.vendor != "postgresql":
        yield
        return
    mark = f"{_MARK}_{claim.chunk_id}_{claim.token}"
    take = f"{_TAKE}_{claim.chunk_id}_{claim.token}"
    mark_take = f"{_MARK_TAKE}_{claim.chunk_id}_{claim.token}"
    delivery_table, chunk_table = Delivery._meta.db_table, SendChunk._meta.db_table
    sent, inflight, pending = DeliveryStatus.SENT.value, DeliveryStatus.INFLIGHT.value, DeliveryStatus.PENDING.value
    prepared = []
    try:
        with db_connection.cursor() as cursor:
            cursor.execute(
                f"PREPARE {mark} (bigint, timestamptz, varchar) AS UPDATE {Delivery._meta.db_table} "
                f"SET status = '{DeliveryStatus.SENT.value}', sent_at = $2, attempts = attempts + 1, "
                "provider_message_id = $3 WHERE id = $1"
            )
            prepared.append(mark)
            # The lease and the in-flight mark in one round trip: the delivery is taken only
            # if the lease is still this claim's.
            cursor.execute(
                f"PREPARE {take} (bigint, integer, timestamptz, bigint, timestamptz) AS "
                f"WITH lease AS (UPDATE {SendChunk._meta.db_table} SET lease_until = $3 "
                f"WHERE id = $1 AND token = $2 AND status = '{ChunkStatus.INFLIGHT.value}' RETURNING 1), "
                f"taken AS (UPDATE {Delivery._meta.db_table} SET status = '{DeliveryStatus.INFLIGHT.value}', "
                f"inflight_at = $5 WHERE id = $4 AND status = '{DeliveryStatus.PENDING.value}' "
                "AND EXISTS (SELECT 1 FROM lease) RETURNING 1) "
                "SELECT (SELECT count(*) FROM lease), (SELECT count(*) FROM taken)"
            )
            prepared.append(take)
            # The mark of the message just sent and the take of the next, in one round trip.
            # Each part of a WITH runs to completion whatever the others find: the mark is
            # recorded even when the lease turns out to be lost (it records a fact).
            cursor.execute(
                f"PREPARE {mark_take} (bigint, timestamptz, varchar, bigint, integer, timestamptz, bigint) AS "
                f"WITH marked AS (UPDATE {delivery_table} SET status = '{sent}', sent_at = $2, "
                "attempts = attempts + 1, provider_message_id = $3 WHERE id = $1 RETURNING 1), "
                f"lease AS (UPDATE {chunk_table} SET lease_until = $6 "
                f"WHERE id = $4 AND token = $5 AND status = '{ChunkStatus.INFLIGHT.value}' RETURNING 1), "
                f"taken AS (UPDATE {delivery_table} SET status = '{inflight}', inflight_at = $2 "
                f"WHERE id = $7 AND status = '{pending}' AND EXISTS (SELECT 1 FROM lease) RETURNING 1) "
                "SELECT (SELECT count(*) FROM lease), (SELECT count(*) FROM taken)"
            )
            prepared.append(mark_take)
        claim.mark_statement, claim.take_statement, claim.mark_take_statement = mark, take, mark_take
        yield
    finally:
        claim.mark_statement = claim.take_statement = claim.mark_take_statement = ""
        claim.pretaken_id = None
        with db_connection.cursor() as cursor:
            for name in prepared:
                cursor.execute(f"DEALLOCATE {name}")


def chunk_send(*, chunk_id: int) -> int:
    """Send the pending deliveries of one chunk. Returns how many this call sent."""
    claimed = _claim(chunk_id)
    if claimed is None:
        return 0
    chunk, token = claimed
    newsletter = chunk.newsletter
    # A message of a worker that died (or stalled for this long) with it in flight is presumed
    # lost and sent again: the one repeat per killed worker we accept. A younger one may still
    # be on its way: it waits for its owner to record it (see the end of this function).
    Delivery.objects.filter(
        newsletter=newsletter,
        chunk=chunk.number,
        status=DeliveryStatus.INFLIGHT,
        inflight_at__lt=timezone.now() - timedelta(seconds=settings.NEWSLETTER_DELIVERY_INFLIGHT_SECONDS),
    ).update(status=DeliveryStatus.PENDING)
    try:
        problem = subject_problem(newsletter.subject)
        if problem is not None:
            raise SendFailed(problem)
        issue = rendering.render_issue(newsletter)
    except BUILD_ERRORS as exc:
        return _stop_failed(chunk.pk, token, newsletter.pk, f"The issue could not be rendered: {exc}")
    except SendFailed as exc:
        return _stop_failed(chunk.pk, token, newsletter.pk, str(exc))
    events_cache: dict = {}
    limiter = rate_limiter()
    deliveries = list(
        Delivery.objects.filter(newsletter=newsletter, chunk=chunk.number, status=DeliveryStatus.PENDING)
        .select_related("subscriber")
        .only("pk", "attempts", "subscriber__email", "subscriber__name", "subscriber__district_id")
        .order_by("pk")
    )
    claim = Claim(chunk.pk, token)
    mail = None
    factory = None
    sent = 0
    stopped = False
    # Marks are committed per message; not waiting for the WAL flush of each one makes them
    # cheap. Only a crash of the database server itself (not of a worker) could lose the last
    # few marks, and with them send those messages again. The setting and the prepared
    # statements end with the chunk, however it ends: the connection outlives it.
    with session_setting("synchronous_commit", "off"), _prepared_statements(claim):
        try:
            mail = get_connection()
            mail.open()
            try:
                factory = ChunkMessages(issue, newsletter.pk, mail)
            except BUILD_ERRORS as exc:
                raise SendFailed(f"The message could not be built: {exc}") from exc
            for start in range(0, len(deliveries), STATUS_BATCH):
                batch = deliveries[start : start + STATUS_BATCH]
                # Re-read, right before sending, who still receives mail and whether the issue
                # is still sending: an unsubscribe or a pause takes effect within a few messages.
                status = Newsletter.objects.filter(pk=newsletter.pk).values_list("status", flat=True).first()
                if status != NewsletterStatus.SENDING:
                    stopped = True
                    break
                if not _renew(chunk.pk, token):
                    raise LeaseLost
                receiving = set(
                    Subscriber.objects.receiving()
                    .filter(pk__in=[d.subscriber_id for d in batch])
                    .values_list("pk", flat=True)
                )
                skipped = [d.pk for d in batch if d.subscriber_id not in receiving]
                if skipped:
                    Delivery.objects.filter(pk__in=skipped, status=DeliveryStatus.PENDING).update(
                        status=DeliveryStatus.SKIPPED
                    )
                todo = [d for d in batch if d.subscriber_id in receiving]
                grant = 0
                for position, delivery in enumerate(todo):
                    if grant == 0:
                        grant = limiter.grant_size(len(todo))
                        _wait(limiter.reserve(grant), chunk.pk, token)
                    grant -= 1
                    # The next recipient's envelope may open with this message, never across
                    # the status check of the next batch.
                    following = todo[position + 1] if position + 1 < len(todo) else None
                    sent += _send_one(factory, claim, newsletter, delivery, events_cache, following)
                    if claim.lost:
                        raise LeaseLost
        except LeaseLost:
            # Stalled past the lease, the chunk is another worker's now: touch nothing of it.
            logger.warning("Chunk %s was handed on while this worker sent it; it stops here", chunk.pk)
            return sent
        except SendFailed as exc:
            return sent + _stop_failed(chunk.pk, token, newsletter.pk, str(exc))
        except Exception as exc:
            _record_failure(chunk.pk, token, exc)
            raise
        finally:
            try:
                if factory is not None:
                    factory.abandon()
            finally:
                if mail is not None:
                    mail.close()
    if stopped:
        _release(chunk.pk, token)
        return sent
    waiting = Delivery.objects.filter(
        newsletter=newsletter, chunk=chunk.number, status=DeliveryStatus.INFLIGHT
    ).aggregate(since=Min("inflight_at"))["since"]
    if waiting is not None:
        # Another worker's message may still be on its way (that worker stalled with it in
        # flight and records it when it wakes up). Rather than hold this worker, the chunk goes
        # back to the queue, dated so that the sweeper's lost-task rule hands it out again only
        # when that message is presumed lost.
        lease, inflight = settings.NEWSLETTER_CHUNK_LEASE_SECONDS, settings.NEWSLETTER_DELIVERY_INFLIGHT_SECONDS
        _release(chunk.pk, token, queued_at=waiting + timedelta(seconds=inflight - lease))
        return sent
    _close_chunk(chunk.pk, token)
    newsletter_maybe_finish(newsletter_id=newsletter.pk)
    return sent


def _stop_failed(chunk_id: int, token: int, newsletter_id: int, reason: str) -> int:
    """A permanent problem: fail the send at once rather than retry what cannot work."""
    newsletter_fail(newsletter_id=newsletter_id, reason=reason)
    _release(chunk_id, token)
    return 0


def _close_chunk(chunk_id: int, token: int) -> None:
    """Mark a chunk done with its counts, read from its few hundred delivery rows."""
    chunk: Any = SendChunk.objects.filter(pk=chunk_id).values("newsletter_id", "number").first()
    counts = dict(
        Delivery.objects.filter(newsletter_id=chunk["newsletter_id"], chunk=chunk["number"])
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    SendChunk.objects.filter(pk=chunk_id, token=token, status=ChunkStatus.INFLIGHT).update(
        status=ChunkStatus.DONE,
        done_at=timezone.now(),
        sent_count=counts.get(DeliveryStatus.SENT, 0),
        failed_count=counts.get(DeliveryStatus.FAILED, 0),
        skipped_count=counts.get(DeliveryStatus.SKIPPED, 0),
    )


def _wait(seconds: float, chunk_id: int, token: int) -> None:
    """Sleep for the rate limiter, renewing the lease well within its term."""
    step_max = max(0.2, settings.NEWSLETTER_CHUNK_LEASE_SECONDS / 3)
    while seconds > 0:
        step = min(seconds, step_max)
        time.sleep(step)
        seconds -= step
        if not _renew(chunk_id, token):
            raise LeaseLost


def _take(claim: Claim, delivery_id: int) -> bool:
    """Renew the lease and mark the delivery in flight. False if someone else has (or had) it
    in hand; raises ``LeaseLost`` if the chunk is no longer this worker's."""
    now = timezone.now()
    if claim.take_statement:
        with db_connection.cursor() as cursor:
            cursor.execute(
                f"EXECUTE {claim.take_statement} (%s, %s, %s, %s, %s)",
                [claim.chunk_id, claim.token, _lease_end(), delivery_id, now],
            )
            leased, taken = cursor.fetchone()
    else:
        leased = _renew(claim.chunk_id, claim.token)
        taken = leased and Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.INFLIGHT, inflight_at=now
        )
    if not leased:
        raise LeaseLost
    return bool(taken)


def _send_one(
    factory: ChunkMessages,
    claim: Claim,
    newsletter: Newsletter,
    delivery: Delivery,
    events_cache: dict,
    following: Delivery | None,
) -> int:
    """Send one message. ``following`` is the next delivery of the same batch: its envelope may
    open with this message, and the mark of this one takes it in the same round trip."""
    subscriber = delivery.subscriber
    next_to = following.subscriber.email if following is not None else None
    # Taken already, by the mark of the message before (or found in someone else's hands then).
    pretaken = claim.pretaken if claim.pretaken_id == delivery.pk else None
    claim.pretaken_id = None
    try:
        message = factory.make(
            to=subscriber.email,
            name=subscriber.name,
            subscriber_id=delivery.subscriber_id,
            delivery_id=delivery.pk,
            events=events_block(newsletter, subscriber.district_id, events_cache),
        )
        if not isinstance(message, PrerenderedEmail):
            message.message()  # built here, where a failure is known to be the message's own
    except BUILD_ERRORS as exc:
        # Pending, or in flight by this worker's own take: either way nobody else has it.
        held = (DeliveryStatus.PENDING, DeliveryStatus.INFLIGHT) if pretaken else (DeliveryStatus.PENDING,)
        Delivery.objects.filter(pk=delivery.pk, status__in=held).update(
            status=DeliveryStatus.FAILED, error=f"The message could not be built: {exc}"[:300]
        )
        factory.abandon()  # an envelope opened ahead for this recipient must not take the next
        return 0
    if not (pretaken if pretaken is not None else _take(claim, delivery.pk)):
        factory.abandon()
        return 0
    try:
        factory.send(message, next_to)
    except Exception as exc:
        answer = classify_exception(exc)
        if not retry_policy().gives_up(attempts=delivery.attempts + 1, verdict=answer.verdict):
            # A connection problem: try the rest of the chunk later on a fresh connection.
            Delivery.objects.filter(pk=delivery.pk).update(
                status=DeliveryStatus.PENDING, attempts=F("attempts") + 1, error=str(exc)[:300]
            )
            raise
        _fail_delivery(delivery, subscriber.email, answer.verdict, answer.reason)
        return 0
    refusal = classify_provider_status(message, subscriber.email)
    if refusal is not None:
        _fail_delivery(delivery, subscriber.email, refusal.verdict, refusal.reason)
        return 0
    _mark_sent(claim, delivery.pk, _message_id(message), following)
    return 1


def _mark_sent(claim: Claim, delivery_id: int, provider_id: str, following: Delivery | None) -> None:
    """The mark that matters most: one short statement, committed as soon as the server accepted.
    Whoever holds the chunk now, the message went: the mark records a fact, not a claim. On
    PostgreSQL, with a next delivery in the batch, the same statement renews the lease and takes
    that delivery (``_take``), which then needs no round trip of its own; a lease found lost
    there sets ``claim.lost``, after the mark is recorded, and the chunk stops."""
    now = timezone.now()
    if claim.mark_take_statement and following is not None:
        with db_connection.cursor() as cursor:
            cursor.execute(
                f"EXECUTE {claim.mark_take_statement} (%s, %s, %s, %s, %s, %s, %s)",
                [delivery_id, now, provider_id, claim.chunk_id, claim.token, _lease_end(), following.pk],
            )
            leased, taken = cursor.fetchone()
        claim.lost = not leased
        claim.pretaken_id, claim.pretaken = following.pk, bool(taken)
        return
    with db_connection.cursor() as cursor:
        if claim.mark_statement:
            cursor.execute(f"EXECUTE {claim.mark_statement} (%s, %s, %s)", [delivery_id, now, provider_id])
        else:
            cursor.execute(
                f"UPDATE {Delivery._meta.db_table} SET status = %s, sent_at = %s, attempts = attempts + 1, "
                "provider_message_id = %s WHERE id = %s",
                [DeliveryStatus.SENT.value, now, provider_id, delivery_id],
            )
