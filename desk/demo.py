"""Demo data of the district desk: a few check-ins by the demo reps with the demo groups (one of
them due again), a few months of daily member counts, and one featured event (the demo town hall
in Lowell, featured by the MA-3 rep: it leads the home page, MA-3's page and MA-3's newsletter
block; the demo ally of ``allies.demo`` co-hosts it). Everything is fictional: the notes are
written by the demo reps of ``accounts.demo`` about the "(demo)" groups of ``groups.demo``, which
seed first (INSTALLED_APPS order). Idempotent: a note already there is not written again, and a
group that has counts already gets none.
"""

from __future__ import annotations

import datetime

from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import User
from desk import services
from desk.models import ContactMethod, ContactNote, FeaturedEvent, MemberCount
from desk.policy import DESK_STATUSES
from districts.models import BoardSeat
from events.models import Event
from groups.models import Group, MembershipStatus

# group, days ago, how, note, next check-in in days from today (negative: already due), or None
DEMO_NOTES = [
    (
        "Merrimack Valley Indivisible (demo)",
        120,
        ContactMethod.CALL,
        "Demo note: first call with the organizers; they plan a town hall in the spring.",
        None,
    ),
    (
        "Merrimack Valley Indivisible (demo)",
        45,
        ContactMethod.MEETING,
        "Demo note: met the organizers at the library; they would like help with a phone bank.",
        -10,
    ),
    (
        "Nashoba Action (demo)",
        12,
        ContactMethod.EMAIL,
        "Demo note: sent the training calendar; they will bring two new volunteers.",
        30,
    ),
    (
        "Metrowest Climate Indivisible (demo)",
        30,
        ContactMethod.EVENT_VISIT,
        "Demo note: visited their climate teach-in, about forty people came.",
        60,
    ),
    (
        "Worcester Together (demo)",
        20,
        ContactMethod.CALL,
        "Demo note: talked about a joint canvass with the Shrewsbury members.",
        40,
    ),
]

# How far back the demo's member counts go (the desk compares with 30 and 90 days ago), a week apart.
COUNT_DAYS_BACK = 112
COUNT_EVERY_DAYS = 7
# The demo group whose members grew: it had this many fewer members more than 30 days ago.
GROWING_GROUP = "Merrimack Valley Indivisible (demo)"


def _rep_of(group: Group) -> User | None:
    """The demo rep who holds the seat of the group's district today."""
    seat = BoardSeat.objects.current().filter(district=group.district, user__isnull=False).first()
    return seat.user if seat else None


def _notes(today: datetime.date) -> int:
    made = 0
    for name, days_ago, method, note, next_in in DEMO_NOTES:
        group = Group.objects.filter(name=name, status__in=DESK_STATUSES).first()
        rep = _rep_of(group) if group else None
        if group is None or rep is None or ContactNote.objects.filter(group=group, rep=rep, note=note).exists():
            continue
        services.contact_note_add(
            rep=rep,
            group=group,
            contacted_on=today - datetime.timedelta(days=days_ago),
            method=method,
            note=note,
            next_check_in=None if next_in is None else today + datetime.timedelta(days=next_in),
        )
        made += 1
    return made


def _member_counts(today: datetime.date) -> int:
    """Weekly counts back to ``COUNT_DAYS_BACK`` days for each demo group on a desk with none yet:
    today's count is its active members, as the daily task would write it."""
    groups = (
        Group.objects.filter(name__endswith="(demo)", status__in=DESK_STATUSES)
        .exclude(pk__in=MemberCount.objects.values("group_id"))
        .annotate(n=Count("memberships", filter=Q(memberships__status=MembershipStatus.ACTIVE)))
    )
    rows = []
    for group in groups:
        for days_ago in range(0, COUNT_DAYS_BACK + 1, COUNT_EVERY_DAYS):
            members = group.n
            if group.name == GROWING_GROUP and days_ago > 30:
                members = max(group.n - 1, 0)
            rows.append(MemberCount(group=group, day=today - datetime.timedelta(days=days_ago), members=members))
    return len(MemberCount.objects.bulk_create(rows, ignore_conflicts=True))


FEATURED_DEMO_EVENT = "demo-lowell-town-hall"


def _feature() -> int:
    """The MA-3 rep features the demo town hall, once (again only after it was unfeatured)."""
    event = Event.objects.listed().filter(slug=FEATURED_DEMO_EVENT).first()
    seat = BoardSeat.objects.current().filter(district__slug="ma-3", user__isnull=False).select_related("user").first()
    if event is None or seat is None or FeaturedEvent.objects.filter(event=event).exists():
        return 0
    services.event_feature(by=seat.user, event=event)
    return 1


def seed(stdout) -> None:
    today = timezone.localdate()
    notes = _notes(today)
    counts = _member_counts(today)
    featured = _feature()
    stdout.write(f"desk: {notes} demo contact notes, {counts} daily member counts, {featured} featured event")
