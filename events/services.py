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
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from districts.models import Town
from events import policy, rules
from events.ics import event_ics
from events.models import (
    GUEST_HOLD,
    CoHostInvitation,
    CoHostStatus,
    Event,
    EventQuestion,
    EventSeries,
    EventStatus,
    MemberCalendar,
    Recurrence,
    Rsvp,
    RsvpStatus,
)
from events.origin import locked_changes, origin_of, rsvp_elsewhere_message
from events.reminders import (
    MA_TZ,
    cant_come_token,
    reminders_end_for_event,
    reminders_end_for_rsvp,
    reminders_reschedule_event,
    reminders_schedule,
)
from events.rules import MAX_OCCURRENCES, rsvp_outcome, waitlist_serves
from groups.models import Group, Membership
from imc.links import absolute
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
    "address_is_private",
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


class RsvpClosed(Exception):
    """RSVPs are not open for this event (a draft, cancelled, or already started)."""


class RsvpElsewhere(RsvpClosed):
    """The event is imported: its RSVPs are taken where it comes from (``events.origin``)."""


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
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown event fields: {sorted(unknown)}")
    co_hosts = list(co_hosts)
    rules.event_check(
        values=values,
        creating=True,
        host_group=host_group,
        co_hosts=co_hosts,
        recurrence=recurrence,
        occurrences=occurrences,
    )
    require_clean_text(Event, values)
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


def rsvp_links(rsvp: Rsvp) -> dict[str, str]:
    """The links every mail about an RSVP carries, member's or guest's: the event, "I can't
    come", and for a guest "manage my RSVPs" (a member manages them on their profile)."""
    from events import tokens

    links = {
        "event_url": absolute(rsvp.event.get_absolute_url()),
        "cant_come_url": absolute(reverse("events:cant_come", args=[cant_come_token(rsvp)])),
        "manage_url": "",
    }
    if rsvp.is_guest:
        links["manage_url"] = absolute(reverse("events:guest_manage", args=[tokens.manage_token(rsvp.guest_email)]))
    return links


def _ics_attachment(event: Event, *, include_join_url: bool = False, include_address: bool = False) -> list[dict]:
    return [
        {
            "filename": f"{event.slug}.ics",
            "content": event_ics(event, include_join_url=include_join_url, include_address=include_address).decode(),
            "mimetype": "text/calendar",
        }
    ]


def _email_rsvps(event: Event, *, kind: str, template: str, extra: dict | None = None, ics: bool = True) -> None:
    """Tell everyone who RSVP'd (going or waitlisted); one outbox row each, in this transaction."""
    attachment = _ics_attachment(event)
    for rsvp in _rsvp_people(event):
        rsvp.event = event
        context = {"event": event, "rsvp": rsvp, "location": policy.location_for(event, rsvp=rsvp), **rsvp_links(rsvp)}
        subject, text, html = render_email(template, {**context, **(extra or {})})
        email_queue(
            kind=kind,
            to=rsvp.recipient_email,
            subject=subject,
            body_text=text,
            body_html=html,
            attachments=attachment if ics else None,
        )


@transaction.atomic
def event_update(
    *,
    event: Event,
    by: User,
    co_hosts: Iterable[Group] | None = None,
    now: datetime | None = None,
    from_origin: bool = False,
    **values,
) -> Event:
    """Change an event. A change of time or place emails everyone who RSVP'd and moves reminders.

    An imported event's copied fields are written by its sync alone (``from_origin``); anyone
    else's change to them is refused with a ``ValidationError`` naming them (``events.origin``)."""
    _require_manager(by, event)
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown event fields: {sorted(unknown)}")
    event = _lock(event)
    if not from_origin:
        refused = locked_changes(origin_of(event), event, values)
        if refused is not None:
            raise refused
    before = {field: getattr(event, field) for field in values}
    merged = {field: values.get(field, getattr(event, field)) for field in EDITABLE_FIELDS}
    rules.event_check(values=merged, creating=False, host_group=event.host_group, co_hosts=list(co_hosts or ()))
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


