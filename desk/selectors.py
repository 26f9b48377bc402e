"""Reads of the desk, each written for a fixed number of queries whatever the number of groups.

``district_desk`` is three queries: the groups with their counts and dates as subqueries (one
row each), their latest notes, and the daily member counts 30 and 90 days ago.
``coalition_health`` is three more: the districts, the per-district counts, the events per month.
"""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from desk.models import ContactNote, FeaturedEvent, MemberCount
from desk.policy import desk_groups, featurable_events
from districts.models import District
from events.models import Event, EventStatus
from groups.models import (
    ClaimStatus,
    Group,
    GroupClaim,
    GroupDistrict,
    GroupStatus,
    Membership,
    MembershipStatus,
)

# A request to join unanswered this long is waiting on the group's organizers.
JOIN_REQUEST_WAIT_DAYS = 7
# Without a date set for the next check-in, a group is due this long after the last contact.
CHECK_IN_EVERY_DAYS = 90
QUIET_AFTER_DAYS = 90
CONFIRMED_WITHIN_DAYS = 365
# Looking for the count of "30 days ago" a few days further back, should a daily run be missed.
COUNT_SLACK_DAYS = 7


class Tier(enum.IntEnum):
    """The desk's order, as the page explains it."""

    WAITING = 0  # a listing waiting for approval, a claim, a request to join unanswered for a week
    DUE = 1  # the check-in date has passed, or no rep has been in touch for 90 days
    QUIET = 2  # stale or unconfirmed for a year, no event in 90 days and none coming, fewer members
    FINE = 3


def _count(queryset, by: str = "group") -> Coalesce:
    """A correlated COUNT as a column (grouped by the column ``OuterRef`` matches): one row per
    group however many rows it counts."""
    counted = queryset.order_by().values(by).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def check_in_due(note: ContactNote | None, on: datetime.date) -> bool:
    """Whether a group is due a rep's check-in on this day, from its latest note."""
    if note is None:
        return True
    if note.next_check_in is not None:
        return note.next_check_in <= on
    return note.contacted_on <= on - datetime.timedelta(days=CHECK_IN_EVERY_DAYS)


@dataclass
class GroupSignals:
    group: Group
    members: int
    upcoming_events: int
    join_requests_waiting: int
    claims_waiting: int
    last_event_at: datetime.datetime | None
    last_note: ContactNote | None = None
    days_since_event: int | None = None
    change_30: int | None = None
    change_90: int | None = None
    tier: Tier = Tier.FINE
    reasons: list[str] = field(default_factory=list)
    url: str = ""  # the group's contact log, set by the page that lists it

    @property
    def listing_waiting(self) -> bool:
        return self.group.status == GroupStatus.PENDING

    @property
    def is_stale(self) -> bool:
        return self.group.is_stale


# What the desk reads of a group: a listing's long texts stay in the database.
DESK_GROUP_FIELDS = ("name", "slug", "status", "created_at", "last_confirmed", "is_stale", "home_town__name")


def _groups_with_signals(district: District, now: datetime.datetime):
    events = Event.objects.filter(host_group=OuterRef("pk"), status=EventStatus.PUBLISHED)
    waited = now - datetime.timedelta(days=JOIN_REQUEST_WAIT_DAYS)
    return (
        desk_groups(district)
        .select_related("home_town")
        .only(*DESK_GROUP_FIELDS)
        .annotate(
            members_now=_count(Membership.objects.filter(group=OuterRef("pk"), status=MembershipStatus.ACTIVE)),
            upcoming=_count(events.filter(ends_at__gte=now), by="host_group"),
            last_event_at=Subquery(events.filter(starts_at__lt=now).order_by("-starts_at").values("starts_at")[:1]),
            requests_waiting=_count(
                Membership.objects.filter(group=OuterRef("pk"), status=MembershipStatus.PENDING, created_at__lt=waited)
            ),
            claims_waiting=_count(GroupClaim.objects.filter(group=OuterRef("pk"), status=ClaimStatus.PENDING)),
            last_note_id=Subquery(
                ContactNote.objects.filter(group=OuterRef("pk")).order_by("-contacted_on", "-pk").values("pk")[:1]
            ),
        )
    )


def _count_on_or_before(
    counts: dict[int, list[tuple[datetime.date, int]]], group_id: int, day: datetime.date
) -> int | None:
    """The latest daily count of the group at most ``COUNT_SLACK_DAYS`` before ``day``."""
    low = day - datetime.timedelta(days=COUNT_SLACK_DAYS)
    found = [(d, members) for d, members in counts.get(group_id, []) if low <= d <= day]
    return max(found)[1] if found else None


