"""On the day and after: checking people in, walk-ins, and writing to an event's people.

Who may do any of it is ``events.policy.can_manage`` (the host group's organizers, coordinators),
asked by every write here whoever calls it. The reads the check-in page and the message form
need are here too, each a fixed number of queries however many people RSVP'd.

- **Check-in** opens ``CHECK_IN_OPENS_BEFORE`` the start of a published event and stays open
  afterwards (attendance is corrected the next day too). A tap marks a person who is going as
  come; a person on the waitlist who turns up is let in (going, and come): at the door, the
  organizer sees the room, and seats are a promise made in advance, not a fire code.
- **Walk-ins** are admitted the same way even when the event is full: an RSVP that is going,
  came, and is marked ``walk_in`` (a name; the address only if they gave one).
- **Messages** go to the people going, waitlisted or who came (any of the three), each their own
  copy in the outbox with the organizer as Reply-To, so nobody sees another's address;
  ``EVENT_MESSAGES_PER_DAY`` per event in 24 hours, each one logged (``AttendeeMessage``).
- **The thank-you** goes once per event, after it ended, to the people who came.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import CharField, Count, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.utils import timezone

from accounts.models import User
from events import policy
from events.attendance_models import (
    BODY_MAX_LENGTH,
    SUBJECT_MAX_LENGTH,
    AttendeeMessage,
    AttendeeMessageKind,
    Audience,
)
from events.models import Event, EventStatus, Rsvp, RsvpStatus
from events.reminders import MA_TZ
from imc.validators import require_clean_text
from outbox.services import email_queue, emails_queue_batch, render_email

# Doors open: check-in starts this long before the event does.
CHECK_IN_OPENS_BEFORE = timedelta(hours=6)
# People on one page of the check-in list (the search finds anyone on the others).
CHECK_IN_PAGE_SIZE = 50
NAME_MAX_LENGTH: int = Rsvp._meta.get_field("guest_name").max_length or 150


class AttendanceError(Exception):
    """A write the rules refuse; the message is safe to show to the organizer."""


class RateLimited(AttendanceError):
    pass


def messages_per_day() -> int:
    """Messages one event's organizers may send in 24 hours (``EVENT_MESSAGES_PER_DAY``)."""
    return int(settings.EVENT_MESSAGES_PER_DAY)


def _require_manager(user: User, event: Event) -> None:
    if not policy.can_manage(user, event):
        raise PermissionDenied("You do not run this event.")


def _lock(event: Event) -> Event:
    return Event.objects.select_for_update(of=("self",)).select_related("town", "host_group").get(pk=event.pk)


# --- the rules ---------------------------------------------------------------------------------


def check_in_opens_at(event: Event) -> datetime:
    return event.starts_at - CHECK_IN_OPENS_BEFORE


def check_in_problem(event: Event, now: datetime | None = None) -> str | None:
    """Why nobody can be checked in right now, or None when check-in is open."""
    now = now or timezone.now()
    if event.status == EventStatus.CANCELLED:
        return "This event was cancelled: there is nobody to check in."
    if event.status != EventStatus.PUBLISHED:
        return "Publish the event first: check-in is for published events."
    opens = check_in_opens_at(event).astimezone(MA_TZ)
    if now < opens:
        before = _hours(CHECK_IN_OPENS_BEFORE)
        return f"Check-in opens at {opens:%-I:%M %p} on {opens:%A, %B %-d} ({before} before the start)."
    return None


def _hours(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours} hour{'s' if hours != 1 else ''}"


def thank_you_problem(event: Event, now: datetime | None = None) -> str | None:
    """Why the thank-you cannot be sent now, or None."""
    now = now or timezone.now()
    if event.status != EventStatus.PUBLISHED:
        return "The thank-you is for an event that took place."
    if now < event.ends_at:
        return "The thank-you can be sent once the event has ended."
    sent = AttendeeMessage.objects.filter(event=event, kind=AttendeeMessageKind.THANK_YOU).first()
    if sent is not None:
        when = sent.sent_at.astimezone(MA_TZ)
        return f"The thank-you was sent on {when:%B %-d at %-I:%M %p}, to {sent.recipients} people."
    return None


# --- reads -------------------------------------------------------------------------------------