# --- the event's questions ------------------------------------------------------------------


@transaction.atomic
def event_questions_set(
    *, event: Event, by: User, questions: list[dict], add_accommodation: bool = False
) -> list[EventQuestion]:
    """Make ``questions`` (in order) the questions of the event; returns them.

    Each item has ``kind``, ``label``, ``choices`` and ``required``, and the ``id`` of the question
    it changes (None for a new one). A question left out is deleted, and its answers go from the
    RSVPs with it (nobody keeps an answer to a question no longer asked). ``add_accommodation``
    appends the ready-made accommodation question unless the event already asks it.
    Raises ``ValidationError`` (``events.rules.questions_check``: at most five, each sound) and
    ``PermissionDenied``; an id that is not one of this event's questions is refused.
    """
    _require_manager(by, event)
    event = _lock(event)
    existing = {q.pk: q for q in EventQuestion.objects.select_for_update().filter(event=event)}
    items = [
        {
            "id": item.get("id"),
            "kind": item.get("kind", ""),
            "label": (item.get("label") or "").strip(),
            "choices": [c.strip() for c in item.get("choices") or [] if c.strip()],
            "required": bool(item.get("required")),
        }
        for item in questions
    ]
    if add_accommodation and not any(i["label"] == rules.ACCOMMODATION_QUESTION["label"] for i in items):
        items.append({"id": None, **rules.ACCOMMODATION_QUESTION})
    rules.questions_check(items)
    ids = [i["id"] for i in items if i["id"] is not None]
    if any(pk not in existing for pk in ids) or len(set(ids)) != len(ids):
        raise ValidationError("A question was changed by someone else: reload the page and try again.")
    gone = [q for pk, q in existing.items() if pk not in ids]
    if gone:
        keys = {q.answer_key for q in gone}
        answered = [r for r in event.rsvps.all().only("pk", "answers") if keys & set(r.answers or {})]
        for rsvp in answered:
            rsvp.answers = {k: v for k, v in rsvp.answers.items() if k not in keys}
        Rsvp.objects.bulk_update(answered, ["answers"])
        EventQuestion.objects.filter(pk__in=[q.pk for q in gone]).delete()
    saved = []
    for position, item in enumerate(items):
        fields = {k: item[k] for k in ("kind", "label", "choices", "required")} | {"position": position}
        require_clean_text(EventQuestion, {"label": fields["label"]})
        if item["id"] is None:
            question = EventQuestion.objects.create(event=event, **fields)
        else:
            question = existing[item["id"]]
            for name, value in fields.items():
                setattr(question, name, value)
            question.save()
        saved.append(question)
    return saved


# --- RSVPs -----------------------------------------------------------------------------------
# Seats count people: each RSVP takes its whole party (``Rsvp.party_size``), and a guest's
# unconfirmed hold takes its seats until it runs out (``RsvpQuerySet.holding_seats``). Where an
# RSVP goes is ``events.rules.rsvp_outcome``; every write that counts seats holds the event row
# (``select_for_update``), so two people taking the last seat are served one after the other.


def _check_open(event: Event, now: datetime) -> None:
    if event.status != EventStatus.PUBLISHED or now >= event.starts_at:
        raise RsvpClosed("RSVPs are closed for this event.")
    origin = origin_of(event)
    if origin is not None:
        raise RsvpElsewhere(rsvp_elsewhere_message(origin))


def _outcome(event: Event, *, party_size: int, now: datetime, exclude: Rsvp | None = None) -> str:
    """Where an RSVP of ``party_size`` goes now; call with the event row locked."""
    holding = event.rsvps.holding_seats(now)
    waiting = event.rsvps.waitlisted()
    if exclude is not None:
        holding, waiting = holding.exclude(pk=exclude.pk), waiting.exclude(pk=exclude.pk)
    return rsvp_outcome(
        capacity=event.capacity,
        taken=holding.aggregate(total=Sum("party_size"))["total"] or 0,
        someone_waiting=waiting.exists(),
        party_size=party_size,
    )


