"""An event in a town split between districts shows on every one of its districts' pages."""

from __future__ import annotations

import pytest
from icalendar import Calendar

from districts.models import District
from events import selectors
from events.selectors import EventFilters
from tests.events.conftest import make_event, make_group

pytestmark = pytest.mark.django_db


def test_a_boston_event_is_listed_in_ma_7_and_ma_8_and_nowhere_else(client):
    boston = make_event(town="Boston", title="Boston town hall")  # filed under MA-7, its primary
    lowell = make_event(town="Lowell", title="Lowell teach-in")  # MA-3 only
    ma7, ma8, ma3 = (District.objects.get(slug=s) for s in ("ma-7", "ma-8", "ma-3"))
    assert boston.district == ma7
    for district, expected in ((ma7, {boston}), (ma8, {boston}), (ma3, {lowell})):
        assert set(selectors.event_search(EventFilters(district=district))) == expected
        assert set(selectors.events_of_district(district)) == expected
    # Through the pages: the listing filter, the district page's panel, the district feed.
    assert "Boston town hall" in client.get("/events/?district=ma-8").content.decode()
    assert "Boston town hall" in client.get("/districts/ma-8/").content.decode()
    assert "Boston town hall" not in client.get("/districts/ma-3/").content.decode()
    feed = Calendar.from_ical(client.get("/districts/ma-8/calendar.ics").content)
    assert [str(e["SUMMARY"]) for e in feed.walk("VEVENT")] == ["Boston town hall"]


def test_an_event_without_a_town_follows_its_host_groups_district(organizer):
    group = make_group("Lowell Indivisible", "Lowell", organizer)
    online = make_event(town=None, host_group=group, title="Online call")
    ma3, ma7 = District.objects.get(slug="ma-3"), District.objects.get(slug="ma-7")
    assert list(selectors.event_search(EventFilters(district=ma3))) == [online]
    assert list(selectors.event_search(EventFilters(district=ma7))) == []
