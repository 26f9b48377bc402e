"""Reads about places: the one lookup that the home form, /find/ and the directory filters share."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from django.utils.text import slugify

from districts.models import (
    BoardSeat,
    Chamber,
    District,
    LegislativeDistrict,
    Precinct,
    Town,
    TownAlias,
    TownDistrict,
    TownLegislativeDistrict,
    ZipCode,
    precinct_label,
)

ZIP_RE = re.compile(r"^(\d{5})(?:-?\d{4})?$")
STATE_SUFFIX_RE = re.compile(r",?\s*(ma|mass|massachusetts)\.?$", re.IGNORECASE)


@dataclass
class PlaceLookup:
    query: str
    towns: list[Town] = field(default_factory=list)
    zip_code: ZipCode | None = None
    matched_alias: str = ""
    suggestions: list[str] = field(default_factory=list)
    # The voter's precinct, once they gave it (see ``precinct_answer``): it narrows ``districts``.
    precinct: Precinct | None = None

    @property
    def found(self) -> bool:
        return bool(self.towns)

    @property
    def districts(self) -> list[District]:
        """Every district touched by the matched towns, each town's primary district first (the
        precinct's one alone when the voter gave their precinct)."""
        if self.precinct is not None:
            return [self.precinct.district]
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


# --- the state legislature ----------------------------------------------------------------------


@dataclass
class TownLegislature:
    """A town's State Senate and State House districts (the most precincts first), and what its
    precincts are when any of its three kinds of district splits it."""

    town: Town
    senate: list[TownLegislativeDistrict] = field(default_factory=list)
    house: list[TownLegislativeDistrict] = field(default_factory=list)
    precincts: list[Precinct] = field(default_factory=list)

    @property
    def is_split(self) -> bool:
        """Split for any of the three: the voter's precinct is needed to name their districts."""
        return self.town.is_split or len(self.senate) > 1 or len(self.house) > 1

    @property
    def wards(self) -> list[str]:
        return list(dict.fromkeys(p.ward for p in self.precincts if p.ward))

    @property
    def precinct_numbers(self) -> list[str]:
        """Every precinct number the town uses, in order (in a town with wards, across wards)."""
        ordered = sorted(self.precincts, key=lambda p: p.sort_key.split(":", 1)[1])
        return list(dict.fromkeys(p.number for p in ordered))


def legislature_of_towns(towns: Iterable[Town]) -> dict[int, TownLegislature]:
    """Town pk -> its state districts, and the precincts of the split ones: two queries for any
    number of towns (one when none is split)."""
    chosen = list(towns)
    found = {town.pk: TownLegislature(town) for town in chosen}
    shares = (
        TownLegislativeDistrict.objects.filter(town__in=chosen)
        .select_related("district")
        .order_by("-precincts", "district__name")
    )
    for share in shares:
        entry = found[share.town_id]
        (entry.senate if share.district.chamber == Chamber.SENATE else entry.house).append(share)
    split = [pk for pk, entry in found.items() if entry.is_split]
    if split:
        for precinct in (
            Precinct.objects.filter(town_id__in=split)
            .select_related("house", "senate", "district")
            .order_by("sort_key")
        ):
            found[precinct.town_id].precincts.append(precinct)
    return found


def normalise_precinct_part(value: str) -> str:
    """What a voter types as a ward or precinct, as the data writes it: "05" → "5", "2a" → "2A",
    "Ward 5" → "5"."""
    cleaned = re.sub(r"^(ward|precinct|pct\.?|wd\.?)\s*", "", " ".join((value or "").split()), flags=re.IGNORECASE)
    cleaned = cleaned.upper().replace(" ", "")
    return re.sub(r"^0+(?=\d)", "", cleaned)


def precinct_answer(legislature: TownLegislature, ward: str, number: str) -> Precinct:
    """The town's precinct by ward and number, or a ValueError whose message says what is wrong."""
    town = legislature.town
    ward, number = normalise_precinct_part(ward), normalise_precinct_part(number)
    wards = legislature.wards
    if not number:
        raise ValueError(f"Choose your precinct in {town.name}.")
    if wards and not ward:
        raise ValueError(f"{town.name} has wards: choose your ward and your precinct.")
    if wards and ward not in wards:
        raise ValueError(f"{town.name} has no Ward {ward}: its wards are {wards[0]} to {wards[-1]}.")
    if not wards and ward:
        raise ValueError(f"{town.name} has no wards: choose your precinct only.")
    for precinct in legislature.precincts:
        if precinct.ward == ward and precinct.number == number:
            return precinct
    raise ValueError(f"{town.name} has no {precinct_label(ward, number)}. Check the number on your voter record.")


@dataclass(frozen=True)
class StateDistrictTown:
    """A town in a state district's list, with the precincts of it that the district holds."""

    town: Town
    precincts: list[Precinct]
    is_whole: bool


def state_district_towns(district: LegislativeDistrict) -> list[StateDistrictTown]:
    """The district's towns in name order with their precincts in it: two queries."""
    shares = {
        share.town_id: share
        for share in TownLegislativeDistrict.objects.filter(district=district).select_related("town")
    }
    column = "house" if district.chamber == Chamber.HOUSE else "senate"
    by_town: dict[int, list[Precinct]] = {town_id: [] for town_id in shares}
    for precinct in Precinct.objects.filter(**{column: district}).order_by("sort_key"):
        by_town[precinct.town_id].append(precinct)
    entries = [StateDistrictTown(share.town, by_town[town_id], share.is_whole) for town_id, share in shares.items()]
    return sorted(entries, key=lambda entry: entry.town.name)


def state_districts(chamber: str) -> list[LegislativeDistrict]:
    return list(LegislativeDistrict.objects.filter(chamber=chamber).order_by("name"))
