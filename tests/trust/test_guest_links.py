"""Guests' signed links and what they open: one guest's RSVPs only, nothing for an outsider,
tokens that are signed, salted and expire, and answers that never say whether an address has an
account or an RSVP (issue 12)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from events import guest_limit, services, tokens
from events.models import Rsvp, RsvpStatus
from tests.events.conftest import make_event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def _guest(event, email, name):
    services.guest_rsvp_request(event=event, name=name, email=email)
    return services.guest_rsvp_confirm(rsvp=Rsvp.objects.get(event=event, guest_email=email))


@pytest.fixture
def two_guests():
    event, other_event = make_event(capacity=10, title="Lowell rally"), make_event(capacity=10, title="Quiet walk")
    gina = _guest(event, "gina@example.net", "Gina Guestly")
    hank = _guest(other_event, "hank@example.net", "Hank Hollowell")
    return event, other_event, gina, hank


def test_a_guests_manage_link_opens_only_that_guests_rsvps(client, two_guests):
    event, other_event, gina, hank = two_guests
    page = client.get(f"/events/guest/my-rsvps/{tokens.manage_token('gina@example.net')}/").content.decode()
    assert "Lowell rally" in page and "gina@example.net" in page
    assert "Quiet walk" not in page and "hank" not in page.lower()
    # Gina's link with Hank's RSVP id: not found, and Hank keeps his seat.
    response = client.post(f"/events/guest/my-rsvps/{tokens.manage_token('gina@example.net')}/", {"rsvp": hank.pk})
    assert response.status_code == 404
    hank.refresh_from_db()
    assert hank.status == RsvpStatus.GOING
    for junk in ("", "abc", "99999999999999999999999", "-1"):
        assert (
            client.post(
                f"/events/guest/my-rsvps/{tokens.manage_token('gina@example.net')}/", {"rsvp": junk}
            ).status_code
            == 404
        )
    # Her own: cancelled.
    client.post(f"/events/guest/my-rsvps/{tokens.manage_token('gina@example.net')}/", {"rsvp": gina.pk})
    gina.refresh_from_db()
    assert gina.status == RsvpStatus.CANCELLED


@pytest.mark.parametrize("who", ["anonymous", "activist", "organizer", "rep_ma3", "coordinator"])
def test_an_outsider_with_another_guests_ids_gets_nothing(request, two_guests, who):
    event, other_event, gina, hank = two_guests
    client = Client()
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    # The members' cancel button names the event: theirs only, never a guest's.
    client.post(f"/events/{event.slug}/rsvp/cancel/")
    # A manage page needs a signed address: an id, an address, or a made-up token opens nothing.
    for token in (str(gina.pk), "gina@example.net", tokens.manage_token("gina@example.net")[:-4] + "AAAA"):
        assert client.get(f"/events/guest/my-rsvps/{token}/").status_code == 404
        assert client.post(f"/events/guest/my-rsvps/{token}/", {"rsvp": gina.pk}).status_code == 404
        assert client.get(f"/events/guest/my-data/{token}/").status_code == 404
    # Someone else's address, signed for *their* address, does not reach Gina's.
    outsider = tokens.manage_token("mallory@example.net")
    assert client.post(f"/events/guest/my-rsvps/{outsider}/", {"rsvp": gina.pk}).status_code == 404
    gina.refresh_from_db()
    assert gina.status == RsvpStatus.GOING
    if who != "anonymous":  # nor does a member's profile or the event page show her
        assert b"gina@example.net" not in client.get(event.get_absolute_url()).content


def test_each_link_kind_has_its_own_salt_and_expires():
    manage, data = tokens.manage_token("gina@example.net"), tokens.data_token("gina@example.net")
    assert tokens.read_manage_token(manage) == "gina@example.net"
    assert tokens.read_manage_token(data) is None and tokens.read_data_token(manage) is None
    assert tokens.read_confirm_token(manage) is None
    with time_machine.travel(timezone.now() + tokens.MANAGE_MAX_AGE + timedelta(minutes=1)):
        assert tokens.read_manage_token(manage) is None
    with time_machine.travel(timezone.now() + tokens.DATA_MAX_AGE + timedelta(minutes=1)):
        assert tokens.read_data_token(data) is None


def test_an_expired_manage_link_offers_a_new_one(client):
    manage = tokens.manage_token("gina@example.net")
    with time_machine.travel(timezone.now() + tokens.MANAGE_MAX_AGE + timedelta(days=1)):
        response = client.get(f"/events/guest/my-rsvps/{manage}/")
    assert response.status_code == 404 and b"Email me a new link" in response.content


def _answer(client, path, data, email):
    body = client.post(path, data).content.decode().replace(email, "ADDRESS")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)


def test_no_answer_says_whether_an_address_has_an_account_or_an_rsvp(client, activist):
    event = make_event(capacity=10)
    _guest(event, "taken@example.net", "Tess")
    answers = {}
    for email in ("nobody@example.net", activist.email, "taken@example.net"):
        answers[email] = _answer(
            client, f"/events/{event.slug}/rsvp/guest/", {"name": "Someone", "email": email, "bringing": "0"}, email
        )
    assert len(set(answers.values())) == 1
    links = {
        email: _answer(client, "/events/guest/my-rsvps/", {"email": email}, email)
        for email in ("nobody@example.net", activist.email, "taken@example.net")
    }
    assert len(set(links.values())) == 1
    data = {
        email: _answer(client, "/events/guest/my-data/", {"email": email}, email)
        for email in ("nobody@example.net", activist.email, "taken@example.net")
    }
    assert len(set(data.values())) == 1
    # Only the mail to the address says what it holds.
    assert Rsvp.objects.filter(event=event).count() == 3  # Tess, and two pending requests


def test_rate_limits_per_address_and_per_client_stop_filling_an_event_with_strangers(client, settings):
    event = make_event(capacity=100)

    def ask(email, ip="10.0.0.1"):
        return client.post(
            f"/events/{event.slug}/rsvp/guest/", {"name": "X", "email": email, "bringing": "0"}, REMOTE_ADDR=ip
        )

    for n in range(guest_limit.PER_CLIENT):
        assert ask(f"stranger{n}@example.net").status_code == 200
    refused = ask("one.more@example.net")
    assert refused.status_code == 400 and b"Too many requests" in refused.content
    assert not Rsvp.objects.filter(guest_email="one.more@example.net").exists()
    # One address asked for from many clients: mailed at most PER_ADDRESS times an hour.
    cache.clear()
    for n in range(guest_limit.PER_ADDRESS):
        assert ask("victim@example.net", ip=f"10.0.1.{n}").status_code == 200
    assert ask("victim@example.net", ip="10.0.2.1").status_code == 400
    from outbox.models import OutboundEmail

    assert OutboundEmail.objects.filter(to="victim@example.net").count() == guest_limit.PER_ADDRESS


def test_a_guests_data_link_downloads_and_erases_only_that_address(client, two_guests):
    import json

    event, other_event, gina, hank = two_guests
    url = f"/events/guest/my-data/{tokens.data_token('gina@example.net')}/"
    data = json.loads(
        b"".join(client.get(url + "?download=json").streaming_content)
        if False
        else client.get(url + "?download=json").content
    )
    assert data["email"] == "gina@example.net"
    assert [r["name"] for r in data["events"]["rsvps"]] == ["Gina Guestly"]
    assert "hank" not in json.dumps(data).lower()
    assert b"erased" in client.post(url, {"action": "erase"}).content.lower()
    assert not Rsvp.objects.filter(guest_email="gina@example.net").exists()
    assert Rsvp.objects.filter(guest_email="hank@example.net").exists()
