"""The public read API (/api/v1/): filters, cursor pagination, conditional GET, the throttle,
CORS on /api/ only, the OpenAPI schema and the documentation page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.http import http_date

from districts.models import BoardRole, BoardSeat, District, Team
from events import services as event_services
from events.models import Event, EventStatus, EventType
from groups.models import Group, GroupStatus
from imc import pagecache
from tests import factories
from tests.events.conftest import make_event
from tests.events.conftest import make_group as quick_group

pytestmark = pytest.mark.django_db

SOON = timezone.now().replace(second=0, microsecond=0) + timedelta(days=2)


def get(client, url, **headers):
    return client.get(url, **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["title"] for item in response.json()["data"]]


@pytest.fixture
def calendar(db):
    """Five events: Lowell (MA-3), Chelmsford (MA-3, next to Lowell), Worcester (MA-2),
    Pittsfield (MA-1, far away), and an online one hosted by the Lowell group."""
    lowell = quick_group("Lowell Indivisible", "Lowell")
    worcester = quick_group("Worcester Indivisible", "Worcester")
    events = {
        "lowell": make_event(title="Lowell rally", host_group=lowell, start=SOON, event_type=EventType.RALLY,
                             accessibility=["wheelchair", "asl"]),
        "chelmsford": make_event(title="Chelmsford phone bank", host_group=lowell, town="Chelmsford",
                                 start=SOON + timedelta(days=1), event_type=EventType.PHONE_BANK,
                                 accessibility=["wheelchair"]),
        "worcester": make_event(title="Worcester town hall", host_group=worcester, town="Worcester",
                                start=SOON + timedelta(days=2), event_type=EventType.TOWN_HALL),
        "pittsfield": make_event(title="Pittsfield social", town="Pittsfield", start=SOON + timedelta(days=3),
                                 event_type=EventType.SOCIAL),
        "online": make_event(title="Online training", host_group=lowell, town=None, is_online=True,
                             start=SOON + timedelta(days=4), event_type=EventType.TRAINING,
                             join_url="https://meet.example/room"),
    }  # fmt: skip
    events["worcester"].co_hosts.add(lowell)
    return events


FILTERS = [
    ("", ["Lowell rally", "Chelmsford phone bank", "Worcester town hall", "Pittsfield social", "Online training"]),
    ("zip=01852&max_dist=5", ["Lowell rally", "Chelmsford phone bank"]),
    ("zip=01852&max_dist=60", ["Lowell rally", "Chelmsford phone bank", "Worcester town hall"]),
    # An online event is filed under its host group's district, as on the site.
    ("district=ma-3", ["Lowell rally", "Chelmsford phone bank", "Online training"]),
    ("district=MA-2", ["Worcester town hall"]),
    ("group=lowell-indivisible", ["Lowell rally", "Chelmsford phone bank", "Worcester town hall", "Online training"]),
    ("group=worcester-indivisible", ["Worcester town hall"]),
    ("type=rally", ["Lowell rally"]),
    ("type=training", ["Online training"]),
    ("accessibility=wheelchair", ["Lowell rally", "Chelmsford phone bank"]),
    ("accessibility=wheelchair&accessibility=asl", ["Lowell rally"]),
    ("starts_after={day1}", ["Chelmsford phone bank", "Worcester town hall", "Pittsfield social", "Online training"]),
    ("starts_before={day1}", ["Lowell rally"]),
    ("starts_after={day1}&starts_before={day3}", ["Chelmsford phone bank", "Worcester town hall"]),
    ("district=ma-3&type=phone_bank", ["Chelmsford phone bank"]),
    ("online=1", ["Online training"]),
    ("updated_since={past}", ["Lowell rally", "Chelmsford phone bank", "Worcester town hall", "Pittsfield social",
                              "Online training"]),
    ("updated_since={future}", []),
    ("updated_since={past}&district=ma-2", ["Worcester town hall"]),
    ("updated_since={past_unix}&type=social", ["Pittsfield social"]),
    ("zip=01852&max_dist=60&type=town_hall", ["Worcester town hall"]),
    ("zip=01852&max_dist=5&accessibility=asl", ["Lowell rally"]),
    ("group=lowell-indivisible&district=ma-2", ["Worcester town hall"]),
    ("group=lowell-indivisible&starts_before={day3}&accessibility=wheelchair", ["Lowell rally",
                                                                               "Chelmsford phone bank"]),
]  # fmt: skip


@pytest.mark.parametrize(("query", "expected"), FILTERS)
def test_the_events_filters_narrow_the_list_as_the_table_says(client, calendar, query, expected):
    day = {f"day{n}": (SOON + timedelta(days=n, hours=-1)).isoformat() for n in (1, 3)}
    now = timezone.now()
    moments = {"past": (now - timedelta(hours=1)).isoformat(), "future": (now + timedelta(hours=1)).isoformat(),
               "past_unix": str(int(now.timestamp()) - 3600)}  # fmt: skip
    query = query.format(**day, **moments).replace("+", "%2B")
    assert titles(client.get(f"/api/v1/events/?{query}")) == expected


def test_updated_since_lists_only_events_changed_since(client, calendar):
    cutoff = timezone.now() + timedelta(minutes=1)
    Event.objects.filter(pk=calendar["worcester"].pk).update(updated_at=cutoff + timedelta(seconds=5))
    query = "updated_since=" + cutoff.isoformat().replace("+", "%2B")
    assert titles(client.get(f"/api/v1/events/?{query}")) == ["Worcester town hall"]


@pytest.mark.parametrize(
    "query",
    ["district=ma-99", "zip=99999", "zip=abc", "type=picnic", "accessibility=jetpack", "starts_after=yesterday",
     "updated_since=soon", "max_dist=-3", "per_page=0", "per_page=abc", "cursor=not-a-cursor", "group=no-such-group"],
)  # fmt: skip
def test_a_bad_filter_is_a_400_with_a_message_never_a_500(client, calendar, query):
    response = client.get(f"/api/v1/events/?{query}")
    assert response.status_code == 400, response.content
    assert response.json()


def test_drafts_cancelled_and_past_events_are_not_listed(client, calendar):
    make_event(title="Draft plan", status=EventStatus.DRAFT)
    make_event(title="Called off", status=EventStatus.CANCELLED)
    make_event(title="Long ago", start=timezone.now() - timedelta(days=30))
    assert "Draft plan" not in titles(client.get("/api/v1/events/"))
    assert "Called off" not in titles(client.get("/api/v1/events/"))
    assert "Long ago" not in titles(client.get("/api/v1/events/"))


def test_an_event_reads_like_mobilizes_v1_event_json(client, calendar, settings):
    item = client.get("/api/v1/events/?type=rally").json()["data"][0]
    event = calendar["lowell"]
    assert item["id"] == event.pk
    assert item["browser_url"] == f"{settings.SITE_URL}/events/{event.slug}/"
    assert item["timeslots"] == [
        {"id": event.pk, "start_date": int(event.starts_at.timestamp()), "end_date": int(event.ends_at.timestamp())}
    ]
    assert item["event_type"] == "RALLY" and item["type"] == "rally"
    assert item["location"]["locality"] == "Lowell" and item["location"]["region"] == "MA"
    assert item["location"]["congressional_district"] == "3"
    assert item["sponsor"]["name"] == "Lowell Indivisible"
    assert item["sponsor"]["browser_url"] == f"{settings.SITE_URL}/groups/lowell-indivisible/"
    assert item["is_virtual"] is False and item["timezone"] == "America/New_York"
    online = client.get("/api/v1/events/?online=1").json()["data"][0]
    assert online["is_virtual"] is True and online["location"] is None
    assert "join_url" not in online and "https://meet.example/room" not in str(online)


# --- pagination ---------------------------------------------------------------------------------


def walk(client, url) -> list[dict]:
    items, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        items += body["data"]
        url = body["next"]
        pages += 1
        assert pages < 100
    return items


def test_the_cursor_walks_every_event_once_while_events_are_added_and_removed(client, settings):
    start = SOON
    events = [make_event(title=f"Event {n:02d}", start=start + timedelta(hours=n // 2)) for n in range(12)]
    url = "/api/v1/events/?per_page=5"
    first = client.get(url).json()
    assert [item["title"] for item in first["data"]] == [f"Event {n:02d}" for n in range(5)]
    assert first["next"].startswith(settings.SITE_URL + "/api/v1/events/?")
    # While the client reads on: an event before its position and one after it appear, one it has
    # not reached yet is unpublished.
    make_event(title="Early newcomer", start=start - timedelta(hours=1))
    make_event(title="Late newcomer", start=start + timedelta(days=3))
    Event.objects.filter(pk=events[9].pk).update(status=EventStatus.DRAFT)
    rest = walk(client, first["next"])
    seen = [item["title"] for item in first["data"] + rest]
    assert len(seen) == len(set(seen))
    assert seen == [f"Event {n:02d}" for n in range(12) if n != 9] + ["Late newcomer"]


def test_the_cursor_walks_every_group_once_while_groups_are_added_and_removed(client):
    for n in range(10):
        quick_group(f"Group {n:02d}", "Lowell")
    first = client.get("/api/v1/groups/?per_page=3").json()
    assert [item["name"] for item in first["data"]] == ["Group 00", "Group 01", "Group 02"]
    quick_group("Group 00a", "Lowell")  # sorts before the client's position: not seen, none repeated
    quick_group("Group 99", "Lowell")  # after it: seen
    Group.objects.filter(name="Group 07").update(status=GroupStatus.ARCHIVED)  # not reached yet: gone
    Group.objects.filter(name="Group 01").update(status=GroupStatus.ARCHIVED)  # already seen
    seen = [item["name"] for item in first["data"] + walk(client, first["next"])]
    assert len(seen) == len(set(seen))
    assert seen == [f"Group {n:02d}" for n in range(10) if n != 7] + ["Group 99"]


def test_a_mirror_walking_updated_since_sees_an_event_cancelled_mid_walk_once(client, coordinator):
    past = (timezone.now() - timedelta(hours=1)).isoformat().replace("+", "%2B")
    events = [make_event(title=f"Event {n:02d}", start=SOON + timedelta(hours=n)) for n in range(8)]
    first = client.get(f"/api/v1/events/?per_page=3&updated_since={past}").json()
    event_services.event_cancel(event=events[5], by=coordinator)  # ahead of the client
    event_services.event_cancel(event=events[1], by=coordinator)  # behind it
    Event.objects.filter(pk=events[6].pk).update(status=EventStatus.DRAFT)  # ahead: taken off
    rows = first["data"] + walk(client, first["next"])
    seen = [(item["title"], item["status"]) for item in rows]
    assert len({title for title, _ in seen}) == len(seen)
    assert seen == [(f"Event {n:02d}", "cancelled" if n == 5 else "published") for n in range(8) if n != 6]


def test_groups_and_teams_are_paginated_by_cursor_too(client):
    for n in range(7):
        quick_group(f"Group {n}", "Lowell")
    names = [item["name"] for item in walk(client, "/api/v1/groups/?per_page=3")]
    assert names == [f"Group {n}" for n in range(7)]


@pytest.mark.parametrize("endpoint", ["events", "groups"])
def test_the_query_count_does_not_grow_with_the_page(client, endpoint, django_assert_max_num_queries):
    def count(n: int) -> int:
        Event.objects.all().delete()
        for k in range(n):
            group = quick_group(f"{endpoint} host {n}-{k}", "Lowell")
            event = make_event(title=f"Event {n}-{k}", host_group=group)
            event.co_hosts.add(quick_group(f"{endpoint} cohost {n}-{k}", "Chelmsford"))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/api/v1/{endpoint}/?per_page=100")
        assert response.status_code == 200 and len(response.json()["data"]) >= n
        return len(queries)

    assert count(5) == count(50)


# --- groups, districts, teams -------------------------------------------------------------------


@pytest.fixture
def directory(db):
    """Lowell (MA-3), Worcester (MA-2), one serving Lowell and Pittsfield (MA-3 and MA-1), one
    waiting for its rep; Worcester's changed an hour from now."""
    factories.group("Lowell Indivisible", ("Lowell",))
    factories.group("Worcester Indivisible", ("Worcester",))
    factories.group("Merrimack Berkshire Bridge", ("Lowell", "Pittsfield"))
    factories.group("Waiting Circle", ("Lowell",), status=GroupStatus.PENDING)
    Group.objects.filter(name="Worcester Indivisible").update(updated_at=timezone.now() + timedelta(hours=1))