def _mail_confirmation(rsvp: Rsvp, event: Event) -> None:
    """Every RSVP is answered by a mail: the details, the .ics, "I can't come" and, on the
    waitlist, the place in line."""
    from events.selectors import waitlist_position

    rsvp.event = event
    going = rsvp.status == RsvpStatus.GOING
    context = {
        "event": event,
        "rsvp": rsvp,
        "going": going,
        "position": waitlist_position(rsvp),
        "location": policy.location_for(event, rsvp=rsvp),
        **rsvp_links(rsvp),
    }
    subject, text, html = render_email("events/email/confirmation", context)
    email_queue(
        kind="events.rsvp_confirmation",
        to=rsvp.recipient_email,
        subject=subject,
        body_text=text,
        body_html=html,
        attachments=_ics_attachment(
            event, include_join_url=going, include_address=policy.sees_address(None, event, rsvp=rsvp)
        ),
    )


@transaction.atomic
def rsvp_create(
    *, event: Event, user: User, party_size: int = 1, answers: dict | None = None, now: datetime | None = None
) -> Rsvp:
    """RSVP in one click: a seat for the party if it fits, else a place on the waitlist.

    Raises ``RsvpClosed`` (not open), ``RsvpRefused`` (the party does not fit; see
    ``events.rules.rsvp_outcome``) or ``ValidationError`` (an answer to the event's questions
    that ``events.rules.answers_clean`` refuses). Every new RSVP is answered by a confirmation mail.
    """
    now = now or timezone.now()
    event = _lock(event)
    _check_open(event, now)
    rsvp = Rsvp.objects.filter(event=event, user=user).first()
    if rsvp is not None and rsvp.status != RsvpStatus.CANCELLED:
        return rsvp
    cleaned = rules.answers_clean(event.questions.all(), answers)
    status = _outcome(event, party_size=party_size, now=now)
    if rsvp is None:
        rsvp = Rsvp.objects.create(
            event=event,
            user=user,
            status=status,
            status_changed_at=now,
            party_size=party_size,
            confirmed_at=now,
            answers=cleaned,
        )
    else:
        rsvp.status, rsvp.status_changed_at, rsvp.attended = status, now, None
        rsvp.party_size, rsvp.confirmed_at, rsvp.answers = party_size, now, cleaned
        rsvp.save(update_fields=["status", "status_changed_at", "attended", "party_size", "confirmed_at", "answers"])
    if status == RsvpStatus.GOING:
        reminders_schedule(rsvp=rsvp, event=event, now=now)
    _mail_confirmation(rsvp, event)
    return rsvp


def _cancel(rsvp: Rsvp, now: datetime | None) -> Rsvp:
    now = now or timezone.now()
    event = _lock(rsvp.event)
    rsvp = Rsvp.objects.select_for_update().get(pk=rsvp.pk)
    if rsvp.status == RsvpStatus.CANCELLED:
        return rsvp
    held_seats = rsvp.status == RsvpStatus.GOING or (rsvp.status == RsvpStatus.PENDING and rsvp.holds_seat)
    rsvp.status, rsvp.status_changed_at = RsvpStatus.CANCELLED, now
    rsvp.save(update_fields=["status", "status_changed_at"])
    reminders_end_for_rsvp(rsvp=rsvp, reason="RSVP cancelled")
    if held_seats:
        _promote_waitlist(event, now=now)
    return rsvp


@transaction.atomic
def rsvp_cancel(*, rsvp: Rsvp, by: User, now: datetime | None = None) -> Rsvp:
    """Cancel an RSVP; freed seats go to the people first on the waitlist, who are emailed."""
    if not policy.can_cancel_rsvp(by, rsvp):
        raise PermissionDenied("Only the person who RSVP'd cancels it.")
    return _cancel(rsvp, now)


