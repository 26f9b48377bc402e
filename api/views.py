"""The public read API, version 1: thin views over the apps' own selectors and visibility rules.

Each list is what the public pages show and nothing more: upcoming published events
(``events.selectors.event_search``, hosted by the coalition or a listed group), listed groups,
the districts with their towns and current board seats, the teams. Everyone gets the same
answer: the API reads no session or cookie (no authentication classes), so a signed-in
coordinator's request shows no more than a visitor's.

Each row of a list also has its own address (``events/<id>/``, ``groups/<slug>/``,
``districts/<slug>/``, ``teams/<slug>/``), answered by the same serializer from the same
visibility rule, so a row is at its address exactly when some list can show it: anything else
is the same ``404`` as a row that never existed.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from api import params
from api.conditional import ConditionalGetMixin
from api.pagination import KeysetPagination
from api.serializers import DistrictSerializer, EventSerializer, GroupSerializer, TeamSerializer
from districts.models import BoardSeat, District, Team, Town
from districts.selectors import towns_by_district
from events.models import Event, EventStatus
from events.selectors import EventFilters, event_search
from groups.models import Group, GroupStatus
from imc.links import absolute
from imc.pagecache import public_page


def openly_hosted(events):
    """Hosted by the coalition or a listed group: a group's page is hidden until it is listed."""
    return events.filter(Q(host_group__isnull=True) | Q(host_group__status=GroupStatus.APPROVED))


def for_api(events):
    """What the serializer reads: three joins and the listed co-hosts, one query for a page."""
    listed_groups = Group.objects.listed().only("pk", "name", "slug", "status").order_by("name")
    return events.select_related("host_group", "town", "district").prefetch_related(
        Prefetch("co_hosts", queryset=listed_groups)
    )


def public_events():
    """Events anybody may see, of any date: published or cancelled (``events.policy.can_view``)."""
    return for_api(openly_hosted(Event.objects.filter(status__in=[EventStatus.PUBLISHED, EventStatus.CANCELLED])))


def listed_groups_with_towns():
    towns = Prefetch("towns", queryset=Town.objects.only("id", "name"))
    return Group.objects.listed().select_related("district").prefetch_related(towns)


def with_towns_and_board(districts: list[District]) -> list[District]:
    """Hang each district's towns and today's board seats on it: three queries for any number."""
    towns = towns_by_district(districts)
    seats: dict[int, list[BoardSeat]] = {}
    current = BoardSeat.objects.current().filter(district__in=districts)
    for seat in current.order_by("district__number", "role", "display_name", "pk"):
        seats.setdefault(seat.district_id, []).append(seat)
    for district in districts:
        district.api_towns = towns[district.pk].towns  # type: ignore[attr-defined]
        district.api_board = seats.get(district.pk, [])  # type: ignore[attr-defined]
    return districts


def one_of(serializer_class, name: str) -> dict:
    """The schema of a detail address: ``{"data": row}``, or the 404 every unknown row gets."""
    return {
        200: inline_serializer(f"{name}Detail", fields={"data": serializer_class()}),
        404: OpenApiResponse(description="No such row, or one the lists do not show (a draft, an unlisted group)."),
    }


class DetailView(ConditionalGetMixin, GenericAPIView):
    """One row as its list shows it, in ``{"data": ...}`` as Mobilize answers one event."""

    pagination_class = None

    def get_row(self):
        raise NotImplementedError

    def get(self, request, *args, **kwargs) -> Response:
        row = self.get_row()
        self.newest = getattr(row, "updated_at", None)
        return Response({"data": self.get_serializer(row).data})


class ListView(ConditionalGetMixin, ListAPIView):
    pagination_class = KeysetPagination
    cursor_field = "pk"

    def get_queryset(self):
        raise NotImplementedError

    def list(self, request, *args, **kwargs) -> Response:
        rows = self.paginate_queryset(self.get_queryset())
        stamps = [row.updated_at for row in rows if getattr(row, "updated_at", None)]
        self.newest = max(stamps, default=None)
        # An event leaves the list when it ends, and no write says so.
        self.valid_until = min((row.ends_at for row in rows if getattr(row, "ends_at", None)), default=None)
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)


