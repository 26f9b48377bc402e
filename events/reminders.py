"""Event reminders: rows with a due time, claimed by a beat tick and sent by workers.

How a reminder travels (every step is a conditional write, so it happens once):

1. ``reminders_schedule`` writes one ``Reminder`` row per person per kind when someone RSVPs
   (and moves it when the event moves). Nothing is handed to the broker yet: no ``eta`` or
   ``countdown`` is ever used, because Redis redelivers long-delayed messages after its
   visibility timeout and they would run twice.
2. ``reminders_tick`` (beat, every minute) claims due pending rows with
   ``select_for_update(skip_locked=True)`` in small batches, moves them to *queued* in the same
   transaction and, after the commit, hands each batch to a worker. Two beats running at once
   skip each other's locked rows, so every row lands in exactly one batch.
3. ``reminder_deliver`` (worker, ``acks_late``) moves each row queued → *sending* with a
   conditional update; only the worker whose update matched sends it, and only that worker marks
   it *sent*. A redelivered or duplicated batch finds the rows already taken and does nothing.
4. Recovery: a row left *queued* (the broker lost the message, or was down) or *sending* (the
   worker was killed) for longer than the settings' timeouts goes back to *pending* and the next
   tick claims it again. The one message a killed worker had in flight may therefore go out
   twice; nothing is lost. No mail protocol can do better.

Late reminders that are still useful (the event has not started) are sent late; any reminder
found after the start is dropped, as is one for a cancelled RSVP or event.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from events.ics import event_ics
from events.models import Event, EventStatus, Reminder, ReminderKind, ReminderStatus, Rsvp, RsvpStatus
from imc.broker import publish
from imc.validators import single_line
from outbox.services import render_email

logger = logging.getLogger(__name__)

MA_TZ = ZoneInfo("America/New_York")
CANT_COME_SALT = "events.cant-come"
UNSENT = [ReminderStatus.PENDING, ReminderStatus.QUEUED]


def enabled_kinds(event: Event) -> list[str]:
    kinds = []
    if settings.EVENTS_REMIND_DAY_BEFORE and event.remind_day_before:
        kinds.append(ReminderKind.DAY_BEFORE)
    if settings.EVENTS_REMIND_SHORTLY_BEFORE and event.remind_two_hours:
        kinds.append(ReminderKind.TWO_HOURS)
    return kinds


def nominal_due(kind: str, start: datetime) -> datetime:
    """When a reminder is due for an event starting at ``start``, if the RSVP came early enough."""
    if kind == ReminderKind.DAY_BEFORE:
        day_before = start.astimezone(MA_TZ).date() - timedelta(days=1)
        return datetime.combine(day_before, time(hour=settings.EVENTS_REMIND_DAY_BEFORE_HOUR), tzinfo=MA_TZ)
    return start - timedelta(hours=settings.EVENTS_REMIND_HOURS_BEFORE)


def due_times(event: Event, now: datetime) -> dict[str, datetime]:
    """The reminders a going RSVP is owed from ``now`` on, and when.

    An RSVP that comes after a reminder's time gets it at once ("at RSVP time"), as long as the
    event has not started. When the RSVP comes so late that the shortly-before reminder is
    already due, that one alone is sent: two identical emails at the same minute help nobody.
    """
    if now >= event.starts_at:
        return {}
    kinds = enabled_kinds(event)
    due = {kind: max(nominal_due(kind, event.starts_at), now) for kind in kinds}
    if (
        ReminderKind.DAY_BEFORE in due
        and ReminderKind.TWO_HOURS in due
        and nominal_due(ReminderKind.TWO_HOURS, event.starts_at) <= now
    ):
        del due[ReminderKind.DAY_BEFORE]
    return due


def reminders_schedule(*, rsvp: Rsvp, event: Event, now: datetime | None = None) -> None:
    """Create or move the unsent reminders of one going RSVP; call inside the RSVP's transaction.

    A reminder already sent stays sent: "exactly one per person per reminder" wins over moving
    it. Rows a worker is sending right now are left alone (the worker reads the event afresh).
    """
    now = now or timezone.now()
    due = due_times(event, now) if rsvp.status == RsvpStatus.GOING else {}
    existing = {r.kind: r for r in Reminder.objects.filter(rsvp=rsvp)}
    for kind in ReminderKind.values:
        row = existing.get(kind)
        if kind in due:
            if row is None:
                Reminder.objects.create(rsvp=rsvp, kind=kind, due_at=due[kind])
            elif row.status in (*UNSENT, ReminderStatus.SKIPPED):
                Reminder.objects.filter(pk=row.pk, status=row.status).update(
                    due_at=due[kind], status=ReminderStatus.PENDING, claimed_at=None, skip_reason=""
                )
        elif row is not None and row.status in UNSENT:
            reason = "no longer owed" if rsvp.status == RsvpStatus.GOING else f"RSVP {rsvp.status}"
            Reminder.objects.filter(pk=row.pk, status__in=UNSENT).update(
                status=ReminderStatus.SKIPPED, skip_reason=reason
            )


def reminders_reschedule_event(*, event: Event, now: datetime | None = None) -> None:
    """After a change of time or of the reminder toggles: move every going RSVP's reminders."""
    for rsvp in event.rsvps.going():
        reminders_schedule(rsvp=rsvp, event=event, now=now)


