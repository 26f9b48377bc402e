"""A private address (issue 12): a house meeting shows the town to the public and its venue and
street to the people with a confirmed seat and to its organizers.

Every public response is searched for the street and the venue (the event page, its .ics, the
public calendars, the listing, the home and district pages, the API, the embeds, the
newsletter's events block); controls prove each response is about the event. Then the going
RSVPs (a member's and a guest's) find the address in their confirmation mail and its .ics, their
reminder, the member's private feed and the event page; a waitlisted one does not, until a seat
is theirs.
"""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from events import policy, services
from events.models import Reminder, Rsvp, RsvpStatus
from events.reminders import reminder_email_write
from newsletter.selectors import upcoming_events
from outbox.models import OutboundEmail
from tests.events.conftest import make_event

pytestmark = pytest.mark.django_db

STREET = "88 Larkspur Lane"
VENUE = "The Wexfords' living room"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # the guest rate limits and the page cache
    yield
    cache.clear()


def _unfolded(text: str) -> str:
    """iCalendar folds long lines and escapes commas: read it as one plain text."""
    return text.replace("\r\n ", "").replace("\\,", ",")


def _secret_in(text: str) -> bool:
    text = _unfolded(text)
    return STREET in text or "Wexford" in text


@pytest.fixture
def house_meeting(lowell_group, members, django_capture_on_commit_callbacks):
    """Two seats: Bob (member) and Gina (guest, confirmed) are going; Carol waits."""
    event = make_event(
        host_group=lowell_group, capacity=2, title="House meeting", venue=VENUE, address=STREET, address_is_private=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        bob = services.rsvp_create(event=event, user=members[0])
        services.guest_rsvp_request(event=event, name="Gina Guest", email="gina@example.net")
        gina = services.guest_rsvp_confirm(rsvp=Rsvp.objects.get(guest_email="gina@example.net"))
        carol = services.rsvp_create(event=event, user=members[1])
    assert (bob.status, gina.status, carol.status) == (RsvpStatus.GOING, RsvpStatus.GOING, RsvpStatus.WAITLISTED)
    return event, bob, gina, carol


def _public_urls(event) -> list[str]:
    group, district = event.host_group.slug, event.district.slug
    return [
        event.get_absolute_url(),
        reverse("events:ics", args=[event.slug]),
        reverse("events:calendar_ics"),
        reverse("group_calendar_ics", args=[group]),
        reverse("district_calendar_ics", args=[district]),
        reverse("events:list"),
        reverse("events:guest_rsvp", args=[event.slug]),
        "/",
        f"/districts/{district}/",
        f"/groups/{group}/",
        "/api/v1/events/",
        f"/api/v1/events/?group={group}",
        "/embed/events/",
        f"/embed/groups/{group}/events/",
        f"/embed/districts/{district}/events/",
    ]


def test_no_public_response_shows_a_private_address(house_meeting):
    event, *_ = house_meeting
    visitor = Client()
    seen = 0
    for url in _public_urls(event):
        response = visitor.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert "House meeting" in body and "Lowell" in body, f"{url} does not show the event"  # the control
        assert not _secret_in(body), f"{url} shows the private address"
        seen += 1
    assert seen == len(_public_urls(event))
    [item] = [i for i in upcoming_events(event.district_id) if i.title == "House meeting"]
    assert item.place == "Lowell, MA"


def test_the_api_gives_the_town_and_blanks_the_venue_and_the_street(house_meeting):
    event, *_ = house_meeting
    [found] = [e for e in Client().get("/api/v1/events/").json()["data"] if e["slug"] == event.slug]
    assert found["location"]["venue"] == ""
    assert found["location"]["address_lines"] == ["", ""]
    assert found["location"]["locality"] == "Lowell"


@pytest.mark.parametrize("who", ["waitlisted", "member", "other_organizer"])
def test_people_without_a_seat_see_the_town_only(client, who, house_meeting, members, other_organizer):
    event, bob, gina, carol = house_meeting
    client.force_login({"waitlisted": members[1], "member": members[2], "other_organizer": other_organizer}[who])
    for url in (event.get_absolute_url(), reverse("events:ics", args=[event.slug])):
        body = client.get(url).content.decode()
        assert "Lowell" in body and not _secret_in(body), url
    assert "sent to the people with a confirmed seat" in client.get(event.get_absolute_url()).content.decode()


@pytest.mark.parametrize("who", ["going", "organizer"])
def test_the_going_and_the_organizers_see_the_address_on_the_page_and_in_the_ics(
    client, who, house_meeting, members, organizer
):
    event, *_ = house_meeting
    client.force_login(members[0] if who == "going" else organizer)
    assert STREET in client.get(event.get_absolute_url()).content.decode()
    assert STREET in _unfolded(client.get(reverse("events:ics", args=[event.slug])).content.decode())


def _mail_text(mail: OutboundEmail) -> str:
    return _unfolded(
        mail.body_text + (mail.body_html or "") + json.dumps(mail.attachments or []).replace("\\r\\n ", "")
    )


def test_the_confirmation_of_a_seat_carries_the_address_and_a_waitlist_place_does_not(house_meeting, members):
    event, bob, gina, carol = house_meeting
    mails = {m.to: m for m in OutboundEmail.objects.filter(kind="events.rsvp_confirmation")}
    assert STREET in _mail_text(mails[members[0].email]) and VENUE in _mail_text(mails[members[0].email])
    assert STREET in _mail_text(mails["gina@example.net"])
    assert "Lowell" in mails[members[1].email].body_text and not _secret_in(_mail_text(mails[members[1].email]))
    # The guest's own confirmation link, sent before the seat was theirs, has the town only.
    assert not _secret_in(_mail_text(OutboundEmail.objects.get(kind="events.guest_confirm")))


def test_reminders_carry_the_address(house_meeting):
    event, bob, gina, carol = house_meeting
    for rsvp in (bob, gina):
        reminder = Reminder.objects.filter(rsvp=rsvp).first()
        assert reminder is not None
        assert STREET in _mail_text(reminder_email_write(reminder=reminder))
    assert not Reminder.objects.filter(rsvp=carol).exists()


def test_the_private_feed_of_a_going_member_carries_the_address_and_a_waitlisted_ones_does_not(
    client, house_meeting, members
):
    event, *_ = house_meeting
    bobs = services.member_calendar_ensure(user=members[0])
    carols = services.member_calendar_ensure(user=members[1])
    assert STREET in _unfolded(client.get(bobs.get_absolute_url()).content.decode())
    assert "House meeting" not in client.get(carols.get_absolute_url()).content.decode()


def test_a_waitlisted_member_promoted_to_a_seat_is_sent_the_address(house_meeting, members):
    event, bob, gina, carol = house_meeting
    services.rsvp_cancel(rsvp=bob, by=members[0])
    promoted = OutboundEmail.objects.get(kind="events.promoted")
    assert promoted.to == members[1].email and STREET in _mail_text(promoted)


def test_the_decision_lives_in_one_policy(house_meeting, organizer, members, other_organizer):
    event, bob, gina, carol = house_meeting
    assert policy.sees_address(None, event, rsvp=bob) and policy.sees_address(None, event, rsvp=gina)
    assert policy.sees_address(organizer, event)
    assert not policy.sees_address(None, event, rsvp=carol)
    assert not policy.sees_address(members[1], event) and not policy.sees_address(other_organizer, event)
    assert policy.location_for(event) == event.location_text == "Lowell, MA"
    assert policy.location_for(event, rsvp=bob) == f"{VENUE}, {STREET}, Lowell, MA"
    event.address_is_private = False
    assert policy.sees_address(None, event) and STREET in event.location_text


def test_the_event_form_offers_the_choice(client, organizer, house_meeting):
    event, *_ = house_meeting
    client.force_login(organizer)
    assert 'name="address_is_private"' in client.get(f"/events/{event.slug}/edit/").content.decode()