EVENT_EXAMPLE = OpenApiExample(
    "Events within 25 miles of Lowell",
    description="GET /api/v1/events/?zip=01852&max_dist=25",
    response_only=True,
    value={"id": 41, "slug": "lowell-town-hall", "title": "Lowell town hall", "description": "Bring questions.",
           "description_html": "<p>Bring questions.</p>",
           "type": "town_hall", "event_type": "TOWN_HALL", "status": "published", "timezone": "America/New_York",
           "starts_at": "2026-05-02T18:00:00-04:00", "ends_at": "2026-05-02T20:00:00-04:00",
           "timeslots": [{"id": 41, "start_date": 1777759200, "end_date": 1777766400}],
           "browser_url": "https://portal.example/events/lowell-town-hall/", "is_virtual": False,
           "location": {"venue": "Pollard Library", "address_lines": ["401 Merrimack St", ""],
                        "locality": "Lowell", "region": "MA", "country": "US", "postal_code": "",
                        "location": {"latitude": 42.6334, "longitude": -71.3162},
                        "congressional_district": "3"},
           "district": "ma-3", "accessibility": ["wheelchair"], "accessibility_notes": "",
           "sponsor": {"name": "Lowell Indivisible", "slug": "lowell-indivisible",
                       "browser_url": "https://portal.example/groups/lowell-indivisible/"},
           "co_hosts": [], "visibility": "PUBLIC", "created_date": 1775000000, "modified_date": 1775100000},
)  # fmt: skip


@extend_schema(
    summary="Upcoming events",
    description="Upcoming published events, soonest first, with every given filter applied.",
    parameters=[params.EventQuery],
    examples=[EVENT_EXAMPLE],
)
class EventList(ListView):
    serializer_class = EventSerializer
    cursor_field = "starts_at"

    def get_queryset(self):
        query = params.checked(params.EventQuery, self.request)
        filters = EventFilters(
            towns=query.get("zip", []),
            distance=query["max_dist"],
            district=query.get("district"),
            event_type=query.get("type", ""),
            online=query.get("online", False),
            accessibility=query.get("accessibility", []),
        )
        # A copy kept in step (updated_since) must hear of the events cancelled since: they come
        # too, as cancelled, for it to take them down. Drafts never come.
        events = openly_hosted(event_search(filters, with_cancelled="updated_since" in query))
        if "group" in query:
            group = query["group"]
            cohosted = Event.co_hosts.through.objects.filter(group=group).values("event_id")
            events = events.filter(Q(host_group=group) | Q(pk__in=cohosted))
        if "updated_since" in query:
            events = events.filter(updated_at__gte=query["updated_since"])
        if "starts_after" in query:
            events = events.filter(starts_at__gte=query["starts_after"])
        if "starts_before" in query:
            events = events.filter(starts_at__lt=query["starts_before"])
        return for_api(events)


@extend_schema(
    summary="Listed groups",
    description="The groups the directory lists (approved; stale ones flagged), by name.",
    parameters=[params.GroupQuery],
)
class GroupList(ListView):
    serializer_class = GroupSerializer
    cursor_field = "name"

    def get_queryset(self):
        query = params.checked(params.GroupQuery, self.request)
        groups = listed_groups_with_towns()
        if "district" in query:
            groups = groups.serving_district_ids({query["district"].pk})
        if "updated_since" in query:
            groups = groups.filter(updated_at__gte=query["updated_since"])
        return groups


@extend_schema(summary="Teams", description="The coalition's issue and support teams, by name.")
class TeamList(ListView):
    serializer_class = TeamSerializer
    cursor_field = "name"

    def get_queryset(self):
        return Team.objects.all()


class DistrictList(ConditionalGetMixin, GenericAPIView):
    serializer_class = DistrictSerializer
    pagination_class = None

    @extend_schema(
        summary="Districts",
        description="The nine congressional districts, with their towns and today's board seats. One page.",
        responses={200: DistrictSerializer(many=True)},
    )
    def get(self, request, *args, **kwargs) -> Response:
        districts = with_towns_and_board(list(District.objects.all()))
        return Response({"data": DistrictSerializer(districts, many=True).data, "next": None})


