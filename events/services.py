"""Writes of the events app: events, recurrence, RSVPs with capacity and waitlist, attendance.

Every multi-row write is atomic. Every email these writes owe is an outbox row created in the
same transaction; reminders are rows too (``events.reminders``).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from districts.models import Town
from events import policy
from events.ics import event_ics
from events.models import (
    MAX_EVENT_DAYS,
    CoHostInvitation,
    CoHostStatus,
    Event,
    EventSeries,
    EventStatus,
    MemberCalendar,
    Recurrence,
    Rsvp,
    RsvpStatus,
)
from events.reminders import (
    MA_TZ,
    reminders_end_for_event,
    reminders_end_for_rsvp,
    reminders_reschedule_event,
    reminders_schedule,
)
from groups.models import Group, GroupStatus, Membership
from imc.validators import require_clean_text
from outbox.services import email_queue, email_queue_template, render_email

# Fields an organizer edits on the event form.
EDITABLE_FIELDS = (
    "title",
    "event_type",
    "starts_at",
    "ends_at",
    "is_online",
    "join_url",
    "venue",
    "address",
    "town",
    "description",
    "accessibility",
    "accessibility_notes",
    "capacity",
    "remind_day_before",
    "remind_two_hours",
)
# A change of any of these is a change of time or place: everyone who RSVP'd is told.
TIME_AND_PLACE_FIELDS = ("starts_at", "ends_at", "is_online", "join_url", "venue", "address", "town")
RESCHEDULE_FIELDS = ("starts_at", "remind_day_before", "remind_two_hours")
MAX_OCCURRENCES = 26


class RsvpClosed(Exception):
    """RSVPs are not open for this event (a draft, cancelled, or already started)."""


# --- recurrence ------------------------------------------------------------------------------


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date | None:
    days = [d for d in calendar.Calendar().itermonthdates(year, month) if d.month == month and d.weekday() == weekday]
    return days[nth - 1] if nth <= len(days) else None


def occurrence_dates(first: date, rule: str, count: int) -> list[date]:
    """The dates of a recurring event, the first included.

    Monthly means "the same nth weekday" (the 2nd Tuesday); a month without a 5th such weekday
    is skipped rather than moved.
    """
    count = max(1, min(count, MAX_OCCURRENCES))
    if rule in (Recurrence.WEEKLY, Recurrence.BIWEEKLY):
        step = timedelta(weeks=1 if rule == Recurrence.WEEKLY else 2)
        return [first + step * i for i in range(count)]
    if rule == Recurrence.MONTHLY:
        nth = (first.day - 1) // 7 + 1
        dates, year, month = [first], first.year, first.month
        while len(dates) < count:
            month += 1
            if month > 12:
                year, month = year + 1, 1
            found = _nth_weekday(year, month, first.weekday(), nth)
            if found:
                dates.append(found)
        return dates
    return [first]


def _on_date(moment: datetime, day: date) -> datetime:
    """The same Massachusetts wall-clock time on another day (7 pm stays 7 pm across DST)."""
    local = moment.astimezone(MA_TZ)
    return datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=MA_TZ)


# --- events ----------------------------------------------------------------------------------


def _unique_slug(title: str, start: datetime) -> str:
    base = f"{slugify(title)[:90] or 'event'}-{start.astimezone(MA_TZ):%Y-%m-%d}"
    slug, n = base, 2
    while Event.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _district_for(town: Town | None, host_group: Group | None):
    if town is not None:
        return town.primary_district
    return host_group.district if host_group is not None else None


def _validate(values: dict) -> None:
    errors = {}
    if values.get("starts_at") and values.get("ends_at") and values["ends_at"] < values["starts_at"]:
        errors["ends_at"] = "The event must end after it starts."
    elif (
        values.get("starts_at")
        and values.get("ends_at")
        and values["ends_at"] - values["starts_at"] > timedelta(days=MAX_EVENT_DAYS)
    ):
        errors["ends_at"] = f"An event lasts at most {MAX_EVENT_DAYS} days; make a repeating event instead."
    if not values.get("is_online") and not values.get("town"):
        errors["town"] = "Give the town of an in-person event, or mark it online."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def event_create(
    *,
    by: User,
    host_group: Group | None,
    co_hosts: Iterable[Group] = (),
    recurrence: str = Recurrence.NONE,
    occurrences: int = 1,
    publish: bool = False,
    **values,
) -> list[Event]:
    """Create an event, or one event per date of a recurring series. Returns them in date order."""
    if not policy.can_host_for(by, host_group):
        raise PermissionDenied("You do not organize this group.")
    _validate(values)
    require_clean_text(Event, values)
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown event fields: {sorted(unknown)}")
    co_hosts = list(co_hosts)
    _check_cohosts(host_group, co_hosts)
    first_day = values["starts_at"].astimezone(MA_TZ).date()
    days = occurrence_dates(first_day, recurrence, occurrences) if recurrence else [first_day]
    series = EventSeries.objects.create(rule=recurrence, count=len(days)) if len(days) > 1 else None
    duration = values["ends_at"] - values["starts_at"]
    events = []
    for day in days:
        start = _on_date(values["starts_at"], day)
        event = Event.objects.create(
            **{**values, "starts_at": start, "ends_at": start + duration},
            slug=_unique_slug(values["title"], start),
            host_group=host_group,
            district=_district_for(values.get("town"), host_group),
            status=EventStatus.PUBLISHED if publish else EventStatus.DRAFT,
            series=series,
            created_by=by,
        )
        events.append(event)
    _cohosts_set(events=events, groups=co_hosts, by=by)
    return events


def _lock(event: Event) -> Event:
    return Event.objects.select_for_update(of=("self",)).select_related("town", "host_group").get(pk=event.pk)


def _rsvp_people(event: Event) -> list[Rsvp]:
    return list(event.rsvps.active().select_related("user"))


def _email_rsvps(event: Event, *, kind: str, template: str, extra: dict | None = None, ics: bool = True) -> None:
    """Tell everyone who RSVP'd (going or waitlisted); one outbox row each, in this transaction."""
    attachment = [{"filename": f"{event.slug}.ics", "content": event_ics(event).decode(), "mimetype": "text/calendar"}]
    for rsvp in _rsvp_people(event):
        context = {"event": event, "rsvp": rsvp, "event_url": settings.SITE_URL + event.get_absolute_url()}
        subject, text, html = render_email(template, {**context, **(extra or {})})
        email_queue(
            kind=kind,
            to=rsvp.user.email,
            subject=subject,
            body_text=text,
            body_html=html,
            attachments=attachment if ics else None,
        )


