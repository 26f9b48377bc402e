from django.contrib import admin

from districts.admin_base import CHANGE, WRITES, Readers, RoleScopedAdmin
from districts.models import (
    BoardSeat,
    District,
    LegislativeDistrict,
    Precinct,
    Team,
    Town,
    TownAlias,
    TownDistrict,
    ZipCode,
)
from districts.policy import can_view_district, can_view_state_district


class ReferenceDataAdmin(RoleScopedAdmin):
    """Districts, towns, seats and teams are the coordinators' to manage; reps may only look."""

    readers = Readers.STAFF
    coordinator_writes = WRITES


class TownDistrictInline(admin.TabularInline):
    model = TownDistrict
    extra = 0


class TownAliasInline(admin.TabularInline):
    model = TownAlias
    extra = 0


@admin.register(District)
class DistrictAdmin(ReferenceDataAdmin):
    list_display = ["code", "name", "major_towns"]
    prepopulated_fields = {"slug": ["name"]}
    site_visibility = staticmethod(can_view_district)  # "view on site" (imc.admin_site)


@admin.register(Town)
class TownAdmin(ReferenceDataAdmin):
    list_display = ["name", "county", "population", "primary_district", "is_split"]
    list_filter = ["primary_district", "is_split", "county"]
    search_fields = ["name", "aliases__name"]
    inlines = [TownDistrictInline, TownAliasInline]


@admin.register(ZipCode)
class ZipCodeAdmin(ReferenceDataAdmin):
    list_display = ["code", "usps_city", "town", "zip_type"]
    search_fields = ["code", "usps_city", "town__name"]
    list_select_related = ["town"]
    autocomplete_fields = ["town"]


@admin.register(BoardSeat)
class BoardSeatAdmin(ReferenceDataAdmin):
    list_display = ["display_name", "district", "role", "term_start", "term_end", "user"]
    list_filter = ["district", "role"]
    search_fields = ["display_name", "user__email"]
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(ReferenceDataAdmin):
    list_display = ["name", "lead"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["lead"]


@admin.register(LegislativeDistrict)
class LegislativeDistrictAdmin(ReferenceDataAdmin):
    """The loader owns the districts themselves; coordinators record the current legislator."""

    coordinator_writes = frozenset({CHANGE})
    list_display = ["name", "chamber", "legislator_name", "legislator_party"]
    list_filter = ["chamber"]
    search_fields = ["name", "legislator_name"]
    fields = ["chamber", "name", "slug", "legislator_name", "legislator_party", "legislator_url"]
    readonly_fields = ["chamber", "name", "slug"]
    site_visibility = staticmethod(can_view_state_district)  # "view on site" (imc.admin_site)


@admin.register(Precinct)
class PrecinctAdmin(ReferenceDataAdmin):
    """Loaded from the precinct file: everyone on staff looks, nobody edits by hand."""

    coordinator_writes = frozenset()
    list_display = ["town", "ward", "number", "district", "senate", "house"]
    list_filter = ["district"]
    search_fields = ["town__name", "house__name", "senate__name"]
    list_select_related = ["town", "district", "senate", "house"]
