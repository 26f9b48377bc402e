"""The signed-in members' page cache (imc.pagecache.member_page): a member's second visit to their
home, the directory, an event or their profile is served the copy stored for them, and only them;
their own changes show at once. Each test that checks what the cache leaves alone shows a hit
first, so that it cannot pass with the cache deleted."""

from __future__ import annotations

import re

import pytest
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from django.urls import reverse

from events import services as event_services
from groups.models import Membership
from imc.pagecache import MEMBER_HEADER
from tests import factories
from tests.conftest import PASSWORD
from tests.events.conftest import make_event

pytestmark = [pytest.mark.django_db, pytest.mark.page_cache]

PROFILE = "/accounts/profile/"
TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="(\w{64})"')


def _signed_in(user, **client_options) -> Client:
    """A browser signed in as ``user`` that holds its CSRF cookie (a page it was given set it)."""
    client = Client(**client_options)
    assert client.login(email=user.email, password=PASSWORD)
    client.get(PROFILE)
    assert client.cookies["csrftoken"].value
    return client


def _secret_in(page) -> str:
    """The CSRF secret the page's form token was made from."""
    found = TOKEN.search(page.content)
    assert found, "the page holds no form token"
    return _unmask_cipher_token(found.group(1).decode())


def _stored(client: Client, url: str) -> None:
    assert client.get(url)[MEMBER_HEADER] == "miss"
    assert client.get(url)[MEMBER_HEADER] == "hit"


@pytest.fixture
def event(lowell_group):
    return make_event(host_group=lowell_group, title="Lowell town hall", capacity=10)


@pytest.fixture
def bob(db):
    return factories.user("bob@example.org", first_name="Bob", last_name="Baker", home_town="Worcester")


@pytest.mark.parametrize("url", ["/", "/groups/", "event", PROFILE])
def test_a_members_second_visit_is_served_the_page_stored_for_them(url, activist, event):
    url = event.get_absolute_url() if url == "event" else url
    alice = _signed_in(activist)
    first = alice.get(url)
    second = alice.get(url)
    assert first[MEMBER_HEADER] == "miss"
    assert second[MEMBER_HEADER] == "hit"
    assert second.content == first.content
    assert b"Sign out" in second.content
    assert _secret_in(second) == alice.cookies["csrftoken"].value
    assert "Cookie" in second["Vary"]
    # The middleware's headers are on the stored page as on a fresh one.
    for header in ("Content-Security-Policy", "X-Frame-Options", "Content-Type"):
        assert second[header] == first[header]


def test_a_stored_page_is_about_as_cheap_as_its_session(activist, django_assert_max_num_queries):
    alice = _signed_in(activist)
    _stored(alice, "/")
    with django_assert_max_num_queries(1):  # the session: the account is not read for a stored page
        assert alice.get("/")[MEMBER_HEADER] == "hit"


@pytest.mark.parametrize("url", ["/", "/groups/", "event", PROFILE])
def test_no_member_is_ever_served_another_members_page(url, activist, bob, event):
    url = event.get_absolute_url() if url == "event" else url
    alice = _signed_in(activist)
    _stored(alice, url)
    bobs = _signed_in(bob)
    page = bobs.get(url)
    assert page[MEMBER_HEADER] == "miss"  # rendered for Bob, not Alice's copy
    assert _secret_in(page) == bobs.cookies["csrftoken"].value != alice.cookies["csrftoken"].value
    assert activist.email.encode() not in page.content
    assert bobs.get(url)[MEMBER_HEADER] == "hit"
    assert activist.email.encode() not in bobs.get(url).content
    assert alice.get(url)[MEMBER_HEADER] == "hit"  # and Alice still has her own
    assert bob.email.encode() not in alice.get(url).content


def test_the_profile_shows_each_member_their_own_address_and_name(activist, bob):
    alice, bobs = _signed_in(activist), _signed_in(bob)
    for _ in range(2):
        assert b"alice@example.org" in alice.get(PROFILE).content
        page = bobs.get(PROFILE)
        assert b"bob@example.org" in page.content and b"Bob Baker" in page.content
        assert b"alice@example.org" not in page.content
    assert page[MEMBER_HEADER] == "hit"


def test_another_session_of_the_same_member_gets_a_page_of_its_own(activist):
    laptop = _signed_in(activist)
    _stored(laptop, PROFILE)
    phone = _signed_in(activist)
    page = phone.get(PROFILE)
    assert page[MEMBER_HEADER] == "miss"
    assert _secret_in(page) == phone.cookies["csrftoken"].value


def test_anonymous_visitors_never_get_a_members_page(client, activist):
    alice = _signed_in(activist)
    _stored(alice, "/groups/")
    for _ in range(2):
        page = client.get("/groups/")
        assert MEMBER_HEADER not in page
        assert b"Sign out" not in page.content and b"csrfmiddlewaretoken" not in page.content
    assert page["X-Page-Cache"] == "hit"  # the anonymous copy, stored apart


def test_a_signed_out_member_gets_no_stored_page(activist):
    alice = _signed_in(activist)
    _stored(alice, "/groups/")
    alice.post(reverse("account_logout"))
    page = alice.get("/groups/")
    assert MEMBER_HEADER not in page
    assert b"Sign out" not in page.content