@dataclass
class CheckInList:
    going: list[Rsvp]  # the page asked for, by name
    waitlisted: list[Rsvp]  # the first CHECK_IN_PAGE_SIZE in line
    came: int  # people checked in (parties), whatever the search
    expected: int  # people going, whatever the search
    going_matching: int  # RSVPs going that match the search
    waitlisted_matching: int
    page: int
    pages: int


def _search(q: str) -> Q:
    q = q.strip()
    if not q:
        return Q()
    return (
        Q(guest_name__icontains=q)
        | Q(guest_email__icontains=q)
        | Q(user__first_name__icontains=q)
        | Q(user__last_name__icontains=q)
        | Q(user__email__icontains=q)
    )


# The name the page shows (Rsvp.person_name: a member's first name, a guest's name, else the
# address), for sorting in the database.
_SHOWN_NAME = Lower(
    Coalesce(
        NullIf("user__first_name", Value("")),
        NullIf("guest_name", Value("")),
        "user__email",
        "guest_email",
        output_field=CharField(),
    )
)


def check_in_counts(event: Event) -> tuple[int, int]:
    """(people checked in, people going), parties counted whole: one query."""
    totals = event.rsvps.going().aggregate(expected=Sum("party_size"), came=Sum("party_size", filter=Q(attended=True)))
    return totals["came"] or 0, totals["expected"] or 0