def reminders_end_for_event(*, event: Event, reason: str) -> int:
    return Reminder.objects.filter(rsvp__event=event, status__in=UNSENT).update(
        status=ReminderStatus.SKIPPED, skip_reason=reason
    )


def reminders_end_for_rsvp(*, rsvp: Rsvp, reason: str) -> int:
    return Reminder.objects.filter(rsvp=rsvp, status__in=UNSENT).update(
        status=ReminderStatus.SKIPPED, skip_reason=reason
    )


# --- the beat tick ---------------------------------------------------------------------------


def _dispatch(reminder_ids: list[int]) -> bool:
    """Hand one claimed batch to a worker. With the broker away the rows stay queued and are
    given back to the claim after EVENTS_REMINDER_REQUEUE_AFTER_SECONDS."""
    from events.tasks import reminders_send

    return publish(reminders_send, reminder_ids)


def reminders_recover(*, now: datetime) -> int:
    """Give rows back to the next claim when their message or their worker was lost."""
    queued_before = now - timedelta(seconds=settings.EVENTS_REMINDER_REQUEUE_AFTER_SECONDS)
    sending_before = now - timedelta(seconds=settings.EVENTS_REMINDER_INFLIGHT_TIMEOUT_SECONDS)
    lost = Reminder.objects.filter(status=ReminderStatus.QUEUED, claimed_at__lt=queued_before).update(
        status=ReminderStatus.PENDING
    )
    dead = Reminder.objects.filter(status=ReminderStatus.SENDING, claimed_at__lt=sending_before).update(
        status=ReminderStatus.PENDING
    )
    return lost + dead


def reminders_claim_batch(*, now: datetime, size: int) -> list[int]:
    """Claim up to ``size`` due pending rows for one worker batch (its own short transaction)."""
    with transaction.atomic():
        ids = list(
            Reminder.objects.select_for_update(skip_locked=True)
            .filter(status=ReminderStatus.PENDING, due_at__lte=now)
            .order_by("due_at")
            .values_list("pk", flat=True)[:size]
        )
        if ids:
            Reminder.objects.filter(pk__in=ids, status=ReminderStatus.PENDING).update(
                status=ReminderStatus.QUEUED, claimed_at=now
            )
            transaction.on_commit(lambda: _dispatch(ids))
    return ids


def reminders_tick(*, now: datetime | None = None) -> int:
    """One beat tick: recover lost rows, then claim due ones batch by batch. Returns the count."""
    now = now or timezone.now()
    reminders_recover(now=now)
    size = settings.EVENTS_REMINDER_BATCH_SIZE
    claimed = 0
    while claimed < settings.EVENTS_REMINDER_MAX_PER_TICK:
        ids = reminders_claim_batch(now=now, size=size)
        claimed += len(ids)
        if len(ids) < size:
            break
    return claimed


# --- the worker ------------------------------------------------------------------------------


def cant_come_token(rsvp: Rsvp) -> str:
    return signing.dumps({"r": rsvp.pk, "u": rsvp.user_id}, salt=CANT_COME_SALT, compress=True)


