"""Calendar feeds parsed back with the icalendar package: valid, stable UID, rising SEQUENCE."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from events import services
from events.models import EventStatus, MemberCalendar
from tests.events.conftest import make_event

pytestmark = pytest.mark.django_db


def _vevents(response) -> dict[str, object]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["VERSION"]) == "2.0" and calendar["PRODID"]
    return {str(v["UID"]): v for v in calendar.walk("VEVENT")}


def test_an_events_ics_keeps_its_uid_and_raises_its_sequence_across_an_edit(client, coordinator):
    event = make_event(title="Rally at City Hall")
    before = _vevents(client.get(f"/events/{event.slug}/event.ics"))[event.uid]
    assert str(before["SUMMARY"]) == "Rally at City Hall"
    assert before["DTSTART"].dt == event.starts_at
    later = event.starts_at + timedelta(hours=1)
    services.event_update(event=event, by=coordinator, starts_at=later, ends_at=later + timedelta(hours=2))
    after = _vevents(client.get(f"/events/{event.slug}/event.ics"))
    assert list(after) == [event.uid]
    assert int(after[event.uid]["SEQUENCE"]) > int(before["SEQUENCE"])
    assert after[event.uid]["DTSTART"].dt == later


def test_the_whole_calendar_lists_published_and_cancelled_events_but_no_drafts(client, coordinator):
    published = make_event(title="Published")
    cancelled = make_event(title="Cancelled")
    services.event_cancel(event=cancelled, by=coordinator)
    draft = make_event(title="Draft", status=EventStatus.DRAFT)
    entries = _vevents(client.get("/events/calendar.ics"))
    assert set(entries) == {published.uid, cancelled.uid}
    assert str(entries[cancelled.uid]["STATUS"]) == "CANCELLED"
    assert draft.uid not in entries


def test_group_and_district_feeds_carry_their_own_events(client, lowell_group, worcester_group):
    hosted = make_event(host_group=lowell_group)
    cohosted = make_event(host_group=worcester_group, town="Worcester")
    cohosted.co_hosts.add(lowell_group)
    elsewhere = make_event(host_group=worcester_group, town="Worcester")
    assert set(_vevents(client.get(f"/groups/{lowell_group.slug}/calendar.ics"))) == {hosted.uid, cohosted.uid}
    district = worcester_group.district.slug
    assert set(_vevents(client.get(f"/districts/{district}/calendar.ics"))) == {cohosted.uid, elsewhere.uid}


def test_the_private_feed_shows_my_events_with_join_links_and_only_to_its_token(client, members):
    online = make_event(is_online=True, town=None, join_url="https://meet.example/secret")
    other = make_event()
    services.rsvp_create(event=online, user=members[0])
    services.rsvp_create(event=other, user=members[1])
    token = services.member_calendar_ensure(user=members[0]).token
    entries = _vevents(client.get(f"/events/feed/{token}.ics"))
    assert list(entries) == [online.uid]
    assert "https://meet.example/secret" in str(entries[online.uid]["DESCRIPTION"])
    assert client.get("/events/feed/not-the-token.ics").status_code == 404


def test_resetting_the_private_feed_retires_the_old_address(client, members):
    old = services.member_calendar_ensure(user=members[0]).token
    client.force_login(members[0])
    client.post("/events/feed/reset/")
    assert client.get(f"/events/feed/{old}.ics").status_code == 404
    assert client.get(f"/events/feed/{MemberCalendar.objects.get(user=members[0]).token}.ics").status_code == 200


def test_the_public_ics_never_carries_the_join_link(client):
    event = make_event(is_online=True, town=None, join_url="https://meet.example/secret", title="Online phone bank")
    single, calendar = client.get(f"/events/{event.slug}/event.ics").content, client.get("/events/calendar.ics").content
    assert b"Online phone bank" in single and b"Online phone bank" in calendar  # control: the event is in both
    assert b"meet.example" not in single
    assert b"meet.example" not in calendar


def test_google_and_outlook_links_carry_the_time_in_utc_and_local(client):
    start = timezone.now().replace(microsecond=0) + timedelta(days=2)
    event = make_event(start=start, title="Phone bank")
    page = client.get(event.get_absolute_url()).content.decode()
    assert "calendar.google.com/calendar/render?action=TEMPLATE&amp;text=Phone+bank" in page
    assert f"{start.astimezone(UTC):%Y%m%dT%H%M%SZ}" in page
    assert "outlook.live.com/calendar/0/deeplink/compose" in page
