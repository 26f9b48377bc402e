"""Reads about groups that pages share: the directory search, a district's or a place's groups,
a member's groups. Each runs a fixed number of queries whatever the number of groups."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, ExpressionWrapper, F, FloatField, OuterRef, Prefetch, Q, Value, Window
from django.db.models.functions import RowNumber
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import User
from districts.models import District, LegislativeDistrict, Town, TownLegislativeDistrict, haversine_miles
from districts.selectors import PlaceLookup, place_lookup
from groups.models import Group, GroupQuerySet, GroupStatus, Membership, ModerationLogEntry
from imc import registry
from imc.links import slug_url


def attach_next_events(groups: list[Group]) -> None:
    """Set ``next_event`` (an event or None) on each group: what the apps that hold events
    contribute (``Kind.GROUP_NEXT_EVENTS``), one query each for all the groups."""
    found: dict[int, object] = {}
    ids = [g.pk for g in groups]
    if ids:
        for contribution in registry.contributions(registry.Kind.GROUP_NEXT_EVENTS):
            found.update(contribution.function(ids))
    for group in groups:
        group.next_event = found.get(group.pk)  # type: ignore[attr-defined]  # a card attribute, not a field


@dataclass
class DirectoryFilters:
    q: str = ""
    town: str = ""
    zip: str = ""
    district: str = ""
    include_stale: bool = False

    @property
    def place_query(self) -> str:
        return self.zip or self.town


@dataclass
class FilteredGroups:
    """The groups the directory's filters match, unordered, and what the filters resolved to."""

    groups: GroupQuerySet
    place: PlaceLookup | None = None
    district: District | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def anchor_town(self) -> Town | None:
        return self.place.towns[0] if self.place and self.place.found else None


@dataclass
class DirectoryResult:
    """One page of the directory, with what its filters resolved to."""

    page: Page
    filters: DirectoryFilters
    found: FilteredGroups

    @property
    def place(self) -> PlaceLookup | None:
        return self.found.place

    @property
    def district(self) -> District | None:
        return self.found.district

    @property
    def problems(self) -> list[str]:
        return self.found.problems

    @property
    def anchor_town(self) -> Town | None:
        return self.found.anchor_town


def _with_card_data(groups: GroupQuerySet) -> GroupQuerySet:
    """What a directory card shows: district, first town and the towns served (one prefetch)."""
    return groups.select_related("district", "home_town").prefetch_related(
        Prefetch("towns", queryset=Town.objects.only("id", "name", "slug").order_by("name"))
    )


def order_by_nearness(groups: GroupQuerySet, town: Town) -> GroupQuerySet:
    """Groups serving the town first, then the others by distance from the town's centroid.

    The ranking uses an equirectangular distance (plain arithmetic, so it runs the same on SQLite
    and PostgreSQL); across Massachusetts it orders exactly like the great-circle distance.
    """
    lon_scale = math.cos(math.radians(town.latitude))
    dlat = F("home_town__latitude") - Value(town.latitude)
    dlon = (F("home_town__longitude") - Value(town.longitude)) * Value(lon_scale)
    return groups.annotate(
        serves_place=Exists(Group.towns.through.objects.filter(group_id=OuterRef("pk"), town_id=town.pk)),
        nearness=ExpressionWrapper(dlat * dlat + dlon * dlon, output_field=FloatField()),
    ).order_by(F("serves_place").desc(), "nearness", "name", "pk")


def prepare_cards(groups: list[Group], anchor: Town | None = None) -> list[Group]:
    """Sort each group's towns (first town first) and attach the distance and next event."""
    for group in groups:
        # The card's extra attributes are set on the instances (typed as Any: no model field).
        card: Any = group
        towns = list(group.towns.all())
        card.towns_served = sorted(towns, key=lambda t: (t.pk != group.home_town_id, t.name))
        card.distance_miles, card.serves_anchor = None, False
        if anchor is not None:
            card.distance_miles = haversine_miles(
                anchor.latitude, anchor.longitude, group.home_town.latitude, group.home_town.longitude
            )
            card.serves_anchor = any(t.pk == anchor.pk for t in towns)
    attach_next_events(groups)
    return groups


class RankedGroups:
    """The directory's results as the paginator sees them: a count, and a slice that is fetched
    in two narrow steps.

    Ranking every matching group by distance is the expensive part at national scale, so it runs
    on ids alone; only the page's 20 groups are then loaded with what their cards show. The count
    runs on the filters alone, without the ranking's join and expressions.
    """

    def __init__(self, filtered: GroupQuerySet, ranked: GroupQuerySet) -> None:
        self.filtered = filtered
        self.ranked = ranked

    def count(self) -> int:
        return self.filtered.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[Group]:
        ids = list(self.ranked.values_list("pk", flat=True)[window])
        if not ids:
            return []
        cards = {g.pk: g for g in _with_card_data(Group.objects.filter(pk__in=ids))}
        return [cards[pk] for pk in ids]