def check_in_list(event: Event, q: str = "", page: int = 1) -> CheckInList:
    """One page of the check-in list: three queries however many RSVP'd (the counts, a page of
    the people going by name, the head of the waitlist), and a page a phone can show. Two
    thousand rows are no list to scroll at a door: the search finds the one person."""
    found = _search(q)
    going, waiting = Q(status=RsvpStatus.GOING), Q(status=RsvpStatus.WAITLISTED)
    totals = event.rsvps.aggregate(
        expected=Sum("party_size", filter=going),
        came=Sum("party_size", filter=going & Q(attended=True)),
        going_matching=Count("pk", filter=going & found),
        waitlisted_matching=Count("pk", filter=waiting & found),
    )
    pages = max(1, -(-totals["going_matching"] // CHECK_IN_PAGE_SIZE))
    page = min(max(page, 1), pages)
    offset = (page - 1) * CHECK_IN_PAGE_SIZE
    rows = event.rsvps.filter(going & found).select_related("user").defer("answers")
    shown = list(rows.order_by(_SHOWN_NAME.asc(), "pk")[offset : offset + CHECK_IN_PAGE_SIZE])
    line = event.rsvps.filter(waiting & found).select_related("user").defer("answers")
    line = line.order_by("status_changed_at", "pk")
    return CheckInList(
        going=shown,
        waitlisted=list(line[:CHECK_IN_PAGE_SIZE]),
        came=totals["came"] or 0,
        expected=totals["expected"] or 0,
        going_matching=totals["going_matching"],
        waitlisted_matching=totals["waitlisted_matching"],
        page=page,
        pages=pages,
    )


def _audience_filter(audiences: Iterable[str]) -> Q:
    wanted = set(audiences)
    found = Q(pk__in=[])
    if Audience.GOING in wanted:
        found |= Q(status=RsvpStatus.GOING)
    if Audience.WAITLISTED in wanted:
        found |= Q(status=RsvpStatus.WAITLISTED)
    if Audience.ATTENDED in wanted:
        found |= Q(status=RsvpStatus.GOING, attended=True)
    return found


def _reachable(event: Event) -> QuerySet[Rsvp]:
    """RSVPs a mail can reach: a member whose account is active, or a guest (or walk-in) with an
    address."""
    return event.rsvps.filter(Q(user__is_active=True) | (Q(user__isnull=True) & ~Q(guest_email="")))


def audience_counts(event: Event) -> dict[str, int]:
    """How many people each audience would write to (one query)."""
    reachable = _reachable(event)
    return reachable.aggregate(
        **{audience.value: Count("pk", filter=_audience_filter([audience.value])) for audience in Audience}
    )


def recipients(event: Event, audiences: Iterable[str]) -> list[Rsvp]:
    """The RSVPs a message to ``audiences`` goes to, one per address (one query)."""
    rows = _reachable(event).filter(_audience_filter(audiences)).select_related("user").order_by("pk")
    seen: set[str] = set()
    chosen = []
    for rsvp in rows:
        address = rsvp.recipient_email.strip().lower()
        if address and address not in seen:
            seen.add(address)
            chosen.append(rsvp)
    return chosen


def message_log(event: Event) -> list[AttendeeMessage]:
    return list(AttendeeMessage.objects.filter(event=event).select_related("sender"))


# --- check-in ----------------------------------------------------------------------------------


@transaction.atomic
def check_in_mark(*, rsvp: Rsvp, by: User, attended: bool = True, now: datetime | None = None) -> Rsvp:
    """Mark one person as come (``attended=True``) or take the mark back (not checked in).

    A person on the waitlist who is let in becomes going (see the module's note); taking the
    mark back leaves them going. A cancelled or unconfirmed RSVP is refused.
    """
    now = now or timezone.now()
    _require_manager(by, rsvp.event)
    event = _lock(rsvp.event)
    rsvp = Rsvp.objects.select_for_update().get(pk=rsvp.pk, event=event)
    problem = check_in_problem(event, now)
    if problem:
        raise AttendanceError(problem)
    if rsvp.status == RsvpStatus.WAITLISTED and attended:
        rsvp.status, rsvp.status_changed_at = RsvpStatus.GOING, now
    elif rsvp.status != RsvpStatus.GOING:
        raise AttendanceError(
            f"{rsvp.person_name} is not on the list any more (RSVP {rsvp.get_status_display().lower()})."
        )
    rsvp.attended = True if attended else None
    rsvp.save(update_fields=["status", "status_changed_at", "attended"])
    return rsvp


def _clean_walk_in(name: str, email: str) -> tuple[str, str]:
    name, email = " ".join(name.split()), email.strip().lower()
    if not name:
        raise AttendanceError("Write the person's name.")
    if len(name) > NAME_MAX_LENGTH:
        raise AttendanceError(f"A name is at most {NAME_MAX_LENGTH} characters.")
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise AttendanceError("That email address does not look right; leave it empty if they gave none.") from exc
    require_clean_text(Rsvp, {"guest_name": name})
    return name, email


@transaction.atomic
def walk_in_add(*, event: Event, by: User, name: str, email: str = "", now: datetime | None = None) -> Rsvp:
    """Add someone who came without an RSVP: going, checked in, ``walk_in``; admitted even when
    the event is full. An address already on the list is refused (check them in there); a guest
    address whose RSVP was cancelled or never confirmed is that RSVP, let in."""
    now = now or timezone.now()
    _require_manager(by, event)
    name, email = _clean_walk_in(name, email)
    event = _lock(event)
    problem = check_in_problem(event, now)
    if problem:
        raise AttendanceError(problem)
    existing = None
    if email:
        # The event's row is locked: nobody else adds to its list meanwhile.
        same = event.rsvps.filter(Q(guest_email=email, user__isnull=True) | Q(user__email__iexact=email))
        if same.filter(status__in=[RsvpStatus.GOING, RsvpStatus.WAITLISTED]).exists():
            raise AttendanceError(f"{email} is on the list already: check them in there.")
        existing = same.filter(user__isnull=True).first()
        if existing is None and same.exists():
            # A member who cancelled: their own RSVP row is the one to let in.
            existing = same.first()
    fields = {
        "status": RsvpStatus.GOING,
        "status_changed_at": now,
        "attended": True,
        "walk_in": True,
        "party_size": 1,
        "holds_seat": False,
        "confirmed_at": now,
    }
    if existing is not None:
        for field, value in fields.items():
            setattr(existing, field, value)
        if existing.user_id is None:
            existing.guest_name = name
        existing.save(update_fields=[*fields, "guest_name"])
        return existing
    try:
        with transaction.atomic():
            return Rsvp.objects.create(event=event, guest_name=name, guest_email=email, **fields)
    except IntegrityError as exc:  # the same address added at the same moment by another organizer
        raise AttendanceError(f"{email} is on the list already: check them in there.") from exc


# --- messages ----------------------------------------------------------------------------------


def _clean_message(subject: str, body: str) -> tuple[str, str]:
    subject, body = " ".join(subject.split()), body.strip()
    if not subject or not body:
        raise AttendanceError("Write a subject and a message.")
    if len(subject) > SUBJECT_MAX_LENGTH or len(body) > BODY_MAX_LENGTH:
        raise AttendanceError(f"A subject is at most {SUBJECT_MAX_LENGTH} characters, a message {BODY_MAX_LENGTH}.")
    require_clean_text(AttendeeMessage, {"subject": subject, "body": body})
    return subject, body


def _queue_copies(message: AttendeeMessage, event: Event, sender: User, people: list[Rsvp]) -> None:
    """One outbox row per person, the sender as Reply-To, handed to one worker after commit."""
    from events.services import rsvp_links

    email_ids = []
    upcoming = timezone.now() < event.starts_at
    thanks = message.kind == AttendeeMessageKind.THANK_YOU
    for rsvp in people:
        rsvp.event = event
        links = rsvp_links(rsvp)
        if not (upcoming and rsvp.status in (RsvpStatus.GOING, RsvpStatus.WAITLISTED)):
            links["cant_come_url"] = ""  # after the start, "I can't come" has nothing to cancel
        context = {
            "message": message,
            "event": event,
            "rsvp": rsvp,
            "sender_name": sender.display_name,
            "thank_you": thanks,
            **links,
        }
        subject, text, html = render_email("events/email/attendee_message", context)
        email = email_queue(
            kind="events.thank_you" if thanks else "events.attendee_message",
            to=rsvp.recipient_email,
            subject=subject,
            body_text=text,
            body_html=html,
            reply_to=sender.email,
            dispatch=False,
        )
        email_ids.append(email.pk)
    emails_queue_batch(email_ids=email_ids)


@transaction.atomic
def attendee_message_send(
    *, event: Event, by: User, audiences: Iterable[str], subject: str, body: str, now: datetime | None = None
) -> AttendeeMessage:
    """Write to the people going, waitlisted and/or who came: each their own copy, replies to
    ``by``. Refused, with nothing written: no audience, an empty subject or message, nobody to
    reach, or the day's ``EVENT_MESSAGES_PER_DAY`` used up."""
    now = now or timezone.now()
    _require_manager(by, event)
    chosen = sorted(set(audiences) & set(Audience.values), key=Audience.values.index)
    if not chosen or set(audiences) - set(Audience.values):
        raise AttendanceError("Choose whom to write to: the people going, on the waitlist, or who came.")
    subject, body = _clean_message(subject, body)
    # The event's row, locked until commit: two organizers sending at once count one after the other.
    event = _lock(event)
    sent = AttendeeMessage.objects.filter(
        event=event, kind=AttendeeMessageKind.MESSAGE, sent_at__gt=now - timedelta(days=1)
    ).count()
    if sent >= messages_per_day():
        raise RateLimited(
            f"This event's people have had {sent} messages in the last 24 hours, the most a day allows. "
            "Please try again tomorrow."
        )
    people = recipients(event, chosen)
    if not people:
        raise AttendanceError("Nobody in the lists you chose can receive email.")
    message = AttendeeMessage.objects.create(
        event=event, sender=by, audiences=chosen, subject=subject, body=body, recipients=len(people), sent_at=now
    )
    _queue_copies(message, event, by, people)
    return message


def thank_you_default(event: Event) -> tuple[str, str]:
    """The thank-you's ready text, which the organizer may edit before sending."""
    day = event.starts_at.astimezone(MA_TZ)
    subject = f"Thank you for coming to {event.title}"
    body = (
        f"Thank you for coming to {event.title} on {day:%A, %B %-d}. "
        "It made a difference that you were there.\n\n"
        f"We hope to see you again soon. — {event.host_name}"
    )
    return subject, body


@transaction.atomic
def thank_you_send(*, event: Event, by: User, subject: str, body: str, now: datetime | None = None) -> AttendeeMessage:
    """Thank the people who came (checked in, with an address), once per event, after it ended."""
    now = now or timezone.now()
    _require_manager(by, event)
    subject, body = _clean_message(subject, body)
    event = _lock(event)
    problem = thank_you_problem(event, now)
    if problem:
        raise AttendanceError(problem)
    people = recipients(event, [Audience.ATTENDED])
    if not people:
        raise AttendanceError("Nobody checked in has an email address: mark who came first.")
    try:
        with transaction.atomic():
            message = AttendeeMessage.objects.create(
                event=event,
                sender=by,
                kind=AttendeeMessageKind.THANK_YOU,
                audiences=[Audience.ATTENDED.value],
                subject=subject,
                body=body,
                recipients=len(people),
                sent_at=now,
            )
    except IntegrityError as exc:  # the event row lock makes this rare: a row from outside it
        raise AttendanceError("The thank-you was sent already.") from exc
    _queue_copies(message, event, by, people)
    return message