def rsvp_from_cant_come_token(token: str) -> Rsvp | None:
    try:
        data = signing.loads(token, salt=CANT_COME_SALT)
    except signing.BadSignature:
        return None
    return Rsvp.objects.select_related("event", "user").filter(pk=data.get("r"), user_id=data.get("u")).first()


def _skip_reason(reminder: Reminder, now: datetime) -> str:
    rsvp, event = reminder.rsvp, reminder.rsvp.event
    if event.status != EventStatus.PUBLISHED:
        return f"event {event.status}"
    if rsvp.status != RsvpStatus.GOING:
        return f"RSVP {rsvp.status}"
    if reminder.kind not in enabled_kinds(event):
        return "turned off"
    if now >= event.starts_at:
        return "too late"
    return ""


def build_reminder_message(reminder: Reminder, connection=None) -> EmailMultiAlternatives:
    rsvp, event = reminder.rsvp, reminder.rsvp.event
    from events.ics import google_calendar_url

    context = {
        "event": event,
        "rsvp": rsvp,
        "reminder": reminder,
        "event_url": settings.SITE_URL + event.get_absolute_url(),
        "cant_come_url": settings.SITE_URL + reverse("events:cant_come", args=[cant_come_token(rsvp)]),
        "google_url": google_calendar_url(event),
    }
    subject, text, html = render_email("events/email/reminder", context)
    message = EmailMultiAlternatives(
        # The subject carries the event's title: a row saved before the single-line rule must
        # not make a header fold into two (Django refuses that, and the reminder would be lost).
        subject=single_line(subject),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[rsvp.user.email],
        headers={"X-IMC-Reminder": str(reminder.pk), "X-IMC-Reminder-Kind": reminder.kind},
        connection=connection,
    )
    if html:
        message.attach_alternative(html, "text/html")
    message.attach(f"{single_line(event.slug)}.ics", event_ics(event, include_join_url=True).decode(), "text/calendar")
    return message


def reminder_deliver(*, reminder_id: int, now: datetime | None = None, connection=None) -> bool:
    """Claim one queued reminder, send it, mark it sent. Returns whether this call sent it."""
    now = now or timezone.now()
    claimed = Reminder.objects.filter(pk=reminder_id, status=ReminderStatus.QUEUED).update(
        status=ReminderStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    reminder = Reminder.objects.select_related("rsvp__event__town", "rsvp__event__host_group", "rsvp__user").get(
        pk=reminder_id
    )
    reason = _skip_reason(reminder, now)
    if reason:
        Reminder.objects.filter(pk=reminder_id, status=ReminderStatus.SENDING).update(
            status=ReminderStatus.SKIPPED, skip_reason=reason
        )
        return False
    try:
        build_reminder_message(reminder, connection=connection).send()
    except Exception as exc:  # noqa: BLE001 - recorded on the row; the next tick retries
        permanent = getattr(exc, "smtp_code", 0) >= 500 or reminder.attempts >= 5
        Reminder.objects.filter(pk=reminder_id, status=ReminderStatus.SENDING).update(
            status=ReminderStatus.SKIPPED if permanent else ReminderStatus.PENDING,
            skip_reason="delivery failed" if permanent else "",
        )
        logger.warning("Reminder %s failed: %s", reminder_id, exc)
        return False
    Reminder.objects.filter(pk=reminder_id, status=ReminderStatus.SENDING).update(
        status=ReminderStatus.SENT, sent_at=timezone.now()
    )
    return True


def reminders_deliver_batch(*, reminder_ids: list[int]) -> int:
    """A worker's batch: one SMTP connection, each row claimed and marked on its own."""
    connection = get_connection()
    sent = 0
    try:
        connection.open()
    except Exception:  # noqa: BLE001 - each send below then fails and records it on its row
        logger.warning("SMTP connection failed; the batch's reminders will be retried")
    try:
        for reminder_id in reminder_ids:
            sent += reminder_deliver(reminder_id=reminder_id, connection=connection)
    finally:
        # Closing a broken connection is not an error worth raising.
        with contextlib.suppress(Exception):
            connection.close()
    return sent