def test_a_replayed_cookie_of_a_signed_out_session_gets_no_stored_page(activist):
    alice = _signed_in(activist)
    _stored(alice, PROFILE)
    _stored(alice, "/groups/")
    old = {name: alice.cookies[name].value for name in ("sessionid", "csrftoken")}
    alice.post(reverse("account_logout"))
    replay = Client()
    for name, value in old.items():
        replay.cookies[name] = value
    assert replay.get(PROFILE).status_code == 302  # to the sign-in
    page = replay.get("/groups/")
    assert MEMBER_HEADER not in page
    assert b"Sign out" not in page.content


@pytest.mark.parametrize("change", ["deactivated", "password changed elsewhere"])
def test_a_session_django_would_refuse_now_gets_no_stored_page(change, activist):
    alice = _signed_in(activist)
    _stored(alice, PROFILE)
    if change == "deactivated":
        activist.is_active = False
        activist.save(update_fields=["is_active"])
    else:
        activist.set_password("another-long-password-456")
        activist.save(update_fields=["password"])
    assert alice.get(PROFILE).status_code == 302  # to the sign-in: signed out, not served
    assert b"Sign out" not in alice.get("/groups/").content


def test_joining_a_group_shows_at_once(activist, lowell_group):
    alice = _signed_in(activist)
    _stored(alice, PROFILE)
    _stored(alice, "/groups/")
    assert b"Lowell Indivisible" not in alice.get(PROFILE).content
    assert alice.post(reverse("groups:join", args=[lowell_group.slug])).status_code == 302
    alice.get(lowell_group.get_absolute_url())  # where the join lands: its message is shown there
    assert Membership.objects.filter(user=activist, group=lowell_group).exists()
    page = alice.get(PROFILE)
    assert page[MEMBER_HEADER] == "miss"
    assert b"Lowell Indivisible" in page.content


def test_an_rsvp_shows_at_once_on_the_event_and_the_profile(activist, event):
    alice = _signed_in(activist)
    url = event.get_absolute_url()
    _stored(alice, url)
    _stored(alice, PROFILE)
    assert b"Cancel my RSVP" not in alice.get(url).content
    assert alice.post(reverse("events:rsvp", args=[event.slug])).status_code == 302
    with_message = alice.get(url)  # "You're going": shown once, never stored
    assert b"going" in with_message.content
    assert MEMBER_HEADER not in with_message
    page = alice.get(url)
    assert page[MEMBER_HEADER] == "miss"
    assert b"Cancel my RSVP" in page.content
    assert b"Lowell town hall" in alice.get(PROFILE).content


def test_a_profile_edit_shows_at_once(activist):
    alice = _signed_in(activist)
    _stored(alice, PROFILE)
    response = alice.post(
        reverse("accounts:profile_edit"), {"first_name": "Alicia", "last_name": "Andrade", "home": "Lowell"}
    )
    assert response.status_code == 302
    saved = alice.get(PROFILE)  # with "Your profile was saved."
    assert b"Your profile was saved." in saved.content
    assert MEMBER_HEADER not in saved
    page = alice.get(PROFILE)
    assert page[MEMBER_HEADER] == "miss"
    assert b"Alicia Andrade" in page.content
    assert b"Your profile was saved." not in page.content


def test_unsubscribing_shows_at_once_though_it_is_a_bulk_update(activist):
    """The unsubscribe is one conditional update() that sends no signal: the member's POST does."""
    alice = _signed_in(activist)
    assert alice.post(reverse("newsletter:member"), {"action": "subscribe", "next": PROFILE}).status_code == 302
    alice.get(PROFILE)  # "You are subscribed": shown once
    _stored(alice, PROFILE)
    assert b"You receive the newsletter" in alice.get(PROFILE).content
    assert alice.post(reverse("newsletter:member"), {"action": "unsubscribe", "next": PROFILE}).status_code == 302
    alice.get(PROFILE)  # "You are unsubscribed": shown once
    page = alice.get(PROFILE)
    assert page[MEMBER_HEADER] == "miss"
    assert b"You receive the newsletter" not in page.content


def test_a_change_to_the_members_own_rows_made_elsewhere_shows_at_once(activist):
    """No request of the member's announces it (a task, the admin): the row's user_id does."""
    alice = _signed_in(activist)
    _stored(alice, PROFILE)
    assert b"Your private calendar feed" not in alice.get(PROFILE).content
    event_services.member_calendar_ensure(user=activist)  # MemberCalendar is no public page's row
    page = alice.get(PROFILE)
    assert page[MEMBER_HEADER] == "miss"
    assert b"Your private calendar feed" in page.content


def test_another_members_write_leaves_this_members_own_rows_alone(activist, bob):
    alice = _signed_in(activist)
    _stored(alice, PROFILE)
    event_services.member_calendar_ensure(user=bob)
    assert alice.get(PROFILE)[MEMBER_HEADER] == "hit"


def test_the_form_token_of_a_stored_page_is_accepted(activist):
    alice = _signed_in(activist, enforce_csrf_checks=True)
    _stored(alice, PROFILE)
    stored = alice.get(PROFILE)
    assert stored[MEMBER_HEADER] == "hit"
    token = TOKEN.search(stored.content).group(1).decode()
    response = alice.post(reverse("events:member_feed_reset"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_posts_are_never_answered_from_the_members_cache(activist):
    alice = _signed_in(activist)
    _stored(alice, "/groups/")
    response = alice.post("/groups/")
    assert MEMBER_HEADER not in response


def test_switched_off_it_renders_every_time(activist, settings):
    alice = _signed_in(activist)
    _stored(alice, "/groups/")
    settings.PAGE_CACHE_SECONDS = 0
    assert MEMBER_HEADER not in alice.get("/groups/")
    assert MEMBER_HEADER not in alice.get("/groups/")
