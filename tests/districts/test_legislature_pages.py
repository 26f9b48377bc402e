"""/find/ with the state legislature, and the State House and Senate district pages."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
from django.urls import reverse
from django.utils.text import slugify

from districts.loader import legislative_name, precinct_rows
from districts.models import Chamber, LegislativeDistrict, Precinct
from tests.districts.test_legislature import SPLIT_TOWNS

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def _answer(text: str) -> str:
    """The precinct answer box alone."""
    found = re.search(r'<div class="alert alert-success.*?</div>', text, re.S)
    assert found, "no precinct answer on the page"
    return found.group(0)


def test_a_town_in_one_district_of_each_kind_names_its_senate_and_house_districts_and_asks_nothing(client):
    text = _text(client.get("/find/", {"q": "Abington"}))
    assert "MA-8" in text
    assert 'href="/districts/state-senate/norfolk-and-plymouth/"' in text
    assert 'href="/districts/state-house/seventh-plymouth/"' in text
    assert 'name="precinct"' not in text


def test_a_zip_code_answers_with_the_state_districts_too(client):
    text = _text(client.get("/find/", {"q": "02351"}))  # Abington
    assert "Norfolk and Plymouth District" in text


def test_a_split_town_lists_every_state_district_and_asks_for_the_ward_and_precinct(client):
    text = _text(client.get("/find/", {"q": "Boston"}))
    assert 'name="ward"' in text and 'name="precinct"' in text
    assert "voter registration record" in text and "sec.state.ma.us" in text
    boston_house = {p.house.slug for p in Precinct.objects.filter(town__name="Boston").select_related("house")}
    for slug in boston_house:
        assert f'href="/districts/state-house/{slug}/"' in text


@pytest.mark.parametrize("town", sorted(SPLIT_TOWNS))
def test_each_split_town_asks_for_the_precinct_and_then_answers_exactly(client, town):
    text = _text(client.get("/find/", {"q": town}))
    assert 'name="precinct"' in text, f"{town} does not ask for the precinct"
    # One precinct of each combination of districts the town has: each answer names exactly its three.
    combos: dict[tuple, dict] = {}
    for row in SPLIT_TOWNS[town]:
        combos.setdefault((row["State_Rep"], row["State_Senate"], row["US_House"]), row)
    for (rep, senate, house), row in combos.items():
        params = {"q": town, "precinct": row["Pct"]}
        if row["Ward"]:
            params["ward"] = row["Ward"]
        answer = _answer(_text(client.get("/find/", params)))
        assert set(re.findall(r'href="([^"]+)"', answer)) == {
            f"/districts/ma-{house}/",
            f"/districts/state-senate/{slugify(legislative_name(senate))}/",
            f"/districts/state-house/{slugify(legislative_name(rep))}/",
        }


def test_the_precinct_narrows_a_split_towns_congressional_district(client):
    """Boston is MA-7 and MA-8: a precinct's answer names one of them, and the panels get it too."""
    by_district = defaultdict(list)
    for row in precinct_rows():
        if row["city_town"] == "Boston":
            by_district[row["US_House"]].append(row)
    for number, rows in by_district.items():
        row = rows[0]
        response = client.get("/find/", {"q": "Boston", "ward": row["Ward"], "precinct": row["Pct"]})
        answer = _answer(_text(response))
        other = "8" if number == "7" else "7"
        assert f">MA-{number}<" in answer and f"MA-{other}" not in answer
        assert [d.code for d in response.context["lookup"].districts] == [f"MA-{number}"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "Boston", "ward": "99", "precinct": "1"}, "Boston has no Ward 99"),
        ({"q": "Boston", "ward": "1", "precinct": "99"}, "Boston has no Ward 1, Precinct 99"),
        ({"q": "Boston", "precinct": "1"}, "Boston has wards"),
        ({"q": "Boston", "ward": "1", "precinct": ""}, "Choose your precinct"),
        ({"q": "Cambridge", "ward": "22", "precinct": "1"}, "Cambridge has no Ward 22"),  # a Boston ward
        ({"q": "Billerica", "ward": "3", "precinct": "1"}, "Billerica has no wards"),
        ({"q": "Billerica", "precinct": "2A"}, "Billerica has no Precinct 2A"),  # a precinct of another town
        ({"q": "Boston", "ward": "x" * 50, "precinct": "1"}, "at most 10 characters"),
        ({"q": "Boston", "ward": "1", "precinct": "<script>"}, "Boston has no Ward 1, Precinct"),
    ],
)
def test_a_bad_ward_or_precinct_gets_a_clear_message_never_a_500(client, params, message):
    response = client.get("/find/", params)
    assert response.status_code == 200
    text = response.content.decode()
    assert 'role="alert"' in text
    assert message in text
    assert "alert-success" not in text
    assert "<script>" not in text


