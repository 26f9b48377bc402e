"""The public read API, version 1: thin views over the apps' own selectors and visibility rules.

Each list is what the public pages show and nothing more: upcoming published events
(``events.selectors.event_search``, hosted by the coalition or a listed group), listed groups,
the districts with their towns and current board seats, the teams. Everyone gets the same
answer: the API reads no session or cookie (no authentication classes), so a signed-in
coordinator's request shows no more than a visitor's.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, extend_schema
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
from events.models import Event
from events.selectors import EventFilters, event_search
from groups.models import Group, GroupStatus
from imc.links import absolute
from imc.pagecache import public_page


class ListView(ConditionalGetMixin, ListAPIView):
    pagination_class = KeysetPagination
    cursor_field = "pk"

    def get_queryset(self):
        raise NotImplementedError

    def list(self, request, *args, **kwargs) -> Response:
        rows = self.paginate_queryset(self.get_queryset())
        stamps = [row.updated_at for row in rows if getattr(row, "updated_at", None)]
        self.newest = max(stamps, default=None)
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
        events = event_search(filters)
        # Hosted by the coalition or a listed group: a group's page is hidden until it is listed.
        events = events.filter(Q(host_group__isnull=True) | Q(host_group__status=GroupStatus.APPROVED))
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
        listed_groups = Group.objects.listed().only("pk", "name", "slug", "status").order_by("name")
        return events.select_related("district").prefetch_related(Prefetch("co_hosts", queryset=listed_groups))


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
        groups = Group.objects.listed()
        if "district" in query:
            groups = groups.serving_district_ids({query["district"].pk})
        if "updated_since" in query:
            groups = groups.filter(updated_at__gte=query["updated_since"])
        towns = Prefetch("towns", queryset=Town.objects.only("id", "name"))
        return groups.select_related("district").prefetch_related(towns)


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
        districts = list(District.objects.all())
        towns = towns_by_district(districts)
        seats: dict[int, list[BoardSeat]] = {}
        for seat in BoardSeat.objects.current().order_by("district__number", "role", "display_name", "pk"):
            seats.setdefault(seat.district_id, []).append(seat)
        for district in districts:
            district.api_towns = towns[district.pk].towns  # type: ignore[attr-defined]
            district.api_board = seats.get(district.pk, [])  # type: ignore[attr-defined]
        return Response({"data": DistrictSerializer(districts, many=True).data, "next": None})


class ApiRoot(ConditionalGetMixin, APIView):
    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs) -> Response:
        names = ["events", "groups", "districts", "teams", "schema"]
        links = {name: absolute(reverse(f"api:{name}")) for name in names}
        return Response({**links, "documentation": absolute(reverse("api:index"))})


class Schema(ConditionalGetMixin, SpectacularAPIView):
    """The OpenAPI 3 schema (YAML; ``?format=json`` for JSON)."""


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
    }
    return render(request, "api/index.html", {"base": base, "examples": examples})
