"""The directory map's data (/groups/map.json): every group the directory's filters match, one
marker per home town, in a fixed number of queries."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from groups.models import Group, GroupStatus

pytestmark = pytest.mark.django_db

URL = "/groups/map.json"


def _get(client, params: dict | None = None) -> dict:
    response = client.get(URL, params or {})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


def _towns(data: dict) -> dict[str, dict]:
    return {town["town"]: town for town in data["towns"]}


def test_the_address_is_named_and_not_taken_for_a_group_slug():
    assert reverse("groups:map_data") == URL


def test_without_filters_every_group_is_counted_on_its_first_towns_marker(client, make_group):
    make_group("Lowell Indivisible", ("Lowell", "Chelmsford"))
    make_group("Acre Action", ("Lowell",))
    make_group("Pittsfield Together", ("Pittsfield",))
    data = _get(client)
    assert data["total"] == 3
    towns = _towns(data)
    assert set(towns) == {"Lowell", "Pittsfield"}  # the first town only: Chelmsford has no marker
    lowell = towns["Lowell"]
    assert lowell["count"] == 2
    assert [g["name"] for g in lowell["groups"]] == ["Acre Action", "Lowell Indivisible"]
    assert lowell["groups"][1]["url"] == Group.objects.get(name="Lowell Indivisible").get_absolute_url()
    assert isinstance(lowell["lat"], float) and isinstance(lowell["lon"], float)
    assert lowell["more_url"] == "/groups/?town=Lowell"


def test_a_town_lists_at_most_five_names_in_order_and_counts_them_all(client, bulk_groups):
    bulk_groups(60)  # round-robin over the towns: some towns get several
    data = _get(client)
    assert data["total"] == 60 == sum(t["count"] for t in data["towns"])
    for town in data["towns"]:
        names = [g["name"] for g in town["groups"]]
        assert len(names) == min(5, town["count"])
        assert names == sorted(names)
        expected = Group.objects.filter(home_town__name=town["town"]).order_by("name")[:5]
        assert names == [g.name for g in expected]


def test_the_search_narrows_the_markers_and_is_kept_in_the_towns_link(client, make_group):
    make_group("Lowell Climate Crew", ("Lowell",))
    make_group("Lowell Indivisible", ("Lowell",))
    make_group("Pittsfield Together", ("Pittsfield",))
    data = _get(client, {"q": "climate"})
    assert data["total"] == 1
    (lowell,) = data["towns"]
    assert lowell["town"] == "Lowell" and lowell["count"] == 1
    assert [g["name"] for g in lowell["groups"]] == ["Lowell Climate Crew"]
    assert parse_qs(urlsplit(lowell["more_url"]).query) == {"town": ["Lowell"], "q": ["climate"]}


def test_a_district_keeps_the_groups_serving_it(client, make_group):
    make_group("Lowell Indivisible", ("Lowell",))
    make_group("Pittsfield Together", ("Pittsfield",))
    make_group("Pittsfield for Lowell", ("Pittsfield", "Lowell"))  # serves MA-3 too
    data = _get(client, {"district": "MA-3", "stale": "1"})
    assert data["total"] == 2
    towns = _towns(data)
    assert towns["Pittsfield"]["count"] == 1
    assert [g["name"] for g in towns["Pittsfield"]["groups"]] == ["Pittsfield for Lowell"]
    query = parse_qs(urlsplit(towns["Lowell"]["more_url"]).query)
    assert query == {"town": ["Lowell"], "district": ["ma-3"], "stale": ["1"]}


def test_a_zip_code_shows_what_the_directory_lists_the_groups_serving_it_among_them(client, make_group):
    make_group("Chelmsford for Lowell", ("Chelmsford", "Lowell"))
    make_group("Pittsfield Together", ("Pittsfield",))
    data = _get(client, {"zip": "01852"})
    # A place orders the directory (serving groups first), it does not narrow it: the map shows
    # the same groups as the list, the zip code left out of the towns' links (a town replaces it).
    listed = client.get("/groups/", {"zip": "01852"}).context["page_obj"].paginator.count
    assert data["total"] == listed == 2
    chelmsford = _towns(data)["Chelmsford"]
    assert [g["name"] for g in chelmsford["groups"]] == ["Chelmsford for Lowell"]
    assert chelmsford["more_url"] == "/groups/?town=Chelmsford"


def test_pending_rejected_and_stale_groups_are_left_out_unless_stale_is_asked_for(client, make_group):
    make_group("Fresh Group", ("Lowell",))
    make_group("Waiting Group", ("Lowell",), status=GroupStatus.PENDING)
    make_group("Refused Group", ("Lowell",), status=GroupStatus.REJECTED)
    sleepy = make_group("Sleepy Group", ("Worcester",))
    Group.objects.filter(pk=sleepy.pk).update(is_stale=True)
    default = _get(client)
    assert default["total"] == 1
    assert [g["name"] for t in default["towns"] for g in t["groups"]] == ["Fresh Group"]
    with_stale = _get(client, {"stale": "1"})
    assert with_stale["total"] == 2
    assert {g["name"] for t in with_stale["towns"] for g in t["groups"]} == {"Fresh Group", "Sleepy Group"}


@pytest.mark.parametrize(
    "params",
    [
        {"district": "ma-10"},
        {"district": "<script>"},
        {"town": "Atlantis"},
        {"zip": "99999"},
        {"q": "x" * 101},  # longer than the form allows
        {"district": "x" * 50},
    ],
)
def test_invalid_filters_give_no_markers_and_no_error(client, make_group, params):
    make_group("Lowell Indivisible", ("Lowell",))
    assert _get(client, params) == {"towns": [], "total": 0}


def test_a_name_with_markup_comes_back_as_plain_json_text(client, make_group):
    name = '<script>alert("x")</script> & Co'
    make_group(name, ("Lowell",))
    response = client.get(URL)
    assert response.json()["towns"][0]["groups"][0]["name"] == name
    # JSON, not HTML: the text is not escaped for a page, the script builds text nodes from it.
    assert response["Content-Type"] == "application/json"
    assert b"<script>" in response.content


def test_the_directory_page_points_its_map_at_the_data_with_its_filters(client, make_group):
    make_group("Lowell Indivisible", ("Lowell",))
    page = client.get("/groups/", {"q": "lowell", "district": "ma-3", "page": "1"}).content.decode()
    assert 'data-markers-url="/groups/map.json?q=lowell&amp;district=ma-3"' in page
    assert "groups-map-data" not in page
    assert 'data-markers-url="/groups/map.json"' in client.get("/groups/").content.decode()


@pytest.mark.page_cache
def test_anonymous_visitors_get_a_stored_copy_that_goes_stale_with_a_new_group(client, make_group):
    make_group("Lowell Indivisible", ("Lowell",))
    assert client.get(URL)["X-Page-Cache"] == "miss"
    assert client.get(URL)["X-Page-Cache"] == "hit"
    make_group("Worcester Indivisible", ("Worcester",))
    fresh = client.get(URL)
    assert fresh["X-Page-Cache"] == "miss"
    assert fresh.json()["total"] == 2


QUERY_URLS = [
    URL,
    URL + "?q=climate",
    URL + "?district=ma-3",
    URL + "?zip=01852",
    URL + "?town=Lowell&q=climate&district=ma-3&stale=1",
]


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    assert response.json()["total"] > 0, url
    return len(queries)


def test_the_query_count_is_the_same_for_10_and_100_groups(client, settings, bulk_groups):
    settings.PAGE_CACHE_SECONDS = 0  # count the work, not a stored copy
    bulk_groups(10)
    small = {url: _count(client, url) for url in QUERY_URLS}
    bulk_groups(90, start=10)
    large = {url: _count(client, url) for url in QUERY_URLS}
    assert small == large
    # The counts by town and the first names by town (+ the district's or place's lookup).
    assert large[URL] == 2
    assert large[URL + "?q=climate"] == 2