@transaction.atomic
def rsvp_cancel_by_link(*, rsvp: Rsvp, now: datetime | None = None) -> Rsvp:
    """Cancel from a signed link mailed to the RSVP's own address ("I can't come", a guest's
    manage page): the caller has read the RSVP from a valid token, which stands for its person."""
    return _cancel(rsvp, now)


def _promote_waitlist(event: Event, now: datetime | None = None) -> list[Rsvp]:
    """Fill free seats from the waitlist in line order, whole parties only (the first party that
    does not fit stops the line); call with the event row locked."""
    now = now or timezone.now()
    if event.status != EventStatus.PUBLISHED or now >= event.starts_at:
        return []
    waiting = list(event.rsvps.waitlisted().select_related("user"))
    if event.capacity is None:
        chosen = waiting
    else:
        free = max(event.capacity - event.rsvps.seats_taken(now), 0)
        chosen = waiting[: waitlist_serves(free=free, parties=[r.party_size for r in waiting])]
    for rsvp in chosen:
        rsvp.event = event
        rsvp.status, rsvp.status_changed_at = RsvpStatus.GOING, now
        rsvp.save(update_fields=["status", "status_changed_at"])
        reminders_schedule(rsvp=rsvp, event=event, now=now)
        context = {"event": event, "rsvp": rsvp, "location": policy.location_for(event, rsvp=rsvp), **rsvp_links(rsvp)}
        subject, text, html = render_email("events/email/promoted", context)
        email_queue(
            kind="events.promoted",
            to=rsvp.recipient_email,
            subject=subject,
            body_text=text,
            body_html=html,
            attachments=_ics_attachment(event, include_join_url=True, include_address=True),
        )
    return chosen


@transaction.atomic
def attendance_mark(
    *, event: Event, by: User, attended_user_ids: set[int] | None = None, attended_rsvp_ids: set[int] | None = None
) -> int:
    """Record who came, after the event has started. Returns how many were marked present.

    Guests have no user id: the attendees page names RSVPs (``attended_rsvp_ids``)."""
    _require_manager(by, event)
    going = event.rsvps.filter(status=RsvpStatus.GOING)
    present = Q(pk__in=attended_rsvp_ids or set()) | Q(user_id__in=attended_user_ids or set())
    going.exclude(present).update(attended=False)
    return going.filter(present).update(attended=True)


# --- guests: RSVP without an account ----------------------------------------------------------
# A guest gives a name, an address (and a ZIP code); the portal mails a confirmation link and
# holds the seat (or the waitlist place) for GUEST_HOLD. What the page answers never depends on
# the address: whether it already has an RSVP or an account is said only in the mail to it.


