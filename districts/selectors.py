"""Reads about places: the one lookup that the home form, /find/ and the directory filters share."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache

from django.utils.text import slugify

from districts.models import BoardSeat, District, Town, TownAlias, ZipCode

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
