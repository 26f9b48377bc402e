"""What an event's page and a group's page tell the sites they are shared on: Open Graph tags and
schema.org JSON-LD, parsed back from the page; and the filtered list's "Subscribe" feed, which
carries exactly the events that list shows."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest
from django.test import Client
from icalendar import Calendar

from events import services
from events.models import Accessibility, EventStatus, EventType
from events.reminders import MA_TZ
from tests.events.conftest import make_event, make_group

pytestmark = pytest.mark.django_db

JSONLD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _jsonld(html: str) -> dict:
    (body,) = JSONLD.findall(html)
    return json.loads(body)


def _og(html: str) -> dict[str, str]:
    return dict(re.findall(r'<meta property="og:([\w:]+)" content="([^"]*)">', html))


def test_an_events_page_carries_a_schema_org_event_with_its_place_times_and_organizer(client, lowell_group, settings):
    start = datetime(2031, 7, 4, 10, 0, tzinfo=MA_TZ)
    event = make_event(
        host_group=lowell_group, title="Rally at City Hall", start=start, venue="City Hall", address="375 Merrimack St",
        description="Bring **signs** and water.", event_type=EventType.RALLY,
    )  # fmt: skip
    data = _jsonld(_page(client, f"/events/{event.slug}/"))
    url = f"{settings.SITE_URL}/events/{event.slug}/"
    assert data["@context"] == "https://schema.org" and data["@type"] == "Event"
    assert data["name"] == "Rally at City Hall"
    assert data["url"] == url
    assert data["description"] == "Bring signs and water."
    assert data["startDate"] == "2031-07-04T10:00:00-04:00"  # Massachusetts time, with its offset
    assert data["endDate"] == "2031-07-04T12:00:00-04:00"
    assert data["eventStatus"] == "https://schema.org/EventScheduled"
    assert data["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
    assert data["location"] == {
        "@type": "Place",
        "name": "City Hall",
        "address": {
            "@type": "PostalAddress", "streetAddress": "375 Merrimack St", "addressLocality": "Lowell",
            "addressRegion": "MA", "addressCountry": "US",
        },
    }  # fmt: skip
    assert data["organizer"] == {
        "@type": "Organization",
        "name": "Lowell Indivisible",
        "url": f"{settings.SITE_URL}/groups/{lowell_group.slug}/",
    }
    assert data["image"] == [f"{settings.SITE_URL}/static/img/social-card.png"]


def test_a_winter_event_has_the_winter_offset(client):
    event = make_event(start=datetime(2031, 1, 15, 18, 30, tzinfo=MA_TZ))
    data = _jsonld(_page(client, f"/events/{event.slug}/"))
    assert data["startDate"] == "2031-01-15T18:30:00-05:00"


def test_an_online_event_is_a_virtual_location_at_its_page_never_its_join_link(client, settings):
    event = make_event(town=None, is_online=True, join_url="https://meet.example.org/secret-room")
    html = _page(client, f"/events/{event.slug}/")
    data = _jsonld(html)
    assert data["eventAttendanceMode"] == "https://schema.org/OnlineEventAttendanceMode"
    assert data["location"] == {"@type": "VirtualLocation", "url": f"{settings.SITE_URL}/events/{event.slug}/"}
    assert "secret-room" not in html
    assert data["organizer"] == {
        "@type": "Organization", "name": "Indivisible Mass Coalition", "url": f"{settings.SITE_URL}/",
    }  # fmt: skip


def test_an_event_in_a_town_and_online_is_mixed_with_both_locations(client):
    event = make_event(is_online=True, join_url="https://meet.example.org/secret-room")
    data = _jsonld(_page(client, f"/events/{event.slug}/"))
    assert data["eventAttendanceMode"] == "https://schema.org/MixedEventAttendanceMode"
    assert [place["@type"] for place in data["location"]] == ["Place", "VirtualLocation"]
    assert "streetAddress" not in data["location"][0]["address"]  # none given: the town alone


def test_a_cancelled_event_says_so(client, coordinator):
    event = make_event()
    services.event_cancel(event=event, by=coordinator)
    data = _jsonld(_page(client, f"/events/{event.slug}/"))
    assert data["eventStatus"] == "https://schema.org/EventCancelled"


def test_the_location_shows_the_town_alone_when_the_street_is_not_public(client):
    event = make_event(venue="Pat's house", address="12 Hidden Lane", address_is_private=True)
    page = _page(client, f"/events/{event.slug}/")
    assert "Hidden Lane" not in page and "Pat&#x27;s house" not in page and "Pat's house" not in page
    place = _jsonld(_page(client, f"/events/{event.slug}/"))["location"]
    assert place == {
        "@type": "Place",
        "name": "Lowell",
        "address": {
            "@type": "PostalAddress",
            "addressLocality": "Lowell",
            "addressRegion": "MA",
            "addressCountry": "US",
        },
    }


def test_an_events_page_has_open_graph_tags_with_absolute_addresses(client, settings):
    event = make_event(title="Phone bank for the Senate", description="Call voters with us.")
    og = _og(_page(client, f"/events/{event.slug}/"))
    assert og["title"] == "Phone bank for the Senate"
    assert og["description"] == "Call voters with us."
    assert og["url"] == f"{settings.SITE_URL}/events/{event.slug}/"
    assert og["image"] == f"{settings.SITE_URL}/static/img/social-card.png"
    assert og["type"] == "website"


def test_a_title_that_closes_the_script_cannot_break_out_of_the_json(client):
    title = '</script><script>alert("x")</script><!--'
    event = make_event(title=title, description="Type `</SCRIPT>` & go")
    html = _page(client, f"/events/{event.slug}/")
    assert '<script>alert("x")' not in html
    data = _jsonld(html)  # exactly one JSON-LD element, and it parses
    assert data["name"] == title
    assert data["description"] == "Type </SCRIPT> & go"
    script = JSONLD.search(html).group(1)
    assert "<" not in script and ">" not in script


def test_a_listed_groups_page_carries_a_schema_org_organization(client, lowell_group, settings):
    lowell_group.website = "https://lowellindivisible.example.org/"
    lowell_group.save()
    data = _jsonld(_page(client, f"/groups/{lowell_group.slug}/"))
    assert data["@type"] == "Organization"
    assert data["name"] == "Lowell Indivisible"
    assert data["url"] == f"{settings.SITE_URL}/groups/{lowell_group.slug}/"
    assert [town["name"] for town in data["areaServed"]] == ["Lowell", "Chelmsford"]
    assert data["sameAs"] == ["https://lowellindivisible.example.org/"]


def test_a_group_without_a_website_has_no_same_as(client):
    group = make_group("Indivisible Worcester", "Worcester")
    assert "sameAs" not in _jsonld(_page(client, f"/groups/{group.slug}/"))


# --- "Subscribe" on a filtered list ----------------------------------------------------------


@pytest.fixture
def calendar(lowell_group):
    return {
        "lowell_rally": make_event(
            host_group=lowell_group, title="Lowell rally", event_type=EventType.RALLY,
            accessibility=[Accessibility.WHEELCHAIR],
        ),
        "lowell_canvass": make_event(host_group=lowell_group, title="Lowell canvass", event_type=EventType.CANVASS),
        "worcester": make_event(town="Worcester", title="Worcester canvass", event_type=EventType.CANVASS),
        "pittsfield": make_event(town="Pittsfield", title="Pittsfield social"),
        "draft": make_event(title="Draft plan", status=EventStatus.DRAFT),
    }  # fmt: skip


def _feed_uids(response) -> set[str]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return {str(v["UID"]) for v in Calendar.from_ical(response.content).walk("VEVENT")}


@pytest.mark.parametrize(
    "query",
    [
        "zip=01852&distance=5",
        "zip=01852&distance=50",
        "district=ma-1",
        "type=canvass",
        "access=wheelchair",
        "type=canvass&zip=01852&distance=10",
        "town=Worcester&distance=5",
        "online=on",
    ],
)
def test_the_feed_of_a_filtered_list_holds_exactly_the_lists_events(client, calendar, settings, query):
    response = client.get(f"/events/?{query}")
    listed = {event.uid for event in response.context["events"]}
    assert response.context["feed"]["url"] == f"{settings.SITE_URL}/events/calendar.ics?{query}"
    html = response.content.decode()
    assert f'href="{response.context["feed"]["url"].replace("&", "&amp;")}"' in html
    assert _feed_uids(client.get(f"/events/calendar.ics?{query}")) == listed


def test_the_filters_narrow_the_feed(client, calendar):
    uids = _feed_uids(client.get("/events/calendar.ics?type=canvass"))
    assert uids == {calendar["lowell_canvass"].uid, calendar["worcester"].uid}


def test_the_list_offers_a_webcal_subscription(client, calendar, settings):
    html = _page(client, "/events/?type=rally")
    host = settings.SITE_URL.split("://", 1)[1]
    assert f'href="webcal://{host}/events/calendar.ics?type=rally"' in html
    assert "Subscribe to these events" in html


def test_a_feed_with_filters_it_cannot_use_says_so(client, calendar):
    response = client.get("/events/calendar.ics?zip=99999&type=nonsense")
    assert response.status_code == 400
    assert "could not be used" in response.content.decode()
    assert "subscribe-feed" not in _page_or_error(client, "/events/?zip=99999")


def _page_or_error(client: Client, url: str) -> str:
    return client.get(url).content.decode()


def test_the_unfiltered_feed_stays_the_whole_calendar(client, calendar, coordinator):
    services.event_cancel(event=calendar["pittsfield"], by=coordinator)
    uids = _feed_uids(client.get("/events/calendar.ics"))
    assert calendar["pittsfield"].uid in uids  # the whole calendar keeps a cancelled event, marked so
    assert calendar["draft"].uid not in uids


def test_a_filtered_feed_costs_the_same_queries_however_many_events(client, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = "/events/calendar.ics?zip=01852&distance=25&type=canvass"
    make_event(title="Canvass 0", event_type=EventType.CANVASS)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for n in range(1, 12):
        make_event(title=f"Canvass {n}", event_type=EventType.CANVASS, town="Chelmsford")
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(_feed_uids(client.get(url))) == 12
