"""Every write of the desk: contact notes, outreach, features, the daily member counts, the weekly email.

Each service checks the actor against ``desk.policy`` itself, whoever calls it (a view, a task,
a script), and is atomic: the emails it owes are ``OutboundEmail`` rows of the same transaction.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from desk.models import ContactMethod, ContactNote, FeaturedEvent, MemberCount, Outreach, WeeklyDigest
from desk.policy import DESK_STATUSES, can_feature, can_open_district, can_read_log, desk_groups
from desk.selectors import DistrictWeek, district_week
from districts.models import BoardSeat, District
from events.models import Event
from groups.models import Group, Membership, MembershipStatus
from imc.links import absolute
from imc.validators import require_clean_text
from outbox.services import email_queue, email_queue_template, emails_queue_batch, render_email

# How far back a check-in may be recorded, and how far ahead the next one may be set.
OLDEST_NOTE_DAYS = 3 * 365
FURTHEST_CHECK_IN_DAYS = 2 * 365
OUTREACH_PER_REP_PER_DAY = 10
MEMBER_COUNT_KEEP_DAYS = 120


class DeskError(Exception):
    """A write the rules refuse; the message is safe to show to the person."""


class RateLimited(DeskError):
    pass


def outreach_daily_limit() -> int:
    """Messages a rep may send from the desk in 24 hours (``DESK_OUTREACH_PER_REP_PER_DAY``)."""
    return int(getattr(settings, "DESK_OUTREACH_PER_REP_PER_DAY", OUTREACH_PER_REP_PER_DAY))


def contact_note_dates_check(contacted_on: datetime.date, next_check_in: datetime.date | None) -> None:
    """The one rule set for a note's dates, asked by the form and the service alike."""
    today = timezone.localdate()
    if contacted_on > today:
        raise DeskError("The check-in date cannot be in the future.")
    if contacted_on < today - datetime.timedelta(days=OLDEST_NOTE_DAYS):
        raise DeskError("That check-in date is too long ago (three years at most).")
    if next_check_in is not None:
        if next_check_in <= contacted_on:
            raise DeskError("The next check-in must come after the check-in.")
        if next_check_in > today + datetime.timedelta(days=FURTHEST_CHECK_IN_DAYS):
            raise DeskError("Set the next check-in within two years.")


@transaction.atomic
def contact_note_add(
    *,
    rep: User,
    group: Group,
    contacted_on: datetime.date,
    method: ContactMethod | str,
    note: str = "",
    next_check_in: datetime.date | None = None,
) -> ContactNote:
    """A rep (or a coordinator) records a check-in with a group of their districts."""
    if not can_read_log(rep, group):
        raise DeskError("Only the representatives of the group's districts or a coordinator keep its log.")
    if method not in ContactMethod.values:
        raise DeskError("Choose how you were in touch.")
    require_clean_text(ContactNote, {"note": note})
    contact_note_dates_check(contacted_on, next_check_in)
    return ContactNote.objects.create(
        group=group,
        rep=rep,
        contacted_on=contacted_on,
        method=method,
        note=note.strip(),
        next_check_in=next_check_in,
    )


# --- Reaching out -----------------------------------------------------------------------------------


def _check_outreach_limit(rep: User, now: datetime.datetime) -> None:
    # The rep's row, locked until the transaction ends: two sends at once count one after the
    # other (PostgreSQL); SQLite lets one writer at a time anyway.
    User.objects.select_for_update().filter(pk=rep.pk).first()
    limit = outreach_daily_limit()
    sent = Outreach.objects.filter(rep=rep, created_at__gte=now - datetime.timedelta(days=1)).count()
    if sent >= limit:
        raise RateLimited(f"You have reached out {sent} times today, the most a day allows. Please try tomorrow.")


@transaction.atomic
def outreach_send(
    *, rep: User, district: District, groups: Sequence[Group], subject: str, body: str
) -> tuple[Outreach, list[Group]]:
    """Write to the organizers of some of the district's groups, each organizer their own copy.

    Replies go to the rep (reply-to), and no organizer sees another's address; each group reached
    gets a note on its contact log. Returns the outreach and the groups nobody could receive
    (no active organizer); refuses when that is every one of them.
    """
    if not can_open_district(rep, district):
        raise DeskError("You can write only to the groups of your own districts.")
    require_clean_text(Outreach, {"subject": subject, "body": body})
    if not subject.strip() or not body.strip():
        raise DeskError("Write a subject and a message.")
    if not groups:
        raise DeskError("Choose at least one group.")
    ids = {g.pk for g in groups}
    allowed = set(desk_groups(district).filter(pk__in=ids).values_list("pk", flat=True))
    if allowed != ids:
        raise DeskError(f"You can write only to the groups of {district.code}.")
    now = timezone.now()
    _check_outreach_limit(rep, now)
    addresses: dict[int, set[str]] = defaultdict(set)
    for group_id, email in (
        Membership.objects.organizers()
        .filter(group_id__in=ids, user__is_active=True)
        .values_list("group_id", "user__email")
    ):
        addresses[group_id].add(email)
    reached = [g for g in groups if addresses.get(g.pk)]
    skipped = sorted((g for g in groups if not addresses.get(g.pk)), key=lambda g: g.name)
    if not reached:
        raise DeskError("None of these groups has an organizer who can receive mail right now.")
    outreach = Outreach.objects.create(
        rep=rep,
        district=district,
        subject=subject.strip(),
        body=body.strip(),
        recipients=sum(len(addresses[g.pk]) for g in reached),
    )
    email_ids = []
    for group in reached:
        context = {
            "outreach": outreach,
            "group": group,
            "rep": rep,
            "rep_name": rep.get_full_name() or rep.display_name,
            "group_url": absolute(group.get_absolute_url()),
        }
        mail_subject, text, html = render_email("desk/emails/outreach", context)
        for address in sorted(addresses[group.pk]):
            email = email_queue(
                kind="desk.outreach",
                to=address,
                subject=mail_subject,
                body_text=text,
                body_html=html,
                reply_to=rep.email,
                dispatch=False,
            )
            email_ids.append(email.pk)
    emails_queue_batch(email_ids=email_ids)
    today = timezone.localdate(now)
    ContactNote.objects.bulk_create(
        [
            ContactNote(
                group=group,
                rep=rep,
                contacted_on=today,
                method=ContactMethod.EMAIL,
                note=f"Wrote from the desk: {outreach.subject}",
                outreach=outreach,
            )
            for group in reached
        ]
    )
    return outreach, skipped