@transaction.atomic
def event_update(
    *, event: Event, by: User, co_hosts: Iterable[Group] | None = None, now: datetime | None = None, **values
) -> Event:
    """Change an event. A change of time or place emails everyone who RSVP'd and moves reminders."""
    _require_manager(by, event)
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown event fields: {sorted(unknown)}")
    event = _lock(event)
    before = {field: getattr(event, field) for field in values}
    merged = {field: values.get(field, getattr(event, field)) for field in EDITABLE_FIELDS}
    _validate(merged)
    require_clean_text(Event, values)
    changed = {field for field, value in values.items() if before[field] != value}
    for field in changed:
        setattr(event, field, values[field])
    if co_hosts is not None and _cohosts_set(events=[event], groups=list(co_hosts), by=by):
        changed.add("co_hosts")
    if not changed:
        return event
    event.district = _district_for(event.town, event.host_group)
    event.sequence += 1
    event.save()
    if changed & set(RESCHEDULE_FIELDS):
        reminders_reschedule_event(event=event, now=now)
    if "capacity" in changed:
        _promote_waitlist(event)
    if event.status == EventStatus.PUBLISHED and changed & set(TIME_AND_PLACE_FIELDS):
        _email_rsvps(event, kind="events.changed", template="events/email/changed")
    return event


def _move_status(event: Event, *, to: str, allowed_from: tuple[str, ...]) -> tuple[Event, str | None]:
    """Lock the event and move it to ``to`` if it is in one of ``allowed_from``.

    Returns the locked event and the status it had, or None when nothing changed. Every status
    change raises the iCalendar SEQUENCE so subscribed calendars pick it up.
    """
    event = _lock(event)
    previous = event.status
    if previous not in allowed_from:
        return event, None
    event.status = to
    event.sequence += 1
    event.save(update_fields=["status", "sequence", "updated_at"])
    return event, previous