def directory_filter(filters: DirectoryFilters) -> FilteredGroups:
    """The directory's filtering, shared by its list and its map: listed groups, fresh ones unless
    stale ones are asked for, in the district, matching the search. A town or ZIP code does not
    narrow the list (it orders it by nearness); one that is not in Massachusetts empties it, as an
    unknown district does."""
    groups = Group.objects.listed()
    if not filters.include_stale:
        groups = groups.fresh()
    problems: list[str] = []
    district = None
    if filters.district:
        district = District.objects.filter(slug=filters.district.lower()).first()
        if district is None:
            problems.append(f"There is no district “{filters.district}”. Districts run from ma-1 to ma-9.")
            groups = groups.none()
        else:
            groups = groups.serving_district_ids({district.pk})
    if filters.q:
        groups = groups.filter(search_text__contains=filters.q.lower())
    place = None
    if filters.place_query:
        place = place_lookup(filters.place_query)
        if not place.found:
            problems.append(f"“{place.query or filters.place_query}” is not a Massachusetts town or ZIP code.")
            groups = groups.none()
    return FilteredGroups(groups=groups, place=place, district=district, problems=problems)


def directory_search(filters: DirectoryFilters, page_number: str | int | None = 1) -> DirectoryResult:
    found = directory_filter(filters)
    groups = found.groups
    anchor = found.anchor_town
    ranked = order_by_nearness(groups, anchor) if anchor is not None else groups.order_by("name", "pk")
    # RankedGroups has what the paginator uses (count, slicing) without being a Sequence.
    paginator: Paginator[Group] = Paginator(RankedGroups(groups, ranked), settings.GROUPS_PAGE_SIZE)  # type: ignore[arg-type]
    page = paginator.get_page(page_number)
    result = DirectoryResult(page=page, filters=filters, found=found)
    page.object_list = prepare_cards(list(page.object_list), anchor)
    return result


MAP_NAMES_PER_TOWN = 5


def directory_map(filters: DirectoryFilters | None) -> dict:
    """Every group the directory's filters match, as map markers: one per home town, with the
    count, the first few names (by name) and a link to the directory narrowed to that town.

    Two queries whatever the number of groups (plus the filters' district or place lookup): the
    counts grouped by home town, and the first names of each town by a row_number() window.
    ``filters`` None (a filter form that did not validate) gives no markers.
    """
    empty = {"towns": [], "total": 0}
    if filters is None:
        return empty
    found = directory_filter(filters)
    if found.problems:
        return empty
    groups = found.groups.order_by()
    counts = list(
        groups.values("home_town_id", "home_town__name", "home_town__latitude", "home_town__longitude")
        .annotate(count=Count("pk"))
        .order_by("home_town__name")
    )
    if not counts:
        return empty
    first_names = (
        groups.annotate(
            place_in_town=Window(
                RowNumber(), partition_by=[F("home_town_id")], order_by=[F("name").asc(), F("pk").asc()]
            )
        )
        .filter(place_in_town__lte=MAP_NAMES_PER_TOWN)
        .values_list("home_town_id", "name", "slug", "place_in_town")
    )
    names: dict[int, list[tuple[int, str, str]]] = {}
    for town_id, name, slug, rank in first_names:
        names.setdefault(town_id, []).append((rank, name, slug))
    others = {"q": filters.q, "district": filters.district.lower(), "stale": "1" if filters.include_stale else ""}
    others = {key: value for key, value in others.items() if value}
    directory_url = reverse("groups:directory")
    towns = [
        {
            "town": row["home_town__name"],
            "lat": row["home_town__latitude"],
            "lon": row["home_town__longitude"],
            "count": row["count"],
            "groups": [
                {"name": name, "url": slug_url("groups:detail", slug)}
                for _, name, slug in sorted(names.get(row["home_town_id"], []))
            ],
            "more_url": directory_url + "?" + urlencode({"town": row["home_town__name"], **others}),
        }
        for row in counts
    ]
    return {"towns": towns, "total": sum(row["count"] for row in counts)}


def district_groups(district: District, limit: int = 20) -> tuple[list[Group], int]:
    """The first groups of a district's directory page, and how many it has in all."""
    groups = Group.objects.listed().fresh().serving_district_ids({district.pk})
    total = groups.count()
    cards = prepare_cards(list(_with_card_data(groups.order_by("name", "pk"))[:limit]))
    return cards, total


def state_district_groups(district: LegislativeDistrict, limit: int = 20) -> tuple[list[Group], int]:
    """The first groups serving a town of a State House or Senate district, and how many in all.

    A town split between state districts counts for each of them, as for congressional ones:
    groups list towns, not precincts.
    """
    towns = TownLegislativeDistrict.objects.filter(district=district).values("town_id")
    groups = Group.objects.listed().fresh().serving_town_ids(towns)
    total = groups.count()
    cards = prepare_cards(list(_with_card_data(groups.order_by("name", "pk"))[:limit]))
    return cards, total


