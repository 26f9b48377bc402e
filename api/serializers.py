"""What the API shows: every field is named here, nothing comes from a model wholesale.

Events read like Mobilize's v1 event JSON (``timeslots``, ``location.address_lines``,
``sponsor``, ``browser_url``, Unix ``created_date``/``modified_date``), so that whoever already
merges Mobilize events (Indivisible's national map does) reads ours with the same code; the
portal's own names (``type``, ``starts_at``, ``district``) are alongside. Never shown: anybody's
email or name but a board member's public one, who RSVP'd or how many, who created a row, an
online event's join link (only people who RSVP'd get it), drafts, and groups that are not listed.
Cancelled events are public (as on the site), with Mobilize's ``deleted_date``.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from events.models import Accessibility, Event, EventStatus, EventType
from groups.models import Group, GroupStatus
from imc.links import absolute, absolute_links, slug_url
from imc.markdown import render_markdown

# The portal's event types in Mobilize's vocabulary (its ``event_type``), for code that reads both.
MOBILIZE_EVENT_TYPES = {
    EventType.RALLY: "RALLY",
    EventType.TOWN_HALL: "TOWN_HALL",
    EventType.GROUP_MEETING: "MEETING",
    EventType.PHONE_BANK: "PHONE_BANK",
    EventType.TEXT_BANK: "TEXT_BANK",
    EventType.POSTCARDS: "LETTER_WRITING",
    EventType.CANVASS: "CANVASS",
    EventType.TRAINING: "TRAINING",
    EventType.SOCIAL: "COMMUNITY",
    EventType.OTHER: "OTHER",
}
TIMEZONE = "America/New_York"


def unix(moment) -> int:
    return int(moment.timestamp())


@lru_cache(maxsize=4096)
def description_html(text: str, site_url: str) -> str:
    """Rendering Markdown is most of what an answer costs (a fresh parser each time, then nh3);
    the result depends only on the text and the site's address, so each process renders a given
    description once (4,096 of them: a few MB at most)."""
    return absolute_links(str(render_markdown(text)))


class DescriptionHtmlField(serializers.CharField):
    """The Markdown a host wrote, as the portal's pages render it (sanitised by nh3), with links
    made absolute: safe to put in another site's page as it is."""

    def __init__(self, **kwargs):
        kwargs.setdefault("source", "description")
        kwargs.setdefault("help_text", "The description as sanitised HTML, links absolute.")
        super().__init__(**kwargs)

    def to_representation(self, value: str) -> str:
        return description_html(value, settings.SITE_URL) if value else ""


class HostSerializer(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.CharField(allow_null=True, help_text="Null when the coalition itself hosts.")
    browser_url = serializers.URLField()


def host(group: Group | None) -> dict:
    if group is None:
        return {"name": settings.SITE_NAME, "slug": None, "browser_url": absolute("/")}
    return {"name": group.name, "slug": group.slug, "browser_url": absolute(group.get_absolute_url())}


class TimeslotSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="A portal event is one timeslot: the event's id.")
    start_date = serializers.IntegerField(help_text="Unix timestamp.")
    end_date = serializers.IntegerField(help_text="Unix timestamp.")


class PointSerializer(serializers.Serializer):
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()


class LocationSerializer(serializers.Serializer):
    venue = serializers.CharField()
    address_lines = serializers.ListField(child=serializers.CharField())
    locality = serializers.CharField()
    region = serializers.CharField()
    country = serializers.CharField()
    postal_code = serializers.CharField()
    location = PointSerializer(help_text="The centre of the town (the portal does not geocode addresses).")
    congressional_district = serializers.CharField(allow_null=True)


class EventSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    slug = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField(help_text="Markdown, as written by the host.")
    description_html = DescriptionHtmlField()
    type = serializers.ChoiceField(source="event_type", choices=EventType.choices)
    event_type = serializers.SerializerMethodField(help_text="The type in Mobilize's vocabulary.")
    status = serializers.CharField()
    timezone = serializers.SerializerMethodField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    timeslots = serializers.SerializerMethodField()
    browser_url = serializers.SerializerMethodField(help_text="The event's page, where people RSVP.")
    is_virtual = serializers.BooleanField(source="is_online")
    location = serializers.SerializerMethodField(help_text="Null for an event that is online only.")
    district = serializers.CharField(source="district.slug", allow_null=True)
    accessibility = serializers.ListField(child=serializers.ChoiceField(choices=Accessibility.choices))
    accessibility_notes = serializers.CharField()
    sponsor = serializers.SerializerMethodField(help_text="The host: a group, or the coalition.")
    co_hosts = serializers.SerializerMethodField()
    visibility = serializers.SerializerMethodField()
    created_date = serializers.SerializerMethodField(help_text="Unix timestamp.")
    modified_date = serializers.SerializerMethodField(help_text="Unix timestamp.")
    deleted_date = serializers.SerializerMethodField(
        help_text="When the event was cancelled (Unix timestamp, the `deleted_date` of Mobilize's deleted events); "
        "null while it is on. Cancelled events come only with `updated_since`, for a copy to take them down."
    )

    @extend_schema_field(serializers.ChoiceField(choices=sorted(set(MOBILIZE_EVENT_TYPES.values()))))
    def get_event_type(self, event: Event) -> str:
        return MOBILIZE_EVENT_TYPES.get(event.event_type, "OTHER")

    def get_timezone(self, event: Event) -> str:
        return TIMEZONE

    @extend_schema_field(TimeslotSerializer(many=True))
    def get_timeslots(self, event: Event) -> list[dict]:
        return [{"id": event.pk, "start_date": unix(event.starts_at), "end_date": unix(event.ends_at)}]

    def get_browser_url(self, event: Event) -> str:
        return absolute(event.get_absolute_url())

    @extend_schema_field(LocationSerializer(allow_null=True))
    def get_location(self, event: Event) -> dict | None:
        town = event.town
        if town is None:
            return None
        # A public answer: a private address (a house meeting) is the town alone here.
        venue, street = event.place_lines(address=False)
        return {
            "venue": venue,
            "address_lines": [street, ""],
            "locality": town.name,
            "region": "MA",
            "country": "US",
            "postal_code": "",
            "location": {"latitude": town.latitude, "longitude": town.longitude},
            "congressional_district": str(event.district.number) if event.district_id else None,
        }

    @extend_schema_field(HostSerializer)
    def get_sponsor(self, event: Event) -> dict:
        return host(event.host_group)

    @extend_schema_field(HostSerializer(many=True))
    def get_co_hosts(self, event: Event) -> list[dict]:
        # Prefetched (listed groups only): one query for the page, however many events.
        return [host(group) for group in event.co_hosts.all() if group.status == GroupStatus.APPROVED]

    @extend_schema_field(serializers.ChoiceField(choices=["PUBLIC"]))
    def get_visibility(self, event: Event) -> str:
        return "PUBLIC"

    def get_created_date(self, event: Event) -> int:
        return unix(event.created_at)

    def get_modified_date(self, event: Event) -> int:
        return unix(event.updated_at)

    def get_deleted_date(self, event: Event) -> int | None:
        # The row keeps no date of its own for the cancellation: its last change (the cancellation,
        # unless someone edited the cancelled event since) is the nearest and moves a mirror on.
        return unix(event.updated_at) if event.status == EventStatus.CANCELLED else None


class DistrictRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    code = serializers.CharField()
    number = serializers.IntegerField()


class GroupSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    slug = serializers.CharField()
    name = serializers.CharField()
    browser_url = serializers.SerializerMethodField()
    event_feed_url = serializers.SerializerMethodField(help_text="This API's list of the group's events.")
    description = serializers.CharField(help_text="Markdown.")
    description_html = DescriptionHtmlField()
    meeting_pattern = serializers.CharField()
    website = serializers.CharField()
    facebook_url = serializers.CharField()
    instagram_url = serializers.CharField()
    bluesky_url = serializers.CharField()
    state = serializers.SerializerMethodField()
    district = DistrictRefSerializer(help_text="The district of the group's first town.")
    towns = serializers.SerializerMethodField(help_text="Every town served, the first one first.")
    is_stale = serializers.BooleanField(help_text="Not confirmed active for 15 months.")
    created_date = serializers.SerializerMethodField(help_text="Unix timestamp.")
    modified_date = serializers.SerializerMethodField(help_text="Unix timestamp.")

    def get_browser_url(self, group: Group) -> str:
        return absolute(group.get_absolute_url())

    def get_event_feed_url(self, group: Group) -> str:
        return absolute(reverse("api:events") + "?" + urlencode({"group": group.slug}))

    def get_state(self, group: Group) -> str:
        return "MA"

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_towns(self, group: Group) -> list[str]:
        towns = sorted(group.towns.all(), key=lambda t: (t.pk != group.home_town_id, t.name))
        return [town.name for town in towns]

    def get_created_date(self, group: Group) -> int:
        return unix(group.created_at)

    def get_modified_date(self, group: Group) -> int:
        return unix(group.updated_at)


class DistrictTownSerializer(serializers.Serializer):
    name = serializers.CharField(source="town.name")
    slug = serializers.CharField(source="town.slug")
    partly = serializers.BooleanField(help_text="The town is split between districts; this one holds part of it.")


class BoardSeatSerializer(serializers.Serializer):
    name = serializers.CharField(source="display_name", help_text="The name the board member shows publicly.")
    role = serializers.CharField()
    term_start = serializers.DateField()
    term_end = serializers.DateField(allow_null=True)
    bio = serializers.CharField()


class DistrictSerializer(serializers.Serializer):
    slug = serializers.CharField()
    code = serializers.CharField()
    number = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    major_towns = serializers.CharField()
    browser_url = serializers.SerializerMethodField()
    towns = DistrictTownSerializer(many=True, source="api_towns")
    board = BoardSeatSerializer(many=True, source="api_board", help_text="The seats held today.")

    def get_browser_url(self, district) -> str:
        return absolute(district.get_absolute_url())


class TeamSerializer(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.CharField()
    description = serializers.CharField(help_text="Markdown.")
    how_to_help = serializers.CharField(help_text="Markdown.")
    browser_url = serializers.SerializerMethodField()

    def get_browser_url(self, team) -> str:
        return absolute(slug_url("teams:detail", team.slug))