def _require_manager(user: User, event: Event) -> None:
    if not policy.can_manage(user, event):
        raise PermissionDenied("You do not run this event.")


@transaction.atomic
def event_publish(*, event: Event, by: User) -> Event:
    _require_manager(by, event)
    event, previous = _move_status(event, to=EventStatus.PUBLISHED, allowed_from=(EventStatus.DRAFT,))
    if previous is not None:
        reminders_reschedule_event(event=event)
    return event


@transaction.atomic
def event_cancel(*, event: Event, by: User) -> Event:
    """Cancel: email everyone who RSVP'd and end their reminders. RSVPs are kept as history."""
    _require_manager(by, event)
    event, previous = _move_status(
        event, to=EventStatus.CANCELLED, allowed_from=(EventStatus.DRAFT, EventStatus.PUBLISHED)
    )
    if previous is not None:
        reminders_end_for_event(event=event, reason="event cancelled")
    if previous == EventStatus.PUBLISHED:
        _email_rsvps(event, kind="events.cancelled", template="events/email/cancelled")
    return event


@transaction.atomic
def event_unpublish(*, event: Event, by: User) -> Event:
    """A moderator takes an event off the calendar (back to draft); reminders stop."""
    if not policy.can_moderate(by, event):
        raise PermissionDenied("You do not moderate this event's district.")
    event, previous = _move_status(event, to=EventStatus.DRAFT, allowed_from=(EventStatus.PUBLISHED,))
    if previous is not None:
        reminders_end_for_event(event=event, reason="event unpublished")
    return event


# --- co-hosting ------------------------------------------------------------------------------


def _check_cohosts(host_group: Group | None, groups: list[Group]) -> None:
    """Who may be invited at all: another listed group, never the host itself."""
    if host_group is not None and any(g.pk == host_group.pk for g in groups):
        raise ValidationError({"co_hosts": f"{host_group.name} hosts this event; it cannot co-host it too."})
    unlisted = [g.name for g in groups if g.status != GroupStatus.APPROVED]
    if unlisted:
        raise ValidationError({"co_hosts": f"Only listed groups can co-host: {', '.join(unlisted)}."})


def _cohosts_set(*, events: list[Event], groups: list[Group], by: User) -> bool:
    """Make ``groups`` the invited or co-hosting groups of each event; returns whether the public
    co-hosts changed.

    A newly named group gets a pending invitation (its organizers are mailed once for all the
    events); a group no longer named is withdrawn, and off the event if it had accepted. Naming
    a group that declined is refused: its answer stands until the host withdraws the invitation.
    The caller has checked that ``by`` runs the events.
    """
    wanted = {g.pk: g for g in groups}
    newly_invited: dict[int, list[CoHostInvitation]] = {}
    public_change = False
    for event in events:
        _check_cohosts(event.host_group, list(wanted.values()))
        existing = {
            inv.group_id: inv
            for inv in CoHostInvitation.objects.select_for_update(of=("self",))
            .filter(event=event)
            .select_related("group")
        }
        declined = sorted(
            inv.group.name for pk, inv in existing.items() if pk in wanted and inv.status == CoHostStatus.DECLINED
        )
        if declined:
            raise ValidationError(
                {"co_hosts": f"{', '.join(declined)} declined to co-host this event; it is not asked again."}
            )
        for pk, group in wanted.items():
            invitation = existing.get(pk)
            if invitation is None:
                invitation = CoHostInvitation.objects.create(event=event, group=group, invited_by=by)
            elif invitation.status == CoHostStatus.WITHDRAWN:
                invitation.status, invitation.invited_by, invitation.invited_at = (
                    CoHostStatus.PENDING,
                    by,
                    timezone.now(),
                )
                invitation.answered_by, invitation.answered_at = None, None
                invitation.save()
            else:
                continue  # pending or accepted already
            newly_invited.setdefault(pk, []).append(invitation)
        for pk, invitation in existing.items():
            if pk not in wanted and invitation.status in (CoHostStatus.PENDING, CoHostStatus.ACCEPTED):
                public_change |= _withdraw(invitation)
    for pk, invitations in newly_invited.items():
        _mail_invitation(wanted[pk], invitations)
    return public_change