GROUP_FILTERS = [
    ("", ["Lowell Indivisible", "Merrimack Berkshire Bridge", "Worcester Indivisible"]),
    ("district=ma-3", ["Lowell Indivisible", "Merrimack Berkshire Bridge"]),
    ("district=MA-1", ["Merrimack Berkshire Bridge"]),
    ("district=ma-2", ["Worcester Indivisible"]),
    ("district=ma-9", []),
    ("updated_since={past}", ["Lowell Indivisible", "Merrimack Berkshire Bridge", "Worcester Indivisible"]),
    ("updated_since={soon}", ["Worcester Indivisible"]),
    ("updated_since={soon_unix}", ["Worcester Indivisible"]),
    ("updated_since={later}", []),
    ("updated_since={soon}&district=ma-3", []),
    ("updated_since={past}&district=ma-1&per_page=1", ["Merrimack Berkshire Bridge"]),
]


@pytest.mark.parametrize(("query", "expected"), GROUP_FILTERS)
def test_the_groups_filters_narrow_the_list_as_the_table_says(client, directory, query, expected):
    now = timezone.now()
    moments = {"past": now - timedelta(hours=1), "soon": now + timedelta(minutes=30), "later": now + timedelta(hours=2)}
    values = {name: moment.isoformat() for name, moment in moments.items()}
    values["soon_unix"] = str(int(moments["soon"].timestamp()))
    response = client.get("/api/v1/groups/?" + query.format(**values).replace("+", "%2B"))
    assert response.status_code == 200, response.content
    assert [item["name"] for item in response.json()["data"]] == expected