def groups_near(town: Town, limit: int = 5) -> list[Group]:
    groups = order_by_nearness(Group.objects.listed().fresh(), town)
    return prepare_cards(list(_with_card_data(groups)[:limit]), town)


def member_groups(user: User) -> list[Membership]:
    """A member's groups, the ones they organize first, requests to join included."""
    return list(
        Membership.objects.filter(user=user)
        .select_related("group", "group__district")
        .order_by("-role", "status", "group__name")
    )


def group_member_count(group: Group) -> int:
    return Membership.objects.active().filter(group=group).count()


def group_organizer_names(group: Group) -> list[str]:
    """First names only: organizers' addresses and surnames never appear in a page."""
    return [
        (first or "An organizer")
        for first in Membership.objects.organizers()
        .filter(group=group)
        .order_by("created_at")
        .values_list("user__first_name", flat=True)
    ]


def membership_of(user: User, group: Group) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(group=group, user=user).first()


def group_members(group: Group):
    return (
        Membership.objects.filter(group=group)
        .select_related("user")
        .order_by("status", "-role", "user__last_name", "user__first_name", "user__email")
    )


def moderation_log(group: Group) -> list[ModerationLogEntry]:
    return list(group.moderation_log.select_related("actor"))


def pending_counts(district_ids: set[int] | None) -> int:
    """Listings waiting for a moderator: all (coordinators, None) or their districts'."""
    groups = Group.objects.filter(status=GroupStatus.PENDING)
    if district_ids is not None:
        groups = groups.serving_district_ids(district_ids)
    return groups.count()


RELAY_EMAIL_TEMPLATE = "groups/emails/relay"


def relay_to_reps_districts(group: Group) -> str:
    """For a group with no active organizer, whose relay goes to its districts' reps: those
    districts' codes as the page names them ("MA-3 and MA-5"); "" when it has an organizer."""
    has_organizer = Membership.objects.organizers().filter(group=group, user__is_active=True).exists()
    if has_organizer:
        return ""
    codes = [d.code for d in District.objects.filter(group_links__group=group).order_by("number")]
    if len(codes) <= 1:
        return "".join(codes)
    return ", ".join(codes[:-1]) + " and " + codes[-1]


def relay_subject(message) -> str:
    """The subject the relay's mail carried, for the writer's download."""
    context = {"message": message, "target": message.group or message.team}
    return " ".join(render_to_string(f"{RELAY_EMAIL_TEMPLATE}_subject.txt", context).split())


def relay_messages_of(user: User):
    """The relay messages that are the member's: written while signed in, or under an address
    they verified (a visitor's form accepts any address, so the typed one alone proves nothing)."""
    from accounts.selectors import address_match, user_verified_addresses
    from groups.models import RelayMessage

    return RelayMessage.objects.filter(Q(sender=user) | address_match("sender_email", user_verified_addresses(user)))


def user_groups_data(user: User) -> dict:
    """Everything groups holds about one member, for their data download."""
    from accounts.selectors import user_verified_addresses
    from groups.models import GroupClaim, NotificationItem, TeamVolunteer

    verified = user_verified_addresses(user)
    return {
        "memberships": [
            {"group": m.group.name, "url": m.group.get_absolute_url(), "role": m.role, "status": m.status,
             "since": m.created_at.isoformat()}
            for m in Membership.objects.filter(user=user).select_related("group")
        ],
        "submitted_groups": list(Group.objects.filter(submitted_by=user).values_list("name", flat=True)),
        "claims": [
            {"group": c.group.name, "message": c.message, "status": c.status, "at": c.created_at.isoformat()}
            for c in GroupClaim.objects.filter(user=user).select_related("group")
        ],
        # What they wrote through the relay, never to whom it went: the relay's mail to the
        # organizers (or the lead) is theirs, not the writer's. The reply address is shown only
        # if it is one of the member's verified ones; a form accepts any address.
        "messages_sent": [
            {"group": r.group.name if r.group_id else None, "team": r.team.name if r.team_id else None,
             "subject": relay_subject(r), "name": r.sender_name,
             "reply_to": r.sender_email if r.sender_email.lower() in verified else None, "body": r.body,
             "at": r.created_at.isoformat()}
            for r in relay_messages_of(user).select_related("group", "team").order_by("created_at")
        ],
        "teams_offered_help": [
            {"team": v.team.name, "message": v.message, "at": v.created_at.isoformat()}
            for v in TeamVolunteer.objects.filter(user=user).select_related("team")
        ],
        # What waits for their next daily digest: the kind and where, not the other person.
        "waiting_for_digest": [
            {"kind": i.kind, "group": i.group.name if i.group_id else None,
             "team": i.volunteer.team.name if i.volunteer_id else None, "since": i.created_at.isoformat()}
            for i in NotificationItem.objects.waiting().filter(recipient=user)
            .select_related("group", "volunteer__team")
        ],
    }  # fmt: skip
