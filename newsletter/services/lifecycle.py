"""An issue's way through its states: scheduled, sending, paused, failed, cancelled, sent.

What is done is recorded in PostgreSQL, never inferred from the broker:

1. ``newsletter_send_now`` (a coordinator, or the sweeper at a scheduled time) moves the issue to
   "sending" and queues the preparation (``deliveries.py``), which writes every delivery row
   and chunk before any chunk is queued.
2. Each chunk is sent by a worker on a lease (``chunks.py``); the last one closes the send
   (``newsletter_maybe_finish``).
3. ``newsletter_sweep`` (beat) starts scheduled issues, queues again the chunks whose lease
   expired (their worker died or stalled) or whose task the broker lost, and closes finished
   sends. A chunk that keeps failing, or a message that cannot be built, ends the send in the
   FAILED state with its reason, instead of a loop.

Every status change is a conditional update, so two coordinators pressing buttons at once
cannot both win; a coordinator's action first checks its actor against ``newsletter.policy``.

The trade-off we accept: a worker killed (or stalled for longer than
``NEWSLETTER_DELIVERY_INFLIGHT_SECONDS``) after the server accepted a message but before the row
was marked sends that one message again. No mail protocol lets us do better.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from imc import pagecache
from imc.broker import publish
from newsletter.models import ChunkStatus, Newsletter, NewsletterStatus, SendChunk
from newsletter.policy import Actor, require_composer
from newsletter.services.messages import subject_problem

logger = logging.getLogger(__name__)


class NotAllowed(ValueError):
    """The issue is not in a state that allows this action."""


class NotSendable(NotAllowed):
    """The issue itself cannot go out as it is (its subject would break the message's headers)."""


def check_sendable(newsletter: Newsletter) -> None:
    problem = subject_problem(newsletter.subject)
    if problem is not None:
        raise NotSendable(problem)


def newsletter_fail(
    *, newsletter_id: int, reason: str, from_status: tuple[str, ...] = (NewsletterStatus.SENDING,)
) -> bool:
    """Stop a send for good, visibly: workers see the status at their next check and stop."""
    changed = Newsletter.objects.filter(pk=newsletter_id, status__in=from_status).update(
        status=NewsletterStatus.FAILED, failure_reason=reason[:500]
    )
    if changed:
        logger.error("Newsletter %s failed: %s", newsletter_id, reason)
    return bool(changed)


def newsletter_fail_if_exhausted(*, newsletter_id: int) -> bool:
    """Fail the send if one of its chunks has failed as often as a chunk may."""
    worst = (
        SendChunk.objects.filter(newsletter_id=newsletter_id, failures__gte=settings.NEWSLETTER_CHUNK_MAX_FAILURES)
        .exclude(status=ChunkStatus.DONE)
        .values("number", "failures", "last_error")
        .first()
    )
    if worst is None:
        return False
    return newsletter_fail(
        newsletter_id=newsletter_id,
        reason=f"Part {worst['number'] + 1} of the send failed {worst['failures']} times; "
        f"last error: {worst['last_error']}",
    )


def _transition(newsletter: Newsletter, allowed_from: tuple[str, ...], to: str, **fields: object) -> Newsletter:
    """A conditional update: two coordinators pressing buttons at once cannot both win."""
    changed = Newsletter.objects.filter(pk=newsletter.pk, status__in=allowed_from).update(status=to, **fields)
    if changed:
        pagecache.invalidate()  # the archive and the home page list sent issues
    newsletter.refresh_from_db()
    if not changed:
        raise NotAllowed(f"This issue is {newsletter.get_status_display().lower()}; that is not possible now.")
    return newsletter


# --- coordinator actions ------------------------------------------------------------------------


def newsletter_schedule(*, newsletter: Newsletter, by: Actor, when: datetime) -> Newsletter:
    require_composer(by)
    if when <= timezone.now():
        raise NotAllowed("The send time must be in the future.")
    check_sendable(newsletter)
    return _transition(
        newsletter, (NewsletterStatus.DRAFT, NewsletterStatus.SCHEDULED), NewsletterStatus.SCHEDULED, scheduled_at=when
    )


def newsletter_unschedule(*, newsletter: Newsletter, by: Actor) -> Newsletter:
    require_composer(by)
    return _transition(newsletter, (NewsletterStatus.SCHEDULED,), NewsletterStatus.DRAFT, scheduled_at=None)


def newsletter_send_now(*, newsletter: Newsletter, by: Actor) -> Newsletter:
    require_composer(by)
    return _start(newsletter)


def _start(newsletter: Newsletter) -> Newsletter:
    """Begin the send. The sweeper calls this at a scheduled time: the coordinator who
    scheduled the issue was asked then."""
    check_sendable(newsletter)
    with transaction.atomic():
        newsletter = _transition(
            newsletter,
            (NewsletterStatus.DRAFT, NewsletterStatus.SCHEDULED),
            NewsletterStatus.SENDING,
            started_at=timezone.now(),
        )
        transaction.on_commit(lambda: queue_prepare(newsletter.pk))
    return newsletter


def newsletter_pause(*, newsletter: Newsletter, by: Actor) -> Newsletter:
    """Workers stop before their next message; their chunks wait, queued, for a resume."""
    require_composer(by)
    return _transition(newsletter, (NewsletterStatus.SENDING,), NewsletterStatus.PAUSED)


def newsletter_resume(*, newsletter: Newsletter, by: Actor) -> Newsletter:
    """Go on with a paused send, or try a failed one again (its chunks' failures start over)."""
    require_composer(by)
    check_sendable(newsletter)
    with transaction.atomic():
        failed = newsletter.status == NewsletterStatus.FAILED
        newsletter = _transition(
            newsletter, (NewsletterStatus.PAUSED, NewsletterStatus.FAILED), NewsletterStatus.SENDING, failure_reason=""
        )
        if failed:
            SendChunk.objects.filter(newsletter=newsletter).exclude(status=ChunkStatus.DONE).update(failures=0)
        if newsletter.prepared:
            transaction.on_commit(lambda: queue_chunks(newsletter.pk))
        else:
            transaction.on_commit(lambda: queue_prepare(newsletter.pk))
    return newsletter


def newsletter_cancel(*, newsletter: Newsletter, by: Actor) -> Newsletter:
    """Nothing more leaves; what was sent stays sent, the rest stays pending in the report."""
    require_composer(by)
    newsletter = _transition(
        newsletter,
        (NewsletterStatus.SCHEDULED, NewsletterStatus.SENDING, NewsletterStatus.PAUSED, NewsletterStatus.FAILED),
        NewsletterStatus.CANCELLED,
    )
    # A worker in the middle of a chunk stops at its next status check and puts it back;
    # chunks of a cancelled issue are never handed out again.
    return newsletter


# --- handing work to the workers ---------------------------------------------------------------


def queue_prepare(newsletter_id: int) -> None:
    from newsletter.tasks import prepare

    # Never blocks the coordinator's request: with the broker away the sweeper queues it again.
    publish(prepare, newsletter_id)


def queue_chunks(newsletter_id: int) -> int:
    """Hand every queued chunk of a sending issue to the workers."""
    from newsletter.tasks import send_chunk

    if not Newsletter.objects.filter(pk=newsletter_id, status=NewsletterStatus.SENDING).exists():
        return 0
    ids = list(
        SendChunk.objects.filter(newsletter_id=newsletter_id, status=ChunkStatus.QUEUED)
        .order_by("number")
        .values_list("pk", flat=True)
    )
    SendChunk.objects.filter(pk__in=ids).update(queued_at=timezone.now())
    for chunk_id in ids:
        # With the broker away this returns at once; the sweeper queues the chunks again.
        if not publish(send_chunk, chunk_id):
            break
    newsletter_maybe_finish(newsletter_id=newsletter_id)
    return len(ids)


def newsletter_maybe_finish(*, newsletter_id: int) -> bool:
    """Close a send once it is prepared and every chunk is done."""
    if SendChunk.objects.filter(newsletter_id=newsletter_id).exclude(status=ChunkStatus.DONE).exists():
        return False
    return bool(
        Newsletter.objects.filter(pk=newsletter_id, status=NewsletterStatus.SENDING, prepared=True).update(
            status=NewsletterStatus.SENT, sent_at=timezone.now()
        )
    )


# --- the sweeper -------------------------------------------------------------------------------


def newsletter_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Start due scheduled issues; recover chunks whose lease expired or whose task was lost."""
    from newsletter.tasks import send_chunk

    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.NEWSLETTER_CHUNK_LEASE_SECONDS)
    report = {"started": 0, "requeued": 0, "prepared": 0, "failed": 0}
    for newsletter in Newsletter.objects.filter(status=NewsletterStatus.SCHEDULED, scheduled_at__lte=now):
        try:
            _start(newsletter)
            report["started"] += 1
        except NotSendable as exc:
            # Nobody is at the button to read the refusal: the issue shows it as its failure.
            report["failed"] += newsletter_fail(
                newsletter_id=newsletter.pk, reason=str(exc), from_status=(NewsletterStatus.SCHEDULED,)
            )
        except NotAllowed:
            continue
    sending = list(
        Newsletter.objects.filter(status=NewsletterStatus.SENDING).values_list("pk", "prepared", "started_at")
    )
    for newsletter_id, prepared, started_at in sending:
        if not prepared:
            if started_at is None or started_at < stale:
                queue_prepare(newsletter_id)
                report["prepared"] += 1
            continue
        # A chunk whose lease expired (its worker was killed, or stalled) goes back to the
        # queue. Its owner renews the lease before every message, so a slow server alone never
        # lets it expire; a stalled owner that wakes up finds its token outdated and stops.
        expired = SendChunk.objects.filter(
            newsletter_id=newsletter_id, status=ChunkStatus.INFLIGHT, lease_until__lt=now
        ).update(
            status=ChunkStatus.QUEUED,
            queued_at=now - timedelta(days=1),
            failures=F("failures") + 1,
            last_error="Its worker stopped renewing its lease (killed or stalled).",
        )
        if expired and newsletter_fail_if_exhausted(newsletter_id=newsletter_id):
            report["failed"] += 1
            continue
        lost = list(
            SendChunk.objects.filter(newsletter_id=newsletter_id, status=ChunkStatus.QUEUED, queued_at__lt=stale)
            .order_by("number")
            .values_list("pk", flat=True)
        )
        if lost:
            SendChunk.objects.filter(pk__in=lost).update(queued_at=now)
            for chunk_id in lost:
                if not publish(send_chunk, chunk_id):
                    break  # broker away: the next sweep
            report["requeued"] += len(lost)
        newsletter_maybe_finish(newsletter_id=newsletter_id)
    return report
