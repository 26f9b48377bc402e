"""Reads of the events app: the filtered listing, panels, "My events" and feeds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from districts.models import District, LegislativeDistrict, Town, TownLegislativeDistrict, haversine_miles
from events.models import (
    CoHostInvitation,
    CoHostStatus,
    Event,
    EventQuerySet,
    EventQuestion,
    EventStatus,
    Rsvp,
    RsvpStatus,
)
from events.reminders import MA_TZ

DISTANCES = (5, 10, 25, 50)


@dataclass
class EventFilters:
    """The listing's filters, already cleaned by ``events.forms.EventFilterForm``."""

    towns: list[Town] = field(default_factory=list)  # the place looked up (zip or town)
    distance: int = 10
    district: District | None = None
    event_type: str = ""
    date_from: date | None = None
    date_to: date | None = None
    online: bool = False
    accessibility: list[str] = field(default_factory=list)


def towns_within(centre: Town, miles: float) -> list[int]:
    """Ids of the towns whose centroid lies within ``miles`` of ``centre``'s centroid.

    351 rows of two floats: one small query, then plain arithmetic.
    """
    rows = Town.objects.values_list("pk", "latitude", "longitude")
    return [pk for pk, lat, lon in rows if haversine_miles(centre.latitude, centre.longitude, lat, lon) <= miles]


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=MA_TZ)


