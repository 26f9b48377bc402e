import csv

import pytest

from districts.loader import DATA_DIR, load_ma_data
from districts.models import District, Town, TownAlias, ZipCode
from districts.selectors import place_lookup

pytestmark = pytest.mark.django_db

SPOT_CHECKS = [
    ("Pittsfield", ["MA-1"]),
    ("Worcester", ["MA-2"]),
    ("Lowell", ["MA-3"]),
    ("Newton", ["MA-4"]),
    ("Cambridge", ["MA-7", "MA-5"]),
    ("Salem", ["MA-6"]),
    ("Boston", ["MA-7", "MA-8"]),
    ("Quincy", ["MA-8"]),
    ("Barnstable", ["MA-9"]),
]

SPLIT_TOWNS = [
    ("Boston", ["MA-7", "MA-8"]),
    ("Cambridge", ["MA-7", "MA-5"]),
    ("Milton", None),
    ("Billerica", None),
    ("Bedford", ["MA-6", "MA-5"]),
    ("Raynham", None),
    ("Webster", None),
    ("Wellesley", None),
    ("Westminster", None),
]


def codes(lookup) -> list[str]:
    return [d.code for d in lookup.districts]


@pytest.mark.parametrize(("query", "expected"), SPOT_CHECKS)
def test_spot_checks_resolve_to_their_districts_primary_first(query, expected):
    assert codes(place_lookup(query)) == expected


@pytest.mark.parametrize(
    ("query", "town"),
    [
        ("Lowell", "Lowell"),
        ("lowell", "Lowell"),
        ("  LOWELL, MA ", "Lowell"),
        ("01852", "Lowell"),
        ("01852-1234", "Lowell"),
        ("Foxboro", "Foxborough"),
        ("Foxborough", "Foxborough"),
        ("Manchester", "Manchester-by-the-Sea"),
        ("manchester by the sea", "Manchester-by-the-Sea"),
        ("Middleboro", "Middleborough"),
        ("North Attleboro", "North Attleborough"),
        ("Hyannis", "Barnstable"),
        ("02601", "Barnstable"),
        ("Dorchester Center", "Boston"),
    ],
)
def test_town_names_postal_names_villages_and_zips_resolve(query, town):
    lookup = place_lookup(query)
    assert lookup.found
    assert lookup.towns[0].name == town


@pytest.mark.parametrize(("town", "expected"), SPLIT_TOWNS)
def test_every_split_town_shows_every_district_primary_first(town, expected):
    rows = csv.DictReader((DATA_DIR / "ma_towns_districts.csv").read_text().splitlines())
    row = next(r for r in rows if r["town"] == town)
    assert row["is_split"] == "yes"
    lookup = place_lookup(town)
    found = codes(lookup)
    assert found[0] == row["primary_district"]
    assert sorted(found) == sorted(row["districts"].split(";"))
    if expected:
        assert found == expected


def test_all_351_towns_resolve_to_the_districts_in_the_data_file():
    rows = list(csv.DictReader((DATA_DIR / "ma_towns_districts.csv").read_text().splitlines()))
    assert len(rows) == 351
    for row in rows:
        found = codes(place_lookup(row["town"]))
        assert found[0] == row["primary_district"], row["town"]
        assert sorted(found) == sorted(row["districts"].split(";")), row["town"]


def test_every_zip_resolves_to_a_town_and_water_points_to_the_nearest():
    assert ZipCode.objects.count() == 704
    assert ZipCode.objects.get(code="02562").town.name == "Bourne"
    assert ZipCode.objects.get(code="02738").town.name == "Marion"
    assert ZipCode.objects.get(code="02568").town.name in {"Tisbury", "Oak Bluffs"}


@pytest.mark.parametrize("query", ["Springfeld", "Narnia", "90210", "00000", "12345-678", "x" * 300, "<script>"])
def test_unknown_places_are_not_found(query):
    lookup = place_lookup(query)
    assert not lookup.found


def test_a_misspelling_gets_near_suggestions():
    assert "Springfield" in place_lookup("Springfeld").suggestions
    assert "Worcester" in place_lookup("Worchester").suggestions


def test_loading_twice_creates_nothing_twice():
    before = (District.objects.count(), Town.objects.count(), ZipCode.objects.count(), TownAlias.objects.count())
    load_ma_data()
    after = (District.objects.count(), Town.objects.count(), ZipCode.objects.count(), TownAlias.objects.count())
    assert before == after == (9, 351, 704, before[3])