@pytest.mark.parametrize("query", ["district=ma-0", "district=lowell", "updated_since=tomorrow", "per_page=101",
                                   "cursor=WyJ4Il0"])  # fmt: skip
def test_a_bad_group_filter_is_a_400(client, directory, query):
    response = client.get(f"/api/v1/groups/?{query}")
    assert response.status_code == 400 and response.json()["data"] is None


def test_groups_lists_only_listed_groups(client):
    factories.group("Open Group", status=GroupStatus.APPROVED)
    factories.group("Waiting Group", status=GroupStatus.PENDING)
    factories.group("Refused Group", status=GroupStatus.REJECTED)
    factories.group("Closed Group", status=GroupStatus.ARCHIVED)
    names = [item["name"] for item in client.get("/api/v1/groups/").json()["data"]]
    assert names == ["Open Group"]
    item = client.get("/api/v1/groups/?district=ma-3").json()["data"][0]
    assert item["district"]["slug"] == "ma-3" and item["towns"] == ["Lowell"]
    assert client.get("/api/v1/groups/?district=ma-1").json()["data"] == []


def test_districts_show_towns_and_the_current_board_seats_with_public_names_and_terms(client, rep_ma3, settings):
    ma3 = District.objects.get(slug="ma-3")
    BoardSeat.objects.create(district=ma3, display_name="Old Rep", term_start="2020-01-01", term_end="2021-01-01")
    data = client.get("/api/v1/districts/").json()["data"]
    assert [d["slug"] for d in data] == [f"ma-{n}" for n in range(1, 10)]
    district = data[2]
    assert district["code"] == "MA-3" and district["browser_url"] == f"{settings.SITE_URL}/districts/ma-3/"
    assert {"name": "Lowell", "slug": "lowell", "partly": False} in district["towns"]
    seat = BoardSeat.objects.get(user=rep_ma3)
    assert district["board"] == [
        {"name": seat.display_name, "role": BoardRole.REPRESENTATIVE.value, "term_start": "2025-01-01",
         "term_end": None, "bio": ""}
    ]  # fmt: skip