def _guest_context(event: Event, email: str) -> dict:
    from events import tokens

    return {
        "event": event,
        "event_url": absolute(event.get_absolute_url()),
        "manage_url": absolute(reverse("events:guest_manage", args=[tokens.manage_token(email)])),
        "hold_minutes": int(GUEST_HOLD.total_seconds() // 60),
    }


@transaction.atomic
def guest_rsvp_request(
    *,
    event: Event,
    name: str,
    email: str,
    zip_code: str = "",
    party_size: int = 1,
    answers: dict | None = None,
    now: datetime | None = None,
) -> None:
    """A visitor RSVPs as a guest: a pending RSVP holds its seat (or waitlist place) and a
    confirmation link is mailed to the address.

    Raises ``RsvpClosed``, ``RsvpRefused`` or ``ValidationError`` (the answers) from the event,
    the party and the answers alone, before the address is looked at. Then, silently (the
    caller's answer is the same in every case): an address that already has this event's RSVP
    is mailed its manage link instead; one whose request is still waiting is mailed the same
    link again (the hold is not extended).
    """
    now = now or timezone.now()
    email = email.strip().lower()
    values = {"guest_name": name.strip(), "guest_zip": zip_code.strip()}
    require_clean_text(Rsvp, values)
    event = _lock(event)
    _check_open(event, now)
    answers = rules.answers_clean(event.questions.all(), answers)
    existing = Rsvp.objects.select_for_update().filter(event=event, user__isnull=True, guest_email=email).first()
    if existing is not None and existing.status in (RsvpStatus.GOING, RsvpStatus.WAITLISTED):
        email_queue_template(
            kind="events.guest_already",
            to=email,
            template_prefix="events/email/guest_already",
            context={**_guest_context(event, email), "rsvp": existing},
        )
        return
    pending = (
        existing is not None
        and existing.status == RsvpStatus.PENDING
        and existing.hold_until is not None
        and existing.hold_until > now
    )
    if not pending:
        status = _outcome(event, party_size=party_size, now=now, exclude=existing)
        fields = {
            **values,
            "party_size": party_size,
            "answers": answers,
            "status": RsvpStatus.PENDING,
            "status_changed_at": now,
            "holds_seat": status == RsvpStatus.GOING,
            "hold_until": now + GUEST_HOLD,
            "confirmed_at": None,
            "attended": None,
        }
        if existing is None:
            existing = Rsvp.objects.create(event=event, guest_email=email, **fields)
        else:
            for field, value in fields.items():
                setattr(existing, field, value)
            existing.save(update_fields=list(fields))
    assert existing is not None and existing.hold_until is not None
    _mail_guest_link(existing, event)


def guest_confirm_token(rsvp: Rsvp) -> str:
    """The confirmation link's token of a pending guest RSVP (for its current hold)."""
    from events import tokens

    assert rsvp.hold_until is not None
    return tokens.confirm_token(rsvp.pk, rsvp.hold_until.isoformat())


def _mail_guest_link(rsvp: Rsvp, event: Event) -> None:
    token = guest_confirm_token(rsvp)
    email_queue_template(
        kind="events.guest_confirm",
        to=rsvp.guest_email,
        template_prefix="events/email/guest_confirm",
        context={
            **_guest_context(event, rsvp.guest_email),
            "rsvp": rsvp,
            "confirm_url": absolute(reverse("events:guest_confirm", args=[token])),
        },
    )


def guest_rsvp_from_token(token: str) -> Rsvp | None:
    """The pending RSVP a confirmation link stands for, or None (forged, expired, superseded)."""
    from events import tokens

    found = tokens.read_confirm_token(token)
    if found is None:
        return None
    pk, hold_until = found
    rsvp = Rsvp.objects.select_related("event__town", "event__host_group").filter(pk=pk, user__isnull=True).first()
    if rsvp is None or rsvp.hold_until is None or rsvp.hold_until.isoformat() != hold_until:
        return None
    return rsvp


@transaction.atomic
def guest_rsvp_confirm(*, rsvp: Rsvp, now: datetime | None = None) -> Rsvp:
    """The guest clicked their link: the held seat is theirs (or the waitlist place, in line
    from now). A hold that ran out is refused (``RsvpClosed``): RSVP again. Confirming twice
    changes nothing."""
    now = now or timezone.now()
    event = _lock(rsvp.event)
    rsvp = Rsvp.objects.select_for_update().get(pk=rsvp.pk)
    if rsvp.status != RsvpStatus.PENDING:
        return rsvp
    if rsvp.hold_until is None or rsvp.hold_until <= now:
        raise RsvpClosed("This link has expired: the seat was held for an hour. RSVP again from the event page.")
    _check_open(event, now)
    status = RsvpStatus.GOING if rsvp.holds_seat else _outcome(event, party_size=rsvp.party_size, now=now, exclude=rsvp)
    # ``hold_until`` stays: the link still names this RSVP, so a second click shows it.
    rsvp.status, rsvp.status_changed_at, rsvp.confirmed_at, rsvp.holds_seat = status, now, now, False
    rsvp.save(update_fields=["status", "status_changed_at", "confirmed_at", "holds_seat"])
    if status == RsvpStatus.GOING:
        reminders_schedule(rsvp=rsvp, event=event, now=now)
    _mail_confirmation(rsvp, event)
    return rsvp


def guest_holds_release(*, now: datetime | None = None) -> int:
    """Seats held by guests who never clicked go back: whoever waits for them is promoted.

    Run every minute with the reminders tick. A hold that ran out already stops counting as
    taken (``RsvpQuerySet.holding_seats``); this serves the waitlist, which no other write
    would wake. Returns how many holds were released.
    """
    now = now or timezone.now()
    expired = Rsvp.objects.filter(status=RsvpStatus.PENDING, holds_seat=True, hold_until__lte=now)
    released = 0
    for event_id in sorted(set(expired.values_list("event_id", flat=True))):
        with transaction.atomic():
            event = _lock(Event(pk=event_id))
            released += expired.filter(event_id=event_id).update(holds_seat=False)
            _promote_waitlist(event, now=now)
    return released


def guest_link_send(*, email: str, purpose: str) -> None:
    """Mail an address its "manage my RSVPs" link (``purpose="manage"``) or its data link
    (``"data"``), whatever it holds: the page that asks says the same for every address."""
    from events import tokens

    email = email.strip().lower()
    if purpose == "manage":
        url = absolute(reverse("events:guest_manage", args=[tokens.manage_token(email)]))
    else:
        url = absolute(reverse("events:guest_data", args=[tokens.data_token(email)]))
    email_queue_template(
        kind="events.guest_manage_link" if purpose == "manage" else "events.guest_data_link",
        to=email,
        template_prefix=f"events/email/guest_{purpose}_link",
        context={"url": url},
    )


@transaction.atomic
def guest_rsvps_claim(*, user: User, email: str) -> int:
    """A member proved ``email`` is theirs: its guest RSVPs become the account's.

    Where the member already has an RSVP of their own for the same event, theirs stands and the
    guest one is given up (its seats go to the waitlist). Returns how many were attached.
    """
    from accounts.selectors import user_verified_addresses

    email = email.strip().lower()
    if email not in user_verified_addresses(user):
        return 0
    attached = 0
    for rsvp in Rsvp.objects.of_guest(email).select_related("event"):
        own = Rsvp.objects.filter(event_id=rsvp.event_id, user=user).first()
        if own is not None and own.status != RsvpStatus.CANCELLED:
            if rsvp.status != RsvpStatus.CANCELLED:
                _cancel(rsvp, None)
            continue
        if own is not None:
            own.delete()  # the member's own cancelled RSVP: the guest one is the newer word
        Rsvp.objects.filter(pk=rsvp.pk).update(user=user, guest_email="", guest_name="", guest_zip="")
        attached += 1
    return attached


def guest_data_export(email: str) -> dict:
    """What events holds under a guest's address, for the data download of that address."""
    from events import selectors

    rsvps = (
        Rsvp.objects.of_guest(email)
        .select_related("event")
        .prefetch_related("event__questions")
        .order_by("event__starts_at")
    )
    return {
        "rsvps": [
            {
                "event": rsvp.event.title,
                "url": absolute(rsvp.event.get_absolute_url()),
                "starts_at": rsvp.event.starts_at.isoformat(),
                "name": rsvp.guest_name,
                "email": rsvp.guest_email,
                "zip_code": rsvp.guest_zip,
                "party_size": rsvp.party_size,
                "answers": selectors.labelled_answers(rsvp),
                "status": rsvp.status,
                "since": rsvp.status_changed_at.isoformat(),
                "attended": rsvp.attended,
            }
            for rsvp in rsvps
        ]
    }


@transaction.atomic
def guest_data_erase(email: str) -> int:
    """Erase a guest's RSVPs: seats are given up first (the waitlists move on), then the rows go."""
    rows = list(Rsvp.objects.of_guest(email).select_related("event"))
    for rsvp in rows:
        if rsvp.status != RsvpStatus.CANCELLED:
            _cancel(rsvp, None)
    return Rsvp.objects.of_guest(email).delete()[0]


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
        rsvp_cancel(rsvp=rsvp, by=user)
        released += 1
    return released