def _change(group: Group, members: int, baseline: int | None, since: datetime.date) -> int | None:
    if baseline is not None:
        return members - baseline
    if timezone.localtime(group.created_at).date() > since:
        return members  # the group did not exist then: it started from nobody
    return None  # no count that old yet: unknown, not guessed


def _classify(row: GroupSignals, today: datetime.date) -> None:
    group = row.group
    if row.listing_waiting:
        row.reasons.append("Listing waiting for approval")
    if row.claims_waiting:
        row.reasons.append("Claim waiting for a decision")
    if row.join_requests_waiting:
        row.reasons.append(f"{row.join_requests_waiting} join request(s) unanswered for a week")
    if row.reasons:
        row.tier = Tier.WAITING
        return
    if check_in_due(row.last_note, today):
        row.tier = Tier.DUE
        row.reasons.append("Never contacted" if row.last_note is None else "Check-in due")
        return
    confirmed = group.last_confirmed
    if group.is_stale:
        row.reasons.append("Stale listing")
    elif confirmed is None or confirmed < timezone.now() - datetime.timedelta(days=CONFIRMED_WITHIN_DAYS):
        row.reasons.append("Not confirmed for a year")
    if not row.upcoming_events and (row.days_since_event is None or row.days_since_event > QUIET_AFTER_DAYS):
        row.reasons.append("No event in 90 days and none coming")
    if row.change_90 is not None and row.change_90 < 0:
        row.reasons.append("Fewer members than 90 days ago")
    row.tier = Tier.QUIET if row.reasons else Tier.FINE


def _attention_key(row: GroupSignals) -> tuple:
    contacted = row.last_note.contacted_on if row.last_note else datetime.date.min
    return (row.tier, contacted, row.group.name.lower(), row.group.pk)


def district_desk(district: District, *, now: datetime.datetime | None = None) -> list[GroupSignals]:
    """Every group on the district's desk with its signals, those needing attention first:
    by ``Tier``, then the longest without a rep's contact (never first), then by name."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    groups = list(_groups_with_signals(district, now))
    notes = {
        n.pk: n
        for n in ContactNote.objects.filter(pk__in=[g.last_note_id for g in groups if g.last_note_id]).select_related(
            "rep"
        )
    }
    day_30, day_90 = today - datetime.timedelta(days=30), today - datetime.timedelta(days=90)
    counts: dict[int, list[tuple[datetime.date, int]]] = {}
    slack = datetime.timedelta(days=COUNT_SLACK_DAYS)
    # Tuples, not model rows: up to 16 counts a group, and building 11,000 models for a desk of
    # 700 groups cost more than the query itself (bench/desk).
    for group_id, day, members in MemberCount.objects.filter(
        Q(day__range=(day_30 - slack, day_30)) | Q(day__range=(day_90 - slack, day_90)),
        group__in=desk_groups(district).values("pk"),
    ).values_list("group_id", "day", "members"):
        counts.setdefault(group_id, []).append((day, members))
    rows = []
    for group in groups:
        row = GroupSignals(
            group=group,
            members=group.members_now,
            upcoming_events=group.upcoming,
            join_requests_waiting=group.requests_waiting,
            claims_waiting=group.claims_waiting,
            last_event_at=group.last_event_at,
            last_note=notes.get(group.last_note_id),
        )
        if group.last_event_at is not None:
            row.days_since_event = (today - timezone.localtime(group.last_event_at).date()).days
        row.change_30 = _change(group, row.members, _count_on_or_before(counts, group.pk, day_30), day_30)
        row.change_90 = _change(group, row.members, _count_on_or_before(counts, group.pk, day_90), day_90)
        _classify(row, today)
        rows.append(row)
    return sorted(rows, key=_attention_key)


def group_log(group: Group) -> list[ContactNote]:
    return list(ContactNote.objects.filter(group=group).select_related("rep", "outreach"))


# --- Featured events ------------------------------------------------------------------------------------

FEATURED_SHOWN = 5
FEATURABLE_SHOWN = 100


def featured_events(district: District | None, limit: int = FEATURED_SHOWN, *, now=None) -> list[Event]:
    """The upcoming featured events for a district's readers (its own and those in its towns, as
    its pages list events), or every district's (None), soonest first: one query. What the desk
    contributes as ``Kind.FEATURED_EVENTS``; a feature of an event that has taken place is no
    longer listed (``Event.objects.listed``), so nobody has to remove it."""
    events = Event.objects.listed(now).filter(desk_feature__isnull=False)
    if district is not None:
        events = events.in_district(district)
    return list(events.for_cards()[:limit])


def district_featurable(district: District) -> list[Event]:
    """The district's next events a rep may feature, each with ``is_featured``: one query."""
    return list(
        featurable_events(district)
        .annotate(is_featured=Exists(FeaturedEvent.objects.filter(event=OuterRef("pk"))))
        .for_cards()[:FEATURABLE_SHOWN]
    )