def _mail_invitation(group: Group, invitations: list[CoHostInvitation]) -> None:
    """One mail to each organizer of the invited group, to them alone: nobody sees the others'
    addresses, and the inviter sees none of them."""
    emails = sorted(
        set(
            Membership.objects.organizers()
            .filter(group=group, user__is_active=True)
            .values_list("user__email", flat=True)
        )
    )
    event = invitations[0].event
    context = {
        "group": group,
        "event": event,
        "host_name": event.host_name,
        "invitations": [
            {"event": inv.event, "url": settings.SITE_URL + inv.get_absolute_url()}
            for inv in sorted(invitations, key=lambda inv: inv.event.starts_at)
        ],
    }
    for email in emails:
        email_queue_template(
            kind="events.cohost_invitation", to=email, template_prefix="events/email/cohost_invitation", context=context
        )


def _lock_invitation(invitation: CoHostInvitation) -> CoHostInvitation:
    return (
        CoHostInvitation.objects.select_for_update(of=("self",))
        .select_related("event__host_group", "group")
        .get(pk=invitation.pk)
    )


def _answer(invitation: CoHostInvitation, *, by: User, status: str) -> CoHostInvitation:
    """Record the invited group's answer; only ``Event.co_hosts`` decides what pages show."""
    invitation = _lock_invitation(invitation)
    if not policy.can_answer_cohost(by, invitation):
        raise PermissionDenied("You do not organize the invited group.")
    if invitation.status == CoHostStatus.WITHDRAWN:
        raise ValidationError("The host withdrew this invitation.")
    if invitation.status != status:
        invitation.status, invitation.answered_by, invitation.answered_at = status, by, timezone.now()
        invitation.save(update_fields=["status", "answered_by", "answered_at"])
        if status == CoHostStatus.ACCEPTED:
            invitation.event.co_hosts.add(invitation.group)
        else:
            invitation.event.co_hosts.remove(invitation.group)
    return invitation


@transaction.atomic
def cohost_accept(*, invitation: CoHostInvitation, by: User) -> CoHostInvitation:
    """An organizer of the invited group accepts: the event joins the group's page and feeds.

    A group that declined (or stopped co-hosting) may still accept while the host keeps the
    invitation; a withdrawn one is closed.
    """
    return _answer(invitation, by=by, status=CoHostStatus.ACCEPTED)


@transaction.atomic
def cohost_decline(*, invitation: CoHostInvitation, by: User) -> CoHostInvitation:
    """An organizer of the invited group says no, or stops co-hosting an event it accepted."""
    return _answer(invitation, by=by, status=CoHostStatus.DECLINED)


def _withdraw(invitation: CoHostInvitation) -> bool:
    """Withdraw a locked invitation; returns whether the group was co-hosting."""
    was_cohost = invitation.status == CoHostStatus.ACCEPTED
    invitation.status = CoHostStatus.WITHDRAWN
    invitation.save(update_fields=["status"])
    if was_cohost:
        invitation.event.co_hosts.remove(invitation.group)
    return was_cohost


@transaction.atomic
def cohost_withdraw(*, invitation: CoHostInvitation, by: User) -> CoHostInvitation:
    """Whoever runs the event withdraws an invitation (or drops a co-host that had accepted)."""
    invitation = _lock_invitation(invitation)
    if not policy.can_withdraw_cohost(by, invitation):
        raise PermissionDenied("You do not run this event.")
    if invitation.status != CoHostStatus.WITHDRAWN:
        _withdraw(invitation)
    return invitation


# --- RSVPs -----------------------------------------------------------------------------------