@extend_schema(
    summary="One event",
    description="An event as the list shows it, of any date; cancelled ones say so (`deleted_date`).",
    responses=one_of(EventSerializer, "Event"),
)
class EventDetail(DetailView):
    serializer_class = EventSerializer

    def get_row(self):
        event = public_events().filter(pk=self.kwargs["event_id"]).first()
        if event is None:
            raise Http404
        return event


@extend_schema(summary="One listed group", responses=one_of(GroupSerializer, "Group"))
class GroupDetail(DetailView):
    serializer_class = GroupSerializer

    def get_row(self):
        group = listed_groups_with_towns().filter(slug=self.kwargs["slug"]).first()
        if group is None:
            raise Http404
        return group


@extend_schema(summary="One district", responses=one_of(DistrictSerializer, "District"))
class DistrictDetail(DetailView):
    serializer_class = DistrictSerializer

    def get_row(self):
        district = District.objects.filter(slug=self.kwargs["slug"].lower()).first()
        if district is None:
            raise Http404
        return with_towns_and_board([district])[0]


@extend_schema(summary="One team", responses=one_of(TeamSerializer, "Team"))
class TeamDetail(DetailView):
    serializer_class = TeamSerializer

    def get_row(self):
        team = Team.objects.filter(slug=self.kwargs["slug"]).first()
        if team is None:
            raise Http404
        return team


class ApiRoot(ConditionalGetMixin, APIView):
    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs) -> Response:
        names = ["events", "groups", "districts", "teams", "schema"]
        links = {name: absolute(reverse(f"api:{name}")) for name in names}
        return Response({**links, "documentation": absolute(reverse("api:index"))})


# The schema only changes with the code (and SITE_URL, its server): generating it takes tens of
# milliseconds and rendering it as many again, so each process does both once, per format.
SCHEMA_CACHE: dict[tuple, object] = {}
_schema_lock = threading.Lock()


class RenderedOnce(Response):
    """The schema's response: its body, once rendered in a format, is kept for the next request."""

    def __init__(self, *args, cache_key: tuple, **kwargs):
        super().__init__(*args, **kwargs)
        self.cache_key = cache_key

    @property
    def rendered_content(self):
        key = (*self.cache_key, self.accepted_renderer.media_type)
        cached = SCHEMA_CACHE.get(key)
        if cached is None:
            cached = SCHEMA_CACHE[key] = (super().rendered_content, self["Content-Type"])
        body, self["Content-Type"] = cached
        return body


class Schema(ConditionalGetMixin, SpectacularAPIView):
    """The OpenAPI 3 schema (YAML; ``?format=json`` for JSON), made once per process."""

    def _get_schema_response(self, request):
        key = (settings.SITE_URL, self.api_version or request.version)
        with _schema_lock:
            if key not in SCHEMA_CACHE:
                SCHEMA_CACHE[key] = super()._get_schema_response(request)
        made = SCHEMA_CACHE[key]
        return RenderedOnce(data=made.data, headers={"Content-Disposition": made["Content-Disposition"]}, cache_key=key)


@public_page
def index(request: HttpRequest) -> HttpResponse:
    base = absolute("")
    examples = {
        "near": absolute(reverse("api:events")) + "?zip=01852&max_dist=25",
        "group": absolute(reverse("api:events")) + "?group=lowell-indivisible&per_page=10",
        "changed": absolute(reverse("api:events")) + "?updated_since=2026-05-01T00:00:00Z",
        "district": absolute(reverse("api:events")) + "?district=ma-3&type=town_hall&accessibility=wheelchair",
        "groups": absolute(reverse("api:groups")) + "?district=ma-3",
        "schema": absolute(reverse("api:schema")),
        "one_event": absolute(reverse("api:event", args=[41])),
        "one_group": absolute(reverse("api:group", args=["lowell-indivisible"])),
        "one_district": absolute(reverse("api:district", args=["ma-3"])),
        "one_team": absolute(reverse("api:team", args=["voter-outreach"])),
    }
    return render(request, "api/index.html", {"base": base, "examples": examples})
