"""The guest pages with every bad input of issue 12: a plain answer on the form, never a 500,
never a half-written row, and the seat count right."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from events import services
from events.models import GUEST_HOLD, EventStatus, Rsvp, RsvpStatus
from events.selectors import seats_left
from outbox.models import OutboundEmail
from tests.events.conftest import make_event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def _post(client, event, **overrides):
    data = {"name": "Gina Guest", "email": "gina@example.net", "zip_code": "", "bringing": "0", **overrides}
    return client.post(f"/events/{event.slug}/rsvp/guest/", data)


def test_the_event_page_offers_a_guest_rsvp_and_says_how_long_a_seat_is_held(client):
    event = make_event(capacity=4)
    page = client.get(event.get_absolute_url()).content.decode()
    assert f"/events/{event.slug}/rsvp/guest/" in page
    assert "held for 60 minutes" in page
    form = client.get(f"/events/{event.slug}/rsvp/guest/").content.decode()
    assert "60 minutes" in form and 'name="email"' in form and 'name="bringing"' in form


def test_a_guest_rsvp_by_the_form_then_the_link(client):
    event = make_event(capacity=4)
    response = _post(client, event, bringing="1", zip_code="01852")
    assert response.status_code == 200 and b"Check your inbox" in response.content
    assert seats_left(event) == 2
    mail = OutboundEmail.objects.get(kind="events.guest_confirm")
    confirm = re.search(r"/events/guest/confirm/[^\s]+/", mail.body_text).group(0)
    page = client.get(confirm)
    assert page.status_code == 200 and b"Confirm my RSVP" in page.content
    assert Rsvp.objects.get().status == RsvpStatus.PENDING  # opening the link (a mail scanner) confirms nothing
    done = client.post(confirm)
    assert done.status_code == 200 and b"You're going" in done.content
    assert Rsvp.objects.get().status == RsvpStatus.GOING
    again = client.post(confirm)  # a second click changes nothing
    assert again.status_code == 200 and b"You're going" in again.content
    assert Rsvp.objects.count() == 1


@pytest.mark.parametrize(
    ("setup", "post", "message"),
    [
        ("cancelled", {}, "RSVPs are closed"),
        ("past", {}, "RSVPs are closed"),
        ("party_too_big", {"bringing": "2"}, "Only 2 seats are left"),
        ("larger_than_event", {"bringing": "5"}, "5 seats in all"),
        ("", {"bringing": "many"}, "Enter a whole number"),
        ("", {"bringing": "-1"}, "greater than or equal to 0"),
        ("", {"bringing": "99999999999999999999"}, "less than or equal to 9"),
        ("", {"email": "not-an-address"}, "valid email"),
        ("", {"email": ""}, "This field is required"),
        ("", {"name": "Gina\nBcc: x@example.org"}, ""),
        ("", {"zip_code": "ABCDE"}, "five digits"),
    ],
)
def test_bad_input_gets_a_plain_answer_and_writes_nothing(client, setup, post, message):
    status = EventStatus.CANCELLED if setup == "cancelled" else EventStatus.PUBLISHED
    start = timezone.now() + (timedelta(hours=-1) if setup == "past" else timedelta(days=3))
    event = make_event(capacity=5, status=status, start=start)
    if setup == "party_too_big":
        services.guest_rsvp_request(event=event, name="First", email="first@example.net", party_size=3)
    before = Rsvp.objects.count(), OutboundEmail.objects.count()
    response = _post(client, event, **post)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert (Rsvp.objects.count(), OutboundEmail.objects.count()) == before
    if setup == "party_too_big":
        assert seats_left(event) == 2


def test_a_full_event_takes_guests_on_the_waitlist(client, members):
    event = make_event(capacity=1)
    services.rsvp_create(event=event, user=members[0])
    assert b"join the waitlist" in client.get(f"/events/{event.slug}/rsvp/guest/").content
    assert _post(client, event).status_code == 200
    rsvp = Rsvp.objects.get(guest_email="gina@example.net")
    assert rsvp.status == RsvpStatus.PENDING and not rsvp.holds_seat
    confirm = re.search(
        r"/events/guest/confirm/[^\s]+/", OutboundEmail.objects.get(kind="events.guest_confirm").body_text
    )
    assert b"number 1 in line" in client.post(confirm.group(0)).content


def test_a_draft_is_not_revealed_to_guests(client):
    event = make_event(status=EventStatus.DRAFT)
    assert client.get(f"/events/{event.slug}/rsvp/guest/").status_code == 404
    assert _post(client, event).status_code == 404
    assert not Rsvp.objects.exists()


@pytest.mark.parametrize("how", ["forged", "expired", "superseded"])
def test_a_bad_confirmation_link_gets_a_plain_answer(client, how):
    event = make_event(capacity=5)
    _post(client, event)
    link = re.search(r"/events/guest/confirm/([^\s]+)/", OutboundEmail.objects.get().body_text)
    url = link.group(0)
    later = timezone.now() + GUEST_HOLD + timedelta(minutes=1)
    if how == "forged":
        url = url[:-3] + "AA/"
        later = timezone.now()
    elif how == "superseded":
        with time_machine.travel(later):
            cache.clear()
            _post(client, event)  # a new hold, a new link: the old one is void
    with time_machine.travel(later):
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 404
            assert b"This link does not work" in response.content
    assert Rsvp.objects.get().status == RsvpStatus.PENDING


def test_the_hold_is_checked_again_when_the_guest_confirms(client):
    """The link opened in time but the button pressed after the hour: a plain answer, no seat."""
    event = make_event(capacity=5)
    rsvp = Rsvp.objects.create(
        event=event,
        guest_email="g@example.net",
        status=RsvpStatus.PENDING,
        holds_seat=True,
        hold_until=timezone.now() - timedelta(seconds=1),
    )
    with pytest.raises(services.RsvpClosed, match="expired"):
        services.guest_rsvp_confirm(rsvp=rsvp)
    rsvp.refresh_from_db()
    assert rsvp.status == RsvpStatus.PENDING


def test_a_member_rsvp_brings_people_and_a_too_large_party_is_told_plainly(client, members):
    event = make_event(capacity=3)
    client.force_login(members[0])
    response = client.post(f"/events/{event.slug}/rsvp/", {"bringing": "5"}, follow=True)
    assert b"3 seats in all" in response.content and not Rsvp.objects.exists()
    response = client.post(f"/events/{event.slug}/rsvp/", {"bringing": "x"}, follow=True)
    assert response.status_code == 200 and not Rsvp.objects.exists()
    client.post(f"/events/{event.slug}/rsvp/", {"bringing": "2"})
    assert Rsvp.objects.get().party_size == 3 and seats_left(event) == 0


def test_guests_are_in_the_attendee_csv(client, organizer, lowell_group):
    import csv
    import io

    event = make_event(host_group=lowell_group, capacity=5)
    services.guest_rsvp_request(
        event=event, name="Gina Guest", email="gina@example.net", zip_code="01852", party_size=2
    )
    services.guest_rsvp_request(event=event, name="Pending Pete", email="pete@example.net")
    services.guest_rsvp_confirm(rsvp=Rsvp.objects.get(guest_email="gina@example.net"))
    client.force_login(organizer)
    rows = list(csv.reader(io.StringIO(client.get(f"/events/{event.slug}/attendees.csv").content.decode())))
    assert rows[1][:3] == ["Gina Guest", "gina@example.net", "going"] and rows[1][5:] == ["2", "yes", "01852"]
    assert len(rows) == 2  # an unconfirmed request is nobody's RSVP yet
    assert b"gina@example.net" in client.get(f"/events/{event.slug}/attendees/").content
