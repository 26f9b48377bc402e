"""Load Massachusetts geography from the CSV files shipped in ``districts/data``.

Idempotent: running it again updates rows in place and creates nothing twice. Sources and
licences are in ``districts/data/SOURCES.md`` and credited on the About page.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils.text import slugify

from districts.models import District, Town, TownAlias, TownDistrict, ZipCode, haversine_miles

DATA_DIR = Path(__file__).resolve().parent / "data"

# Official municipality names that the Postal Service spells differently.
POSTAL_NAMES = {
    "Manchester": "Manchester-by-the-Sea",
    "Foxboro": "Foxborough",
    "Middleboro": "Middleborough",
    "North Attleboro": "North Attleborough",
}

REGIONS = {
    1: "Western Massachusetts: the Berkshires and the Pioneer Valley around Springfield.",
    2: "Central Massachusetts around Worcester and the northern Pioneer Valley.",
    3: "The Merrimack Valley and north-central Massachusetts, from Lowell to Fitchburg.",
    4: "Boston's south-western suburbs from Newton to Attleboro and Fall River.",
    5: "The inner suburbs north and west of Boston, from Malden to Framingham.",
    6: "The North Shore and Cape Ann, from Lynn and Salem to Gloucester and Newburyport.",
    7: "Most of Boston with Somerville, Everett, Chelsea and part of Cambridge.",
    8: "The South Shore from South Boston and Quincy to Brockton.",
    9: "The South Coast, Cape Cod and the Islands, from New Bedford to Provincetown.",
}


@dataclass
class LoadReport:
    districts: int
    towns: int
    zip_codes: int
    aliases: int


def _ordinal(n: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")


def _district_number(code: str) -> int:
    return int(code.strip().upper().removeprefix("MA-"))


def _pairs(value: str) -> dict[int, float]:
    result = {}
    for part in filter(None, value.split(";")):
        code, number = part.split(":")
        result[_district_number(code)] = float(number)
    return result


@transaction.atomic
def load_ma_data(data_dir: Path = DATA_DIR) -> LoadReport:
    districts = {}
    for number in range(1, 10):
        district, _ = District.objects.update_or_create(
            number=number,
            defaults={
                "slug": f"ma-{number}",
                "name": f"Massachusetts's {_ordinal(number)} congressional district",
            },
        )
        districts[number] = district

    with open(data_dir / "ma_towns_districts.csv", newline="") as handle:
        town_rows = list(csv.DictReader(handle))
    towns: dict[str, Town] = {}
    for row in town_rows:
        town, _ = Town.objects.update_or_create(
            name=row["town"],
            defaults={
                "slug": slugify(row["town"]),
                "county": row["county"],
                "municipality_type": row["municipality_type"],
                "population": int(row["pop_2020"]),
                "latitude": float(row["centroid_lat"]),
                "longitude": float(row["centroid_lon"]),
                "is_split": row["is_split"] == "yes",
                "primary_district": districts[_district_number(row["primary_district"])],
            },
        )
        towns[town.name] = town
        shares = _pairs(row["house_votes_2022_share"])
        precincts = _pairs(row["precincts_by_district"])
        numbers = [_district_number(code) for code in row["districts"].split(";")]
        for number in numbers:
            TownDistrict.objects.update_or_create(
                town=town,
                district=districts[number],
                defaults={
                    "is_primary": number == _district_number(row["primary_district"]),
                    "vote_share": shares.get(number, 0.0),
                    "precincts": int(precincts.get(number, 0)),
                },
            )
        TownDistrict.objects.filter(town=town).exclude(district__number__in=numbers).delete()

    for number, district in districts.items():
        primary = sorted(
            (t for t in towns.values() if t.primary_district_id == district.pk), key=lambda t: -t.population
        )
        district.major_towns = ", ".join(t.name for t in primary[:5])
        # No count here: the pages count the towns from the one list (districts.selectors.towns_by_district).
        district.description = REGIONS[number]
        district.save(update_fields=["major_towns", "description"])

    alias_pairs: set[tuple[str, int]] = {(postal, towns[official].pk) for postal, official in POSTAL_NAMES.items()}

    with open(data_dir / "ma_zip_town.csv", newline="") as handle:
        zip_rows = list(csv.DictReader(handle))
    for row in zip_rows:
        town = _resolve_zip_town(row, towns)
        ZipCode.objects.update_or_create(
            code=row["zip"],
            defaults={
                "zip_type": row["zip_type"],
                "usps_city": row["usps_city"],
                "latitude": float(row["lat"]),
                "longitude": float(row["lon"]),
                "town": town,
            },
        )
        names = [row["usps_city"], *filter(None, row["acceptable_cities"].split("|"))]
        for name in names:
            if name.lower() not in {t.lower() for t in towns}:
                alias_pairs.add((name.title() if name.isupper() else name, town.pk))

    for name, town_id in alias_pairs:
        TownAlias.objects.get_or_create(name=name, town_id=town_id)

    from districts.selectors import _known_names

    transaction.on_commit(_known_names.cache_clear)
    _known_names.cache_clear()
    return LoadReport(
        districts=District.objects.count(),
        towns=Town.objects.count(),
        zip_codes=ZipCode.objects.count(),
        aliases=TownAlias.objects.count(),
    )


def _resolve_zip_town(row: dict[str, str], towns: dict[str, Town]) -> Town:
    """A USPS name that is a municipality, then the town at the ZIP's point, then the nearest."""
    for name in filter(None, row["usps_name_is_municipality"].split("|")):
        if name in towns:
            return towns[name]
    if row["town_at_zip_point"] in towns:
        return towns[row["town_at_zip_point"]]
    lat, lon = float(row["lat"]), float(row["lon"])
    return min(towns.values(), key=lambda t: haversine_miles(t.latitude, t.longitude, lat, lon))