def test_teams_are_listed(client, settings):
    Team.objects.create(name="Voter Outreach", slug="voter-outreach", description="Doors.", how_to_help="Knock.")
    assert client.get("/api/v1/teams/").json()["data"] == [
        {"name": "Voter Outreach", "slug": "voter-outreach", "description": "Doors.", "how_to_help": "Knock.",
         "browser_url": f"{settings.SITE_URL}/teams/voter-outreach/"}
    ]  # fmt: skip


# --- conditional GET ----------------------------------------------------------------------------


ENDPOINTS = ["/api/v1/events/", "/api/v1/groups/", "/api/v1/districts/", "/api/v1/teams/", "/api/v1/schema/"]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_conditional_request_for_an_unchanged_answer_is_a_304(client, calendar, url):
    first = client.get(url)
    assert first.status_code == 200 and first["ETag"] and first["Last-Modified"]
    again = get(client, url, if_none_match=first["ETag"])
    assert again.status_code == 304 and not again.content and again["ETag"] == first["ETag"]
    assert get(client, url, if_modified_since=first["Last-Modified"]).status_code == 304
    assert get(client, url, if_none_match='"something-else"').status_code == 200


def test_a_change_to_the_data_changes_the_etag_and_the_last_modified(client, calendar):
    first = client.get("/api/v1/events/")
    # Bulk updates, as a service makes them: it announces them to the public pages' cache.
    Event.objects.filter(pk=calendar["pittsfield"].pk).update(title="Pittsfield picnic")
    pagecache.invalidate()
    assert get(client, "/api/v1/events/", if_none_match=first["ETag"]).status_code == 200
    # A removal: nothing newer to point at in the answer, and yet the copy a client holds is stale.
    Event.objects.filter(pk=calendar["worcester"].pk).update(status=EventStatus.DRAFT)
    pagecache.invalidate()
    later = http_date(timezone.now().timestamp() - 1)
    assert get(client, "/api/v1/events/", if_modified_since=first["Last-Modified"]).status_code == 200
    assert get(client, "/api/v1/events/", if_modified_since=later).status_code in (200, 304)