def test_a_precinct_for_a_town_in_one_district_is_not_asked_and_changes_nothing(client):
    text = _text(client.get("/find/", {"q": "Abington", "precinct": "1"}))
    assert 'name="precinct"' not in text and "alert-success" not in text


def test_the_state_district_pages_show_towns_precincts_and_link_back(client):
    district = LegislativeDistrict.objects.get(chamber=Chamber.HOUSE, name="Seventh Plymouth")
    text = _text(client.get(district.get_absolute_url()))
    assert district.get_absolute_url() == "/districts/state-house/seventh-plymouth/"
    assert "Seventh Plymouth District" in text and "Abington" in text
    senate = LegislativeDistrict.objects.get(chamber=Chamber.SENATE, name="First Suffolk")
    text = _text(client.get(senate.get_absolute_url()))
    assert "Boston" in text and "Ward " in text  # part of Boston: its precincts are listed


def test_a_state_district_page_shows_the_legislator_the_coordinators_recorded(client):
    district = LegislativeDistrict.objects.get(chamber=Chamber.SENATE, name="First Suffolk")
    text = _text(client.get(district.get_absolute_url()))
    assert "Not recorded here yet" in text
    district.legislator_name = "Senator Example"
    district.legislator_party = "Democratic"
    district.legislator_url = "https://malegislature.gov/Legislators/Profile/XYZ0"
    district.save()
    text = _text(client.get(district.get_absolute_url()))
    assert "Senator Example" in text and "Democratic" in text and "Profile/XYZ0" in text


def test_a_state_district_page_lists_the_groups_serving_its_towns_and_its_events(client, lowell_group):
    from tests.events.conftest import make_event

    make_event(title="Lowell rally")
    lowell = Precinct.objects.filter(town__name="Lowell").select_related("house", "senate").first()
    for district in (lowell.house, lowell.senate):
        text = _text(client.get(district.get_absolute_url()))
        assert lowell_group.name in text
        assert "Lowell rally" in text
    elsewhere = LegislativeDistrict.objects.get(chamber=Chamber.HOUSE, name="Seventh Plymouth")
    text = _text(client.get(elsewhere.get_absolute_url()))
    assert lowell_group.name not in text and "Lowell rally" not in text


def test_the_indexes_list_every_district_of_each_chamber_and_districts_links_them(client):
    house = _text(client.get(reverse("districts:state_house_list")))
    senate = _text(client.get(reverse("districts:state_senate_list")))
    assert house.count('href="/districts/state-house/') == 160
    assert senate.count('href="/districts/state-senate/') == 40
    listing = _text(client.get(reverse("districts:list")))
    assert 'href="/districts/state-house/"' in listing and 'href="/districts/state-senate/"' in listing


def test_an_unknown_state_district_is_a_404_and_the_congressional_pages_still_answer(client):
    assert client.get("/districts/state-house/no-such-district/").status_code == 404
    assert client.get("/districts/state-senate/seventh-plymouth/").status_code == 404  # a House slug
    assert client.get("/districts/ma-3/").status_code == 200