def event_search(filters: EventFilters, *, now: datetime | None = None, with_cancelled: bool = False) -> EventQuerySet:
    """Upcoming published events matching every given filter, soonest first.

    ``with_cancelled`` adds the upcoming cancelled ones (public too, see ``policy.can_view``): for
    a mirror of the calendar that must hear of them to take them down (the API's ``updated_since``).
    """
    if with_cancelled:
        events = Event.objects.filter(status__in=[EventStatus.PUBLISHED, EventStatus.CANCELLED]).upcoming(now)
    else:
        events = Event.objects.listed(now)
    if filters.towns:
        town_ids: set[int] = set()
        for town in filters.towns:
            town_ids.update(towns_within(town, filters.distance))
        events = events.filter(town_id__in=sorted(town_ids))
    if filters.district is not None:
        events = events.in_district(filters.district)
    if filters.event_type:
        events = events.filter(event_type=filters.event_type)
    if filters.date_from:
        events = events.filter(ends_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        events = events.filter(starts_at__lt=_day_start(filters.date_to + timedelta(days=1)))
    if filters.online:
        events = events.filter(is_online=True)
    for feature in filters.accessibility:
        # JSON list membership, written so that SQLite and PostgreSQL both answer it.
        events = events.filter(accessibility__icontains=f'"{feature}"')
    return events.for_cards()


def events_in_month(filters: EventFilters, year: int, month: int) -> EventQuerySet:
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    in_month = EventFilters(**{**filters.__dict__, "date_from": first, "date_to": following - timedelta(days=1)})
    # The calendar also shows the past days of the current month.
    return event_search(in_month, now=_day_start(first))


def events_near(towns: list[Town], *, miles: int = 25, limit: int = 5) -> list[Event]:
    return list(event_search(EventFilters(towns=towns, distance=miles))[:limit])


def events_of_district(district: District, *, limit: int = 5) -> list[Event]:
    return list(Event.objects.listed().in_district(district).for_cards()[:limit])


def events_of_state_district(district: LegislativeDistrict, *, limit: int = 5) -> list[Event]:
    """Upcoming events in the towns of a State House or Senate district (a split town's events
    show on each of its districts: an event has a town, not a precinct)."""
    towns = TownLegislativeDistrict.objects.filter(district=district).values("town_id")
    return list(Event.objects.listed().filter(town_id__in=towns).for_cards()[:limit])


def events_of_group(group, *, limit: int = 10) -> list[Event]:
    return list(Event.objects.listed().filter(Q(host_group=group) | Q(co_hosts=group)).distinct().for_cards()[:limit])


# --- co-hosting ------------------------------------------------------------------------------
# Pages and feeds read ``Event.co_hosts``, which holds accepted co-hosts only; these reads are the
# invitations themselves, for the people who send and answer them.

OPEN_COHOST_STATUSES = (CoHostStatus.PENDING, CoHostStatus.ACCEPTED)


def cohost_named_group_ids(event: Event) -> list[int]:
    """The groups the event form shows as named: invited and not yet answered, or co-hosting."""
    return list(event.cohost_invitations.filter(status__in=OPEN_COHOST_STATUSES).values_list("group_id", flat=True))


def cohost_invitations_of(event: Event) -> list[CoHostInvitation]:
    """For the people who run the event: whom they invited and what each group answered."""
    return list(
        event.cohost_invitations.exclude(status=CoHostStatus.WITHDRAWN).select_related("group").order_by("group__name")
    )


def cohost_invitations_answerable(user, event: Event) -> list[CoHostInvitation]:
    """This event's invitations to groups the person organizes (they may answer them)."""
    from groups.models import Membership

    if not user.is_authenticated:
        return []
    organized = Membership.objects.organizers().filter(user=user).values("group_id")
    return list(
        event.cohost_invitations.filter(group_id__in=organized)
        .exclude(status=CoHostStatus.WITHDRAWN)
        .select_related("group")
        .order_by("group__name")
    )


def cohost_invitations_pending(group, *, now: datetime | None = None, limit: int = 20) -> list[CoHostInvitation]:
    """A group's unanswered invitations to events that have not ended, soonest first."""
    return list(
        CoHostInvitation.objects.filter(
            group=group, status=CoHostStatus.PENDING, event__ends_at__gte=now or timezone.now()
        )
        .exclude(event__status=EventStatus.CANCELLED)
        .select_related("event__host_group", "event__town")
        .order_by("event__starts_at", "pk")[:limit]
    )


def my_rsvps(user, *, now: datetime | None = None) -> list[Rsvp]:
    """A member's RSVPs to events that have not ended, soonest first."""
    return list(
        Rsvp.objects.active()
        .filter(user=user, event__ends_at__gte=now or timezone.now())
        .exclude(event__status=EventStatus.DRAFT)
        .select_related("event__town", "event__host_group")
        .order_by("event__starts_at")
    )


def waitlist_position(rsvp: Rsvp) -> int | None:
    if rsvp.status != RsvpStatus.WAITLISTED:
        return None
    ahead = (
        Rsvp.objects.waitlisted()
        .filter(event_id=rsvp.event_id)
        .filter(
            Q(status_changed_at__lt=rsvp.status_changed_at)
            | Q(status_changed_at=rsvp.status_changed_at, pk__lt=rsvp.pk)
        )
        .count()
    )
    return ahead + 1


def seats_left(event: Event) -> int | None:
    if event.capacity is None:
        return None
    # People, not RSVPs: whole parties, and guests' unconfirmed holds while they run.
    return max(event.capacity - event.rsvps.seats_taken(), 0)


def feed_events(*, now: datetime | None = None) -> EventQuerySet:
    """What public feeds carry: published and cancelled events from a while back on."""
    from events.ics import FEED_HISTORY

    since = (now or timezone.now()) - FEED_HISTORY
    return (
        Event.objects.filter(status__in=[EventStatus.PUBLISHED, EventStatus.CANCELLED], ends_at__gte=since)
        .select_related("town", "host_group")
        .order_by("starts_at", "pk")
    )


def member_feed_events(user) -> list[Event]:
    rsvps = (
        Rsvp.objects.filter(user=user, status=RsvpStatus.GOING)
        .exclude(event__status=EventStatus.DRAFT)
        .select_related("event__town", "event__host_group")
        .order_by("event__starts_at")
    )
    return [r.event for r in rsvps]


def next_event_by_group(group_ids: list[int]) -> dict[int, Event]:
    """Each group's next listed event (hosted or co-hosted), for directory cards: one query.

    The groups come back annotated with their next event's fields (correlated subqueries), and
    light ``Event`` objects carry what a card shows: title, link and start.
    """
    from django.db.models import OuterRef, Subquery

    from groups.models import Group

    if not group_ids:
        return {}
    # Hosted and co-hosted events are looked up by separate subqueries: an OR across the host
    # column and the co-host join defeats the indexes (0.9 s a page at national scale).
    listed = Event.objects.listed().order_by("starts_at", "pk")
    sources = {
        "hosted": listed.filter(host_group=OuterRef("pk")),
        "cohosted": listed.filter(co_hosts=OuterRef("pk")),
    }
    fields = ("pk", "slug", "title", "starts_at")
    annotations = {
        f"{kind}_{name}": Subquery(query.values(name)[:1]) for kind, query in sources.items() for name in fields
    }
    rows = Group.objects.filter(pk__in=list(group_ids)).annotate(**annotations).values("pk", *annotations)
    found = {}
    for row in rows:
        candidates = [
            Event(pk=row[f"{kind}_pk"], slug=row[f"{kind}_slug"], title=row[f"{kind}_title"],
                  starts_at=row[f"{kind}_starts_at"])
            for kind in sources
            if row[f"{kind}_pk"] is not None
        ]  # fmt: skip
        if candidates:
            found[row["pk"]] = min(candidates, key=lambda event: (event.starts_at, event.pk))
    return found


# --- the event's questions and their answers (for the people who run the event only) ------------


def event_questions(event: Event) -> list[EventQuestion]:
    return list(event.questions.all())


def attendees_with_answers(event: Event) -> tuple[list[EventQuestion], list[Rsvp]]:
    """The questions and the active RSVPs of the attendees page and its CSV: two queries, however
    many people; each RSVP carries ``answer_cells``, its answers in the questions' order."""
    questions = event_questions(event)
    rsvps = list(event.rsvps.active().select_related("user").order_by("status", "status_changed_at", "pk"))
    for rsvp in rsvps:
        rsvp.answer_cells = [question.answer_text(rsvp.answers) for question in questions]
    return questions, rsvps


def labelled_answers(rsvp: Rsvp) -> dict[str, object]:
    """An RSVP's answers by question, for the data download (prefetch ``event__questions``)."""
    return {
        question.label: rsvp.answers[question.answer_key]
        for question in rsvp.event.questions.all()
        if question.answer_key in (rsvp.answers or {})
    }