@pytest.mark.parametrize("url", ["/api/v1/events/?zip=01852&max_dist=25", "/api/v1/groups/", "/api/v1/districts/",
                                 "/api/v1/districts/ma-3/", "/api/v1/teams/"])  # fmt: skip
def test_an_unchanged_answer_is_a_304_without_a_single_query(client, calendar, url):
    first = client.get(url)
    with CaptureQueriesContext(connection) as queries:
        again = get(client, url, if_none_match=first["ETag"])
    assert again.status_code == 304 and again["ETag"] == first["ETag"]
    assert again["Last-Modified"] == first["Last-Modified"]
    assert len(queries) == 0, [q["sql"] for q in queries]
    with CaptureQueriesContext(connection) as queries:
        assert get(client, url, if_modified_since=first["Last-Modified"]).status_code == 304
    assert len(queries) == 0


def test_any_saved_row_of_a_public_model_makes_the_next_conditional_request_check_again(client, calendar):
    first = client.get("/api/v1/events/")
    unrelated = factories.group("Somewhere Else", ("Pittsfield",))  # a write, not in the answer
    assert get(client, "/api/v1/events/", if_none_match=first["ETag"]).status_code == 304  # made again: same
    event = Event.objects.get(pk=calendar["lowell"].pk)
    event.title = "Lowell march"
    event.save()
    assert get(client, "/api/v1/events/", if_none_match=first["ETag"]).status_code == 200
    lowell = calendar["lowell"].host_group
    second = client.get("/api/v1/events/")
    lowell.name = "Greater Lowell Indivisible"
    lowell.save()  # the host, shown in the answer
    assert get(client, "/api/v1/events/", if_none_match=second["ETag"]).status_code == 200
    third = client.get("/api/v1/events/")
    calendar["pittsfield"].co_hosts.add(unrelated)  # a co-host: a many-to-many change
    assert get(client, "/api/v1/events/", if_none_match=third["ETag"]).status_code == 200


def test_a_stored_validator_is_trusted_only_until_the_first_listed_event_ends(client, calendar, monkeypatch):
    from api import conditional

    url = "/api/v1/events/?type=rally"
    first = client.get(url)
    ends = Event.objects.get(pk=calendar["lowell"].pk).ends_at.timestamp()
    real_time = conditional.time.time
    monkeypatch.setattr(conditional.time, "time", lambda: ends + 1)
    # Nothing was written, yet the rally is over: the answer is made again (and is empty now).
    with CaptureQueriesContext(connection) as queries:
        response = get(client, url, if_none_match=first["ETag"])
    assert len(queries) > 0
    monkeypatch.setattr(conditional.time, "time", real_time)
    assert response.status_code in (200, 304)


def test_without_a_write_the_validator_expires_after_trusted_seconds(client, calendar, monkeypatch):
    from api import conditional

    first = client.get("/api/v1/teams/")
    monkeypatch.setattr(conditional, "TRUSTED_SECONDS", 0)
    second = client.get("/api/v1/teams/")
    with CaptureQueriesContext(connection) as queries:
        assert get(client, "/api/v1/teams/", if_none_match=second["ETag"]).status_code == 304
    assert len(queries) > 0 and second["ETag"] == first["ETag"]


