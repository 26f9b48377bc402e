"""Load Massachusetts geography from the CSV files shipped in ``districts/data``.

Idempotent: running it again updates rows in place and creates nothing twice. Sources and
licences are in ``districts/data/SOURCES.md`` and credited on the About page.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.db.models import Model
from django.utils.text import slugify

from districts.models import (
    Chamber,
    District,
    LegislativeDistrict,
    Precinct,
    Town,
    TownAlias,
    TownDistrict,
    TownLegislativeDistrict,
    ZipCode,
    haversine_miles,
    precinct_sort_key,
)
from imc import pagecache

DATA_DIR = Path(__file__).resolve().parent / "data"
# One row per precinct with its State House, State Senate and U.S. House districts (2022).
PRECINCTS_FILE = "ma_districts_precincts_2022.csv"

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
    legislative_districts: int = 0
    precincts: int = 0


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


def _sync(model: type[Model], key: tuple[str, ...], wanted: dict[tuple, dict], *, delete: bool = False) -> dict:
    """Make the table hold exactly the ``wanted`` rows (key -> field values), writing only what differs.

    One read of the table, then a bulk insert of the missing rows and a bulk update of the changed
    ones, so a second run of the loader writes nothing at all. Keys and values name columns by
    their attribute (``town_id``), so foreign keys compare as ids.
    """
    existing = {tuple(getattr(row, name) for name in key): row for row in model._default_manager.all()}
    created, changed, fields = [], [], set()
    for row_key, values in wanted.items():
        row = existing.get(row_key)
        if row is None:
            row = model(**dict(zip(key, row_key, strict=True)), **values)
            created.append(row)
            existing[row_key] = row
            continue
        differs = [name for name, value in values.items() if getattr(row, name) != value]
        if differs:
            for name in differs:
                setattr(row, name, values[name])
            changed.append(row)
            fields.update(differs)
    model._default_manager.bulk_create(created, batch_size=500)
    if changed:
        model._default_manager.bulk_update(changed, sorted(fields), batch_size=500)
    stale = [row.pk for row_key, row in existing.items() if row_key not in wanted]
    if delete and stale:
        model._default_manager.filter(pk__in=stale).delete()
    if created or changed or (delete and stale):
        # Bulk writes send no signals: tell the page cache (it listens to saves) by hand.
        transaction.on_commit(pagecache.invalidate)
    return {row_key: existing[row_key] for row_key in wanted}


@transaction.atomic
def load_ma_data(data_dir: Path = DATA_DIR) -> LoadReport:
    wanted_districts = {
        (number,): {"slug": f"ma-{number}", "name": f"Massachusetts's {_ordinal(number)} congressional district"}
        for number in range(1, 10)
    }
    districts = {key[0]: row for key, row in _sync(District, ("number",), wanted_districts).items()}

    with open(data_dir / "ma_towns_districts.csv", newline="") as handle:
        town_rows = list(csv.DictReader(handle))
    wanted_towns = {
        (row["town"],): {
            "slug": slugify(row["town"]),
            "county": row["county"],
            "municipality_type": row["municipality_type"],
            "population": int(row["pop_2020"]),
            "latitude": float(row["centroid_lat"]),
            "longitude": float(row["centroid_lon"]),
            "is_split": row["is_split"] == "yes",
            "primary_district_id": districts[_district_number(row["primary_district"])].pk,
        }
        for row in town_rows
    }
    towns: dict[str, Town] = {key[0]: town for key, town in _sync(Town, ("name",), wanted_towns).items()}
    wanted_memberships: dict[tuple, dict] = {}
    for row in town_rows:
        town = towns[row["town"]]
        shares = _pairs(row["house_votes_2022_share"])
        precincts = _pairs(row["precincts_by_district"])
        for number in (_district_number(code) for code in row["districts"].split(";")):
            wanted_memberships[(town.pk, districts[number].pk)] = {
                "is_primary": number == _district_number(row["primary_district"]),
                "vote_share": shares.get(number, 0.0),
                "precincts": int(precincts.get(number, 0)),
            }
    _sync(TownDistrict, ("town_id", "district_id"), wanted_memberships, delete=True)

    wanted_descriptions = {}
    for number, district in districts.items():
        primary = sorted(
            (t for t in towns.values() if t.primary_district_id == district.pk), key=lambda t: -t.population
        )
        # No count here: the pages count the towns from the one list (districts.selectors.towns_by_district).
        wanted_descriptions[(number,)] = {
            "major_towns": ", ".join(t.name for t in primary[:5]),
            "description": REGIONS[number],
        }
    _sync(District, ("number",), wanted_descriptions)

    alias_pairs: set[tuple[str, int]] = {(postal, towns[official].pk) for postal, official in POSTAL_NAMES.items()}

    with open(data_dir / "ma_zip_town.csv", newline="") as handle:
        zip_rows = list(csv.DictReader(handle))
    wanted_zips = {}
    for row in zip_rows:
        town = _resolve_zip_town(row, towns)
        wanted_zips[(row["zip"],)] = {
            "zip_type": row["zip_type"],
            "usps_city": row["usps_city"],
            "latitude": float(row["lat"]),
            "longitude": float(row["lon"]),
            "town_id": town.pk,
        }
        names = [row["usps_city"], *filter(None, row["acceptable_cities"].split("|"))]
        for name in names:
            if name.lower() not in {t.lower() for t in towns}:
                alias_pairs.add((name.title() if name.isupper() else name, town.pk))
    _sync(ZipCode, ("code",), wanted_zips)
    _sync(TownAlias, ("name", "town_id"), {pair: {} for pair in alias_pairs})

    precinct_count = _load_precincts(data_dir, towns, districts)

    from districts.selectors import _known_names

    transaction.on_commit(_known_names.cache_clear)
    _known_names.cache_clear()
    return LoadReport(
        districts=District.objects.count(),
        towns=Town.objects.count(),
        zip_codes=ZipCode.objects.count(),
        aliases=TownAlias.objects.count(),
        legislative_districts=LegislativeDistrict.objects.count(),
        precincts=precinct_count,
    )


def legislative_name(name: str) -> str:
    """A district's name as the General Court writes it: the election statistics spell some
    Senate districts with "&" ("Worcester & Hampden"), the Court always with "and"."""
    return " ".join(name.replace("&", " and ").split())


def precinct_rows(data_dir: Path = DATA_DIR) -> list[dict[str, str]]:
    """The precinct file's rows, ward "-" (a town without wards) read as blank."""
    with open(data_dir / PRECINCTS_FILE, newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["Ward"] = "" if row["Ward"].strip() == "-" else row["Ward"].strip()
        row["Pct"] = row["Pct"].strip()
    return rows


def _load_precincts(data_dir: Path, towns: dict[str, Town], districts: dict[int, District]) -> int:
    """The state districts, every precinct in its three districts, and each town's share of each
    state district (derived from its precincts, so the two can never disagree)."""
    rows = precinct_rows(data_dir)
    unknown = sorted({row["city_town"] for row in rows} - set(towns))
    if unknown:
        # Every precinct must land in a town: a spelling the project does not know stops the load.
        raise ValueError(f"{PRECINCTS_FILE} names towns the project does not know: {', '.join(unknown)}")
    wanted = {}
    for row in rows:
        for chamber, column in ((Chamber.HOUSE, "State_Rep"), (Chamber.SENATE, "State_Senate")):
            name = legislative_name(row[column])
            wanted[(chamber.value, name)] = {"slug": slugify(name)}
    state = _sync(LegislativeDistrict, ("chamber", "name"), wanted, delete=True)

    wanted_precincts = {}
    for row in rows:
        wanted_precincts[(towns[row["city_town"]].pk, row["Ward"], row["Pct"])] = {
            "house_id": state[(Chamber.HOUSE.value, legislative_name(row["State_Rep"]))].pk,
            "senate_id": state[(Chamber.SENATE.value, legislative_name(row["State_Senate"]))].pk,
            "district_id": districts[int(row["US_House"])].pk,
            "sort_key": precinct_sort_key(row["Ward"], row["Pct"]),
        }
    _sync(Precinct, ("town_id", "ward", "number"), wanted_precincts, delete=True)

    shares: dict[tuple[int, int], int] = defaultdict(int)
    town_precincts: dict[int, int] = defaultdict(int)
    for (town_id, _ward, _number), values in wanted_precincts.items():
        town_precincts[town_id] += 1
        shares[(town_id, values["house_id"])] += 1
        shares[(town_id, values["senate_id"])] += 1
    wanted_shares = {
        key: {"precincts": count, "is_whole": count == town_precincts[key[0]]} for key, count in shares.items()
    }
    _sync(TownLegislativeDistrict, ("town_id", "district_id"), wanted_shares, delete=True)
    return len(wanted_precincts)


def _resolve_zip_town(row: dict[str, str], towns: dict[str, Town]) -> Town:
    """A USPS name that is a municipality, then the town at the ZIP's point, then the nearest."""
    for name in filter(None, row["usps_name_is_municipality"].split("|")):
        if name in towns:
            return towns[name]
    if row["town_at_zip_point"] in towns:
        return towns[row["town_at_zip_point"]]
    lat, lon = float(row["lat"]), float(row["lon"])
    return min(towns.values(), key=lambda t: haversine_miles(t.latitude, t.longitude, lat, lon))
