"""The query parameters of each list, checked: a bad value is a 400 naming it, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime, time

from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from districts.models import District
from districts.selectors import place_lookup
from events.models import Accessibility, EventType
from events.reminders import MA_TZ
from groups.models import Group

INSTANT_HELP = (
    "An ISO 8601 date-time (2026-05-01T18:00:00-04:00), a date (2026-05-01, Massachusetts time) or a Unix timestamp."
)


@extend_schema_field(OpenApiTypes.STR)
class InstantField(serializers.Field):
    """A moment, given the way people have it at hand: ISO 8601 or a Unix timestamp (Mobilize's)."""

    default_error_messages = {"invalid": INSTANT_HELP}

    def to_internal_value(self, data) -> datetime:
        text = str(data).strip()
        try:
            if text.isdigit():
                return datetime.fromtimestamp(int(text), tz=UTC)
            moment = parse_datetime(text)
            if moment is not None:
                return moment if moment.tzinfo else moment.replace(tzinfo=MA_TZ)
            day = parse_date(text)
            if day is not None:
                return datetime.combine(day, time.min, tzinfo=MA_TZ)
        except (ValueError, OverflowError, OSError):
            pass
        self.fail("invalid")

    def to_representation(self, value):
        return value.isoformat()


class DistrictParam(serializers.CharField):
    def to_internal_value(self, data) -> District:
        slug = super().to_internal_value(data).lower()
        district = District.objects.filter(slug=slug).first()
        if district is None:
            raise serializers.ValidationError("No such district: they run from ma-1 to ma-9.")
        return district


class CommonQuery(serializers.Serializer):
    updated_since = InstantField(required=False, help_text="Only rows changed since then. " + INSTANT_HELP)
    district = DistrictParam(required=False, help_text="A congressional district, e.g. ma-3.")


class EventQuery(CommonQuery):
    starts_after = InstantField(required=False, help_text="Events starting at or after. " + INSTANT_HELP)
    starts_before = InstantField(required=False, help_text="Events starting before. " + INSTANT_HELP)
    zip = serializers.RegexField(r"^\d{5}$", required=False, help_text="A Massachusetts ZIP code, e.g. 01852.")
    max_dist = serializers.IntegerField(
        required=False, min_value=0, max_value=200, default=10,
        help_text="Miles around the ZIP code's town (with `zip`): towns whose centre lies that close.",
    )  # fmt: skip
    group = serializers.SlugField(required=False, help_text="A group's slug: the events it hosts or co-hosts.")
    type = serializers.ChoiceField(choices=EventType.choices, required=False, help_text="The portal's event type.")
    accessibility = serializers.ListField(
        child=serializers.ChoiceField(choices=Accessibility.choices), required=False,
        help_text="Repeat for several: events offering every one of them.",
    )  # fmt: skip
    online = serializers.BooleanField(required=False, help_text="1: online events only.")

    def validate_zip(self, value: str):
        place = place_lookup(value)
        if not place.found:
            raise serializers.ValidationError("Not a Massachusetts ZIP code.")
        return place.towns

    def validate_group(self, value: str) -> Group:
        group = Group.objects.listed().filter(slug=value).first()
        if group is None:  # a group not listed (yet) reads as one that does not exist
            raise serializers.ValidationError("No such group.")
        return group


class GroupQuery(CommonQuery):
    pass


def checked(query_class: type[serializers.Serializer], request) -> dict:
    query = query_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data