# --- throttle -----------------------------------------------------------------------------------


def test_the_api_is_throttled_per_client_address(client, settings):
    settings.API_THROTTLE_RATE = "3/min"
    settings.TRUSTED_PROXY_COUNT = 1
    one = {"HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    two = {"HTTP_X_FORWARDED_FOR": "203.0.113.8"}
    assert [client.get("/api/v1/teams/", **one).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/v1/districts/", **one)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    # Another address has its own count; a visitor cannot choose theirs (one proxy: the last entry).
    assert client.get("/api/v1/teams/", **two).status_code == 200
    assert client.get("/api/v1/teams/", HTTP_X_FORWARDED_FOR="203.0.113.9, 203.0.113.7").status_code == 429


# --- CORS ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [*ENDPOINTS, "/api/"])
def test_the_api_answers_other_origins_on_get_and_on_a_preflight(client, url):
    origin = {"HTTP_ORIGIN": "https://partner.example"}
    response = client.get(url, **origin)
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response["Access-Control-Expose-Headers"]
    preflight = client.options(url, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET", **origin)
    assert preflight.status_code == 200 and preflight["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight["Access-Control-Allow-Methods"]
    assert "POST" not in preflight["Access-Control-Allow-Methods"]


@pytest.mark.parametrize("url", ["/", "/events/", "/groups/", "/healthz", "/apiary/"])
def test_no_other_page_is_open_to_other_origins(client, url):
    origin = {"HTTP_ORIGIN": "https://partner.example"}
    assert "Access-Control-Allow-Origin" not in client.get(url, **origin)
    preflight = client.options(url, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET", **origin)
    assert "Access-Control-Allow-Origin" not in preflight


@pytest.mark.parametrize("url", ENDPOINTS)
def test_the_api_is_read_only(client, url):
    assert client.post(url, {}).status_code == 405
    assert client.delete(url).status_code == 405
    # A cross-site POST is refused before the view, as on every page that is not CSRF-exempt.
    assert Client(enforce_csrf_checks=True).post(url, {}, HTTP_ORIGIN="https://evil.example").status_code == 403


# --- schema and documentation -------------------------------------------------------------------


def test_the_openapi_schema_is_valid_and_describes_every_endpoint_and_filter(client):
    import yaml
    from drf_spectacular.validation import validate_schema

    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    validate_schema(schema)
    assert set(schema["paths"]) == {"/api/v1/events/", "/api/v1/groups/", "/api/v1/districts/", "/api/v1/teams/",
                                    "/api/v1/events/{event_id}/", "/api/v1/groups/{slug}/",
                                    "/api/v1/districts/{slug}/", "/api/v1/teams/{slug}/"}  # fmt: skip
    params = {p["name"] for p in schema["paths"]["/api/v1/events/"]["get"]["parameters"]}
    assert params >= {"updated_since", "starts_after", "starts_before", "zip", "max_dist", "district", "group",
                      "type", "accessibility", "cursor", "per_page"}  # fmt: skip
    as_json = client.get("/api/v1/schema/?format=json").json()
    assert as_json["info"]["version"] == "1"


def test_the_schema_generates_without_a_warning():
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def test_the_documentation_page_shows_examples(client, settings):
    response = client.get("/api/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert f"{settings.SITE_URL}/api/v1/events/?zip=01852&amp;max_dist=25" in page
    assert "/api/v1/schema/" in page and "If-None-Match" in page


def test_the_api_root_names_the_endpoints(client, settings):
    body = client.get("/api/v1/").json()
    assert body["events"] == f"{settings.SITE_URL}/api/v1/events/"
    assert body["schema"] == f"{settings.SITE_URL}/api/v1/schema/"


def test_descriptions_come_as_written_and_as_sanitised_html_with_absolute_links(client, settings):
    text = "Meet **here**. [Directions](/about/)\n\n<script>alert(1)</script>"
    make_event(title="Markdown event", description=text)
    quick_group("Markdown Group", "Lowell").__class__.objects.filter(slug="markdown-group").update(description=text)
    for url in ("/api/v1/events/", "/api/v1/groups/"):
        item = client.get(url).json()["data"][0]
        assert item["description"] == text
        html = item["description_html"]
        assert "<strong>here</strong>" in html and f'href="{settings.SITE_URL}/about/"' in html
        assert "<script" not in html