# --- Amplifying: featured events ---------------------------------------------------------------------


@transaction.atomic
def event_feature(*, by: User, event: Event) -> FeaturedEvent:
    """Feature an upcoming published event (idempotent: featuring it again keeps the first row)."""
    if not can_feature(by, event):
        raise DeskError("You can feature only the events of your own districts.")
    if not Event.objects.listed().filter(pk=event.pk).exists():
        raise DeskError("Only an upcoming published event can be featured.")
    feature, _ = FeaturedEvent.objects.get_or_create(event=event, defaults={"featured_by": by})
    return feature


@transaction.atomic
def event_unfeature(*, by: User, event: Event) -> bool:
    """Stop featuring an event; False when it was not featured."""
    if not can_feature(by, event):
        raise DeskError("You can unfeature only the events of your own districts.")
    deleted, _ = FeaturedEvent.objects.filter(event=event).delete()
    return bool(deleted)


# --- The daily member counts -------------------------------------------------------------------------


@transaction.atomic
def member_counts_record(*, now: datetime.datetime | None = None) -> int:
    """Write today's count of active members of every group on a desk, once a day; drop the
    counts older than the desk reads. Returns how many counts it wrote (0 on a second run)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    done = set(MemberCount.objects.filter(day=today).values_list("group_id", flat=True))
    counts = (
        Group.objects.filter(status__in=DESK_STATUSES)
        .exclude(pk__in=done)
        .annotate(n=Count("memberships", filter=Q(memberships__status=MembershipStatus.ACTIVE)))
        .values_list("pk", "n")
    )
    written = MemberCount.objects.bulk_create(
        [MemberCount(group_id=pk, day=today, members=n) for pk, n in counts], ignore_conflicts=True
    )
    MemberCount.objects.filter(day__lt=today - datetime.timedelta(days=MEMBER_COUNT_KEEP_DAYS)).delete()
    return len(written)


# --- The weekly email -------------------------------------------------------------------------------


def week_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def _reps_and_districts(today: datetime.date) -> dict[User, list[District]]:
    seats = (
        BoardSeat.objects.current(today)
        .filter(user__isnull=False, user__is_active=True, user__is_staff=True)
        .select_related("user", "district")
        .order_by("user_id", "district__number")
    )
    found: dict[User, list[District]] = defaultdict(list)
    for seat in seats:
        if seat.user.is_district_rep:
            found[seat.user].append(seat.district)
    return found


def _week_with_links(district: District, now: datetime.datetime) -> DistrictWeek:
    week = district_week(district, now=now)
    week.url = absolute(reverse("desk:district", args=[district.slug]))
    week.due_links = [(row, absolute(reverse("desk:group", args=[district.slug, row.group.slug]))) for row in week.due]
    return week


def digests_send_weekly(*, now: datetime.datetime | None = None) -> int:
    """Queue each rep's email for this week (Monday to Sunday), once: a rep whose week's row
    exists is skipped, so the task may run as often as it likes. Returns how many it queued."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    week = week_of(today)
    done = set(WeeklyDigest.objects.filter(week=week).values_list("rep_id", flat=True))
    sent = 0
    weeks: dict[int, DistrictWeek] = {}
    for rep, districts in _reps_and_districts(today).items():
        if rep.pk in done:
            continue
        parts = []
        for district in districts:
            if district.pk not in weeks:
                weeks[district.pk] = _week_with_links(district, now)
            parts.append(weeks[district.pk])
        try:
            with transaction.atomic():
                digest = WeeklyDigest.objects.create(rep=rep, week=week)
                digest.email = email_queue_template(
                    kind="desk.weekly",
                    to=rep.email,
                    template_prefix="desk/emails/weekly",
                    context={
                        "rep": rep,
                        "week": week,
                        "weeks": parts,
                        "desk_url": absolute(reverse("desk:index")),
                    },
                )
                digest.save(update_fields=["email"])
        except IntegrityError:
            continue  # another run of the task queued it a moment ago
        sent += 1
    return sent
