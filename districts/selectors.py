"""Reads about places: the one lookup that the home form, /find/ and the directory filters share."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from django.utils.text import slugify

from districts.models import BoardSeat, District, Town, TownAlias, TownDistrict, ZipCode

ZIP_RE = re.compile(r"^(\d{5})(?:-?\d{4})?$")
STATE_SUFFIX_RE = re.compile(r",?\s*(ma|mass|massachusetts)\.?$", re.IGNORECASE)


@dataclass
class PlaceLookup:
    query: str
    towns: list[Town] = field(default_factory=list)
    zip_code: ZipCode | None = None
    matched_alias: str = ""
    suggestions: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.towns)

    @property
    def districts(self) -> list[District]:
        """Every district touched by the matched towns, each town's primary district first."""
        seen: dict[int, District] = {}
        for town in self.towns:
            for district in town.ordered_districts():
                seen.setdefault(district.pk, district)
        return list(seen.values())


def normalise_place(query: str) -> str:
    cleaned = " ".join((query or "").split())
    return STATE_SUFFIX_RE.sub("", cleaned).strip(" ,")


def place_lookup(query: str) -> PlaceLookup:
    """Find the town(s) a town name, postal name, village name or ZIP code refers to."""
    cleaned = normalise_place(query)[:100]
    result = PlaceLookup(query=cleaned)
    if not cleaned:
        return result
    zip_match = ZIP_RE.match(cleaned)
    if zip_match:
        zip_code = ZipCode.objects.select_related("town").filter(code=zip_match.group(1)).first()
        if zip_code:
            result.zip_code = zip_code
            result.towns = list(Town.objects.with_districts().filter(pk=zip_code.town_id))
        return result

    towns = list(Town.objects.with_districts().filter(name__iexact=cleaned))
    if not towns:
        towns = list(Town.objects.with_districts().filter(slug=slugify(cleaned)))
    if not towns:
        alias_town_ids = list(TownAlias.objects.filter(name__iexact=cleaned).values_list("town_id", flat=True))
        if alias_town_ids:
            towns = list(Town.objects.with_districts().filter(pk__in=alias_town_ids).order_by("-population"))
            result.matched_alias = cleaned
    result.towns = towns
    if not towns:
        result.suggestions = suggest_places(cleaned)
    return result


@lru_cache(maxsize=1)
def _known_names() -> tuple[str, ...]:
    names = set(Town.objects.values_list("name", flat=True))
    names.update(TownAlias.objects.values_list("name", flat=True))
    return tuple(sorted(names))


def suggest_places(text: str, limit: int = 5) -> list[str]:
    names = _known_names()
    lowered = {name.lower(): name for name in names}
    matches = difflib.get_close_matches(text.lower(), list(lowered), n=limit, cutoff=0.7)
    return [lowered[m] for m in matches]


def district_board(district: District) -> list[BoardSeat]:
    return list(district.board_seats.current().select_related("user"))


@dataclass(frozen=True)
class DistrictTown:
    """A town in a district's list; ``partly`` when the town is split and the district holds part of it."""

    town: Town
    partly: bool


@dataclass(frozen=True)
class DistrictTowns:
    """The cities and towns of one district: every town it touches, split towns included.

    The one rule for every count and list a page shows: a town partly in a district is in its
    list (marked as partly), so the count is always the length of the list.
    """

    district: District
    towns: list[DistrictTown]

    @property
    def count(self) -> int:
        return len(self.towns)

    @property
    def partly_count(self) -> int:
        return sum(entry.partly for entry in self.towns)

    @property
    def counties(self) -> list[str]:
        return sorted({entry.town.county for entry in self.towns})


def towns_by_district(districts: Iterable[District]) -> dict[int, DistrictTowns]:
    """District pk -> its towns in name order, in one query for any number of districts."""
    chosen = list(districts)
    grouped: dict[int, list[DistrictTown]] = {district.pk: [] for district in chosen}
    memberships = TownDistrict.objects.filter(district__in=chosen).select_related("town").order_by("town__name", "pk")
    for membership in memberships:
        grouped[membership.district_id].append(DistrictTown(membership.town, membership.town.is_split))
    return {district.pk: DistrictTowns(district, grouped[district.pk]) for district in chosen}


def district_towns(district: District) -> list[DistrictTown]:
    return towns_by_district([district])[district.pk].towns
