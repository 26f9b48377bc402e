"""The General Court's districts: 160 State House and 40 State Senate districts, every one of the
2,383 precincts in its three districts, /find/ asking a split town's voters for their precinct,
and the state district pages."""

from __future__ import annotations

import csv
from collections import defaultdict

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from districts.loader import DATA_DIR, PRECINCTS_FILE, legislative_name, load_ma_data, precinct_rows
from districts.models import Chamber, LegislativeDistrict, Precinct, Town, TownLegislativeDistrict
from districts.selectors import legislature_of_towns, normalise_precinct_part, precinct_answer

pytestmark = pytest.mark.django_db

ROWS = precinct_rows()


def _split_towns() -> dict[str, list[dict[str, str]]]:
    by_town: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in ROWS:
        by_town[row["city_town"]].append(row)
    return {
        town: rows
        for town, rows in by_town.items()
        if any(len({row[column] for row in rows}) > 1 for column in ("State_Rep", "State_Senate", "US_House"))
    }


SPLIT_TOWNS = _split_towns()


def test_the_data_file_has_every_precinct_and_names_only_towns_the_project_knows():
    with open(DATA_DIR / PRECINCTS_FILE, newline="") as handle:
        raw = list(csv.DictReader(handle))
    assert len(raw) == len(ROWS) == 2383
    known = set(Town.objects.values_list("name", flat=True))
    assert sum(row["city_town"] in known for row in raw) == 2383
    assert {row["city_town"] for row in raw} == known  # all 351, none left without precincts


def test_the_loader_made_160_house_and_40_senate_districts_and_every_precinct():
    assert LegislativeDistrict.objects.filter(chamber=Chamber.HOUSE).count() == 160
    assert LegislativeDistrict.objects.filter(chamber=Chamber.SENATE).count() == 40
    assert Precinct.objects.count() == 2383


def test_senate_names_are_written_with_and_as_the_general_court_writes_them():
    assert legislative_name("Worcester & Hampden") == "Worcester and Hampden"
    names = set(LegislativeDistrict.objects.values_list("name", flat=True))
    assert not [name for name in names if "&" in name]
    assert "Berkshire, Hampden, Franklin and Hampshire" in names


def test_every_precinct_resolves_to_its_three_districts():
    precincts = {
        (p.town.name, p.ward, p.number): p
        for p in Precinct.objects.select_related("town", "house", "senate", "district")
    }
    wrong = []
    for row in ROWS:
        precinct = precincts[(row["city_town"], row["Ward"], row["Pct"])]
        got = (precinct.house.name, precinct.senate.name, precinct.district.number)
        expected = (legislative_name(row["State_Rep"]), legislative_name(row["State_Senate"]), int(row["US_House"]))
        if got != expected or precinct.house.chamber != Chamber.HOUSE or precinct.senate.chamber != Chamber.SENATE:
            wrong.append((row, got))
    assert wrong == []
    assert len(precincts) == 2383


def test_every_precinct_is_found_by_the_lookup_the_find_page_uses():
    towns = list(Town.objects.filter(name__in=SPLIT_TOWNS))
    legislature = legislature_of_towns(towns)
    by_name = {entry.town.name: entry for entry in legislature.values()}
    checked = 0
    for name, rows in SPLIT_TOWNS.items():
        for row in rows:
            precinct = precinct_answer(by_name[name], row["Ward"], row["Pct"])
            assert (precinct.house.name, precinct.senate.name, precinct.district.number) == (
                legislative_name(row["State_Rep"]),
                legislative_name(row["State_Senate"]),
                int(row["US_House"]),
            )
            checked += 1
    assert checked == sum(len(rows) for rows in SPLIT_TOWNS.values())


def test_every_town_names_exactly_the_state_districts_its_precincts_have():
    expected: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for row in ROWS:
        expected[row["city_town"]].add((Chamber.HOUSE, legislative_name(row["State_Rep"])))
        expected[row["city_town"]].add((Chamber.SENATE, legislative_name(row["State_Senate"])))
    legislature = legislature_of_towns(Town.objects.all())
    got = {
        entry.town.name: {(s.district.chamber, s.district.name) for s in entry.senate + entry.house}
        for entry in legislature.values()
    }
    assert got == expected
    # A whole town is in one district of each chamber, and its share counts all its precincts.
    for share in TownLegislativeDistrict.objects.select_related("town", "district"):
        in_it = [r for r in ROWS if r["city_town"] == share.town.name] if share.town.name in SPLIT_TOWNS else None
        if in_it is not None:
            column = "State_Rep" if share.district.chamber == Chamber.HOUSE else "State_Senate"
            assert share.precincts == sum(legislative_name(r[column]) == share.district.name for r in in_it)


def test_a_second_run_of_the_loader_writes_nothing():
    load_ma_data()
    with CaptureQueriesContext(connection) as queries:
        report = load_ma_data()
    writes = [q["sql"] for q in queries if q["sql"].lstrip().split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}]
    assert writes == []
    assert (report.precincts, report.legislative_districts, report.towns) == (2383, 200, 351)


def test_a_reload_keeps_the_legislator_coordinators_recorded_and_puts_back_a_lost_precinct():
    district = LegislativeDistrict.objects.get(chamber=Chamber.HOUSE, name="Eighteenth Middlesex")
    district.legislator_name = "Rep. Example"
    district.save()
    Precinct.objects.filter(town__name="Abington", number="1").delete()
    load_ma_data()
    district.refresh_from_db()
    assert district.legislator_name == "Rep. Example"
    assert Precinct.objects.filter(town__name="Abington", number="1").exists()


def test_a_town_the_project_does_not_know_stops_the_load(tmp_path):
    for name in ("ma_towns_districts.csv", "ma_zip_town.csv"):
        (tmp_path / name).write_text((DATA_DIR / name).read_text())
    text = (DATA_DIR / PRECINCTS_FILE).read_text().replace("Abington,-,1,", "Abingtown,-,1,", 1)
    (tmp_path / PRECINCTS_FILE).write_text(text)
    with pytest.raises(ValueError, match="Abingtown"):
        load_ma_data(tmp_path)
    assert Precinct.objects.filter(town__name="Abington").count() == 5  # nothing half-written


@pytest.mark.parametrize(
    ("typed", "stored"), [("05", "5"), ("2a", "2A"), ("Ward 5", "5"), (" 3 ", "3"), ("Precinct 02A", "2A"), ("", "")]
)
def test_what_a_voter_types_reads_as_the_data_writes_it(typed, stored):
    assert normalise_precinct_part(typed) == stored
