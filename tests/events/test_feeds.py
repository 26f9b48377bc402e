"""Calendar feeds parsed back with the icalendar package (valid, stable UID, rising SEQUENCE), and
every kind of calendar the portal writes (feeds, one event, the mails' attachments) read by vobject,
a parser other than the writer: times in UTC, TEXT values escaped."""

from __future__ import annotations

import re
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
import vobject
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from events import services
from events.models import EventStatus, MemberCalendar
from events.reminders import reminders_tick
from groups.models import Group
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


# --- Every calendar the portal writes, read by a parser other than the writer's (vobject) -----------

TRICKY = 'Rally, march; then\\ "talk"'
TRICKY_PLACE = "City Hall; Room 2, floor 3 \\ back door"
TRICKY_TEXT = "Bring signs; water, snacks.\nC:\\path is not a path\n\nSee you"


def _unfolded(ics: str) -> list[str]:
    return ics.replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")


def _assert_times_are_utc_or_zoned(ics: str) -> None:
    """RFC 5545 §3.2.19: a TZID must name a VTIMEZONE of the same calendar; otherwise write UTC."""
    lines = _unfolded(ics)
    zones = {line.split(":", 1)[1] for line in lines if line.startswith("TZID:")}
    times = [line for line in lines if re.match(r"(DTSTART|DTEND|DTSTAMP|LAST-MODIFIED)[;:]", line)]
    assert any(line.startswith("DTSTART") for line in times), "control: the calendar has events"
    for line in times:
        name, _, value = line.partition(":")
        tzid = re.search(r";TZID=([^;:]+)", name)
        if tzid:
            assert tzid.group(1) in zones, f"{line!r}: no VTIMEZONE {tzid.group(1)}"
        else:
            assert value.endswith("Z"), f"{line!r}: a floating time"


def _read(ics: bytes | str) -> vobject.base.Component:
    text = ics.decode() if isinstance(ics, bytes) else ics
    _assert_times_are_utc_or_zoned(text)
    calendar = vobject.readOne(text, validate=True)
    assert calendar.version.value == "2.0" and calendar.prodid.value
    for entry in calendar.vevent_list:
        assert entry.dtstart.value.utcoffset() is not None and entry.dtend.value > entry.dtstart.value
    return calendar


def _events_by_uid(calendar) -> dict[str, object]:
    return {entry.uid.value: entry for entry in calendar.vevent_list}


@pytest.fixture
def tricky_event(lowell_group, members):
    Group.objects.filter(pk=lowell_group.pk).update(name=TRICKY)
    event = make_event(host_group=lowell_group, title=TRICKY, venue=TRICKY_PLACE, description=TRICKY_TEXT)
    services.rsvp_create(event=event, user=members[0])
    return event


def _attachment(message) -> str:
    ((_filename, content, mimetype),) = message.attachments
    assert mimetype == "text/calendar"
    return content


def test_every_public_and_private_calendar_parses_with_utc_times_and_escaped_text(client, tricky_event, members):
    event, group = tricky_event, tricky_event.host_group
    token = services.member_calendar_ensure(user=members[0]).token
    calendars = {
        "event": f"/events/{event.slug}/event.ics",
        "all": "/events/calendar.ics",
        "group": f"/groups/{group.slug}/calendar.ics",
        "district": f"/districts/{event.district.slug}/calendar.ics",
        "private": f"/events/feed/{token}.ics",
    }
    for kind, path in calendars.items():
        response = client.get(path)
        assert response.status_code == 200, kind
        calendar = _read(response.content)
        entry = _events_by_uid(calendar)[event.uid]
        assert entry.summary.value == TRICKY, kind
        assert TRICKY_PLACE in entry.location.value, kind
        assert entry.description.value.endswith(TRICKY_TEXT), kind
        assert entry.dtstart.value == event.starts_at and entry.dtend.value == event.ends_at, kind
    group_calendar = _read(client.get(calendars["group"]).content)
    assert group_calendar.x_wr_calname.value == f"{TRICKY} events"  # commas, semicolons, backslash kept
    assert _read(client.get(calendars["event"]).content).x_wr_calname.value == TRICKY


def test_the_change_cancel_and_reminder_mails_carry_calendars_in_utc(
    tricky_event, coordinator, members, django_capture_on_commit_callbacks
):
    event = tricky_event
    mail.outbox.clear()
    # A form hands the service Massachusetts time: the change mail's calendar must still say UTC.
    later = (event.starts_at + timedelta(days=1)).astimezone(ZoneInfo("America/New_York"))
    with django_capture_on_commit_callbacks(execute=True):
        services.event_update(event=event, by=coordinator, starts_at=later, ends_at=later + timedelta(hours=2))
    changed = _read(_attachment(mail.outbox[-1]))
    entry = _events_by_uid(changed)[event.uid]
    assert entry.dtstart.value == later and entry.summary.value == TRICKY

    with time_machine.travel(later - timedelta(hours=1), tick=False), django_capture_on_commit_callbacks(execute=True):
        assert reminders_tick() >= 1
    reminder = _read(_attachment(mail.outbox[-1]))
    assert _events_by_uid(reminder)[event.uid].dtstart.value == later

    event.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.event_cancel(event=event, by=coordinator)
    cancelled = _events_by_uid(_read(_attachment(mail.outbox[-1])))[event.uid]
    assert cancelled.status.value == "CANCELLED"