@transaction.atomic
def rsvp_create(*, event: Event, user: User, now: datetime | None = None) -> Rsvp:
    """RSVP in one click: a seat if one is left, else a place on the waitlist.

    The event row is locked (``select_for_update``) while seats are counted, so two members
    taking the last seat at the same moment are served one after the other: one gets the seat,
    the other the waitlist.
    """
    now = now or timezone.now()
    event = _lock(event)
    if event.status != EventStatus.PUBLISHED or now >= event.starts_at:
        raise RsvpClosed("RSVPs are closed for this event.")
    rsvp = Rsvp.objects.filter(event=event, user=user).first()
    if rsvp is not None and rsvp.status != RsvpStatus.CANCELLED:
        return rsvp
    has_seat = event.capacity is None or event.rsvps.going().count() < event.capacity
    # Someone already waiting keeps their turn: a newcomer never jumps the waitlist.
    if has_seat and event.rsvps.waitlisted().exists():
        has_seat = False
    status = RsvpStatus.GOING if has_seat else RsvpStatus.WAITLISTED
    if rsvp is None:
        rsvp = Rsvp.objects.create(event=event, user=user, status=status, status_changed_at=now)
    else:
        rsvp.status, rsvp.status_changed_at, rsvp.attended = status, now, None
        rsvp.save(update_fields=["status", "status_changed_at", "attended"])
    if status == RsvpStatus.GOING:
        reminders_schedule(rsvp=rsvp, event=event, now=now)
    return rsvp


@transaction.atomic
def rsvp_cancel(*, rsvp: Rsvp, now: datetime | None = None) -> Rsvp:
    """Cancel an RSVP; a freed seat goes to the first person on the waitlist, who is emailed."""
    now = now or timezone.now()
    event = _lock(rsvp.event)
    rsvp = Rsvp.objects.select_for_update().get(pk=rsvp.pk)
    if rsvp.status == RsvpStatus.CANCELLED:
        return rsvp
    was_going = rsvp.status == RsvpStatus.GOING
    rsvp.status, rsvp.status_changed_at = RsvpStatus.CANCELLED, now
    rsvp.save(update_fields=["status", "status_changed_at"])
    reminders_end_for_rsvp(rsvp=rsvp, reason="RSVP cancelled")
    if was_going:
        _promote_waitlist(event, now=now)
    return rsvp


def _promote_waitlist(event: Event, now: datetime | None = None) -> list[Rsvp]:
    """Fill free seats from the waitlist in order; call with the event row locked."""
    now = now or timezone.now()
    if event.status != EventStatus.PUBLISHED or now >= event.starts_at:
        return []
    promoted = []
    free = None if event.capacity is None else event.capacity - event.rsvps.going().count()
    waiting = event.rsvps.waitlisted().select_related("user")
    for rsvp in waiting if free is None else waiting[: max(free, 0)]:
        rsvp.status, rsvp.status_changed_at = RsvpStatus.GOING, now
        rsvp.save(update_fields=["status", "status_changed_at"])
        reminders_schedule(rsvp=rsvp, event=event, now=now)
        subject, text, html = render_email(
            "events/email/promoted",
            {"event": event, "rsvp": rsvp, "event_url": settings.SITE_URL + event.get_absolute_url()},
        )
        email_queue(kind="events.promoted", to=rsvp.user.email, subject=subject, body_text=text, body_html=html)
        promoted.append(rsvp)
    return promoted


@transaction.atomic
def attendance_mark(*, event: Event, by: User, attended_user_ids: set[int]) -> int:
    """Record who came, after the event has started. Returns how many were marked present."""
    _require_manager(by, event)
    going = event.rsvps.filter(status=RsvpStatus.GOING)
    going.exclude(user_id__in=attended_user_ids).update(attended=False)
    return going.filter(user_id__in=attended_user_ids).update(attended=True)


# --- private feed ----------------------------------------------------------------------------


def member_calendar_ensure(*, user: User) -> MemberCalendar:
    calendar_row, _ = MemberCalendar.objects.get_or_create(user=user)
    return calendar_row


@transaction.atomic
def member_calendar_reset(*, user: User) -> MemberCalendar:
    """A new secret address; the old one stops working at once."""
    MemberCalendar.objects.filter(user=user).delete()
    return MemberCalendar.objects.create(user=user)


def rsvps_release_for_user(*, user: User) -> int:
    """Cancel a member's active RSVPs (account deletion): freed seats go to people waiting."""
    released = 0
    for rsvp in Rsvp.objects.active().filter(user=user).select_related("event"):
        rsvp_cancel(rsvp=rsvp)
        released += 1
    return released
