"""Event reminders: rows with a due time, claimed by a beat tick and sent by workers.

How a reminder travels (every step is a conditional write, so it happens once):

1. ``reminders_schedule`` writes one ``Reminder`` row per person per kind when someone RSVPs
   (and moves it when the event moves). Nothing is handed to the broker yet: no ``eta`` or
   ``countdown`` is ever used, because Redis redelivers long-delayed messages after its
   visibility timeout and they would run twice.
2. ``reminders_tick`` (beat, every minute) claims due pending rows with
   ``select_for_update(skip_locked=True)`` in small batches and, in the same transaction, writes
   each one's email as an outbox row and marks the reminder sent (or skipped). Two beats running
   at once skip each other's locked rows, so every reminder gets exactly one email row.
3. After the commit the batch's rows go to one worker (``outbox.tasks.send_batch``), which sends
   them over one SMTP connection. From here the outbox's promises hold: each row is claimed
   queued → inflight by a conditional update, a failure is classified and retried by the one
   policy (``outbox.classify``), and the outbox sweeper recovers rows whose message the broker
   lost or whose worker was killed (the one message in flight may go out twice; nothing is lost).
   The reminder shows in the member's mail log and data download like any mail.

Late reminders that are still useful (the event has not started) are sent late; any reminder
found after the start is dropped, as is one for a cancelled RSVP or event.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from events import policy
from events.ics import event_ics, google_calendar_url
from events.models import Event, EventStatus, Reminder, ReminderKind, ReminderStatus, Rsvp, RsvpStatus
from imc.validators import single_line
from outbox.models import OutboundEmail
from outbox.services import email_queue, emails_queue_batch, render_email

MA_TZ = ZoneInfo("America/New_York")
CANT_COME_SALT = "events.cant-come"
REMINDER_EMAIL_KIND = "events.reminder"
UNSENT = [ReminderStatus.PENDING]


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
    it.
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
                    due_at=due[kind], status=ReminderStatus.PENDING, skip_reason=""
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


def cant_come_token(rsvp: Rsvp) -> str:
    return signing.dumps({"r": rsvp.pk, "u": rsvp.user_id}, salt=CANT_COME_SALT, compress=True)


def rsvp_from_cant_come_token(token: str) -> Rsvp | None:
    try:
        data = signing.loads(token, salt=CANT_COME_SALT)
    except signing.BadSignature:
        return None
    # A guest's RSVP has no user: its link carries None, and matches only while it is a guest's.
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


def reminder_email_write(*, reminder: Reminder) -> OutboundEmail:
    """Write one reminder's email (the reminder templates, the event's .ics) to the outbox,
    without queueing it: the tick hands its batch to one worker."""
    rsvp, event = reminder.rsvp, reminder.rsvp.event
    context = {
        "event": event,
        "rsvp": rsvp,
        "reminder": reminder,
        "event_url": settings.SITE_URL + event.get_absolute_url(),
        "cant_come_url": settings.SITE_URL + reverse("events:cant_come", args=[cant_come_token(rsvp)]),
        # A reminder is for a going RSVP: a private address is in it (``policy.sees_address``).
        "location": policy.location_for(event, rsvp=rsvp),
        "google_url": google_calendar_url(event, include_address=policy.sees_address(None, event, rsvp=rsvp)),
        "manage_url": "",
    }
    if rsvp.is_guest:
        from events.tokens import manage_token

        context["manage_url"] = settings.SITE_URL + reverse(
            "events:guest_manage", args=[manage_token(rsvp.guest_email)]
        )
    subject, text, html = render_email("events/email/reminder", context)
    return email_queue(
        dispatch=False,
        kind=REMINDER_EMAIL_KIND,
        to=rsvp.recipient_email,
        subject=subject,
        body_text=text,
        body_html=html,
        headers={"X-IMC-Reminder": str(reminder.pk), "X-IMC-Reminder-Kind": reminder.kind},
        attachments=[
            {
                "filename": f"{single_line(event.slug)}.ics",
                "content": event_ics(
                    event, include_join_url=True, include_address=policy.sees_address(None, event, rsvp=rsvp)
                ).decode(),
                "mimetype": "text/calendar",
            }
        ],
    )


def reminders_claim_batch(*, now: datetime, size: int) -> list[int]:
    """Claim up to ``size`` due pending rows and, in the same transaction, write each one's
    email to the outbox (or skip it) and mark it. After the commit the batch goes to one worker,
    over one SMTP connection. Returns the claimed reminders' ids."""
    with transaction.atomic():
        ids = list(
            Reminder.objects.select_for_update(skip_locked=True)
            .filter(status=ReminderStatus.PENDING, due_at__lte=now)
            .order_by("due_at")
            .values_list("pk", flat=True)[:size]
        )
        if not ids:
            return ids
        due = Reminder.objects.filter(pk__in=ids).select_related(
            "rsvp__event__town", "rsvp__event__host_group", "rsvp__user"
        )
        email_ids = []
        for reminder in due:
            # The RSVP and the event are read in the claim's transaction: a cancellation that
            # committed before it stops the reminder. One that commits later (seconds, until the
            # worker sends) does not: the mail is owed from here on, like any queued mail.
            reason = _skip_reason(reminder, now)
            if reason:
                Reminder.objects.filter(pk=reminder.pk).update(status=ReminderStatus.SKIPPED, skip_reason=reason)
                continue
            email = reminder_email_write(reminder=reminder)
            Reminder.objects.filter(pk=reminder.pk).update(status=ReminderStatus.SENT, sent_at=now, email=email)
            email_ids.append(email.pk)
        emails_queue_batch(email_ids=email_ids)
    return ids


def reminders_tick(*, now: datetime | None = None) -> int:
    """One beat tick: claim due reminders batch by batch. Returns the count claimed."""
    now = now or timezone.now()
    size = settings.EVENTS_REMINDER_BATCH_SIZE
    claimed = 0
    while claimed < settings.EVENTS_REMINDER_MAX_PER_TICK:
        ids = reminders_claim_batch(now=now, size=size)
        claimed += len(ids)
        if len(ids) < size:
            break
    return claimed