# --- The weekly email ---------------------------------------------------------------------------


@dataclass
class DistrictWeek:
    district: District
    due: list[GroupSignals]
    new_listings: list[Group]
    stale_listings: list[Group]
    events: list[Event]
    # Absolute addresses for the email (imc.links.absolute), filled by the service that sends it.
    url: str = ""
    due_links: list[tuple[GroupSignals, str]] = field(default_factory=list)


def district_week(district: District, *, now: datetime.datetime | None = None) -> DistrictWeek:
    """What a rep's weekly email says about one district: groups due a check-in within the week,
    listings new in the last 7 days (waiting or approved), stale listings, the next 14 days' events."""
    now = now or timezone.now()
    week_end = timezone.localdate(now) + datetime.timedelta(days=6)
    rows = district_desk(district, now=now)
    due = [r for r in rows if check_in_due(r.last_note, week_end)]
    new = [r.group for r in rows if r.group.created_at >= now - datetime.timedelta(days=7)]
    stale = [r.group for r in rows if r.group.is_stale]
    events = list(
        Event.objects.listed(now)
        .in_district(district)
        .filter(starts_at__lt=now + datetime.timedelta(days=14))
        .for_cards()[:30]
    )
    return DistrictWeek(district=district, due=due, new_listings=new, stale_listings=stale, events=events)


# --- The coalition's health -----------------------------------------------------------------------


@dataclass
class DistrictHealth:
    district: District
    groups: int
    active: int
    stale: int
    contacted: int
    events_per_month: list[int]

    @property
    def contacted_share(self) -> float | None:
        return self.contacted / self.groups if self.groups else None

    @property
    def active_share(self) -> float | None:
        return self.active / self.groups if self.groups else None


def months_back(today: datetime.date, n: int = 12) -> list[datetime.date]:
    """The first days of the last ``n`` months, this one last."""
    first, months = today.replace(day=1), []
    for _ in range(n):
        months.append(first)
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return months[::-1]


def coalition_health(*, now: datetime.datetime | None = None) -> list[DistrictHealth]:
    """Per district: listed groups serving it, those active in the last 90 days (an event started,
    or the listing confirmed), stale listings, those a rep contacted in the last 90 days, and the
    published events of each of the last 12 months (by the event's district)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    since = now - datetime.timedelta(days=QUIET_AFTER_DAYS)
    recent_event = Event.objects.filter(
        host_group=OuterRef("group_id"), status=EventStatus.PUBLISHED, starts_at__gte=since, starts_at__lt=now
    )
    contacted = ContactNote.objects.filter(
        group=OuterRef("group_id"), contacted_on__gte=today - datetime.timedelta(days=QUIET_AFTER_DAYS)
    )
    per_district: dict[int, Any] = {
        row["district_id"]: row
        for row in GroupDistrict.objects.filter(group__status=GroupStatus.APPROVED)
        .annotate(recent=Exists(recent_event), reached=Exists(contacted))
        .values("district_id")
        .annotate(
            groups=Count("pk"),
            stale=Count("pk", filter=Q(group__is_stale=True)),
            active=Count("pk", filter=Q(recent=True) | Q(group__last_confirmed__gte=since)),
            contacted=Count("pk", filter=Q(reached=True)),
        )
        .order_by()
    }
    months = months_back(today)
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.datetime.combine(months[0], datetime.time()), tz)
    monthly: dict[tuple[int, datetime.date], int] = {}
    for row in (
        Event.objects.filter(status=EventStatus.PUBLISHED, starts_at__gte=start, starts_at__lte=now)
        .exclude(district__isnull=True)
        .annotate(month=TruncMonth("starts_at", tzinfo=tz))
        .values("district_id", "month")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        month = row["month"].date() if isinstance(row["month"], datetime.datetime) else row["month"]
        monthly[(row["district_id"], month)] = row["n"]
    result = []
    for district in District.objects.all():
        counts = per_district.get(district.pk, {})
        result.append(
            DistrictHealth(
                district=district,
                groups=counts.get("groups", 0),
                active=counts.get("active", 0),
                stale=counts.get("stale", 0),
                contacted=counts.get("contacted", 0),
                events_per_month=[monthly.get((district.pk, m), 0) for m in months],
            )
        )
    return result
