"""In a real browser: a member finds an event near a ZIP, RSVPs, sees it under "My events",
cancels, and the next person on the waitlist is promoted."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest
from django.conf import settings
from django.test import Client

from events import services
from events.models import Rsvp, RsvpStatus
from outbox.models import OutboundEmail
from tests.events.conftest import make_event

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser):
    context = browser.new_context()
    tab = context.new_page()
    tab.set_default_timeout(15000)
    yield tab
    context.close()


def _sign_in(page, live_server, user) -> None:
    """A session cookie from Django's test client (the sign-in form has tests of its own)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def test_a_member_finds_an_event_near_a_zip_rsvps_cancels_and_the_next_person_is_promoted(live_server, page, members):
    bob, carol, dave = members[:3]
    event = make_event(title="Lowell town hall", capacity=1)
    make_event(title="Pittsfield social", town="Pittsfield")

    _sign_in(page, live_server, bob)

    page.goto(f"{live_server.url}/events/")
    page.fill("input[name=zip]", "01852")
    page.select_option("select[name=distance]", "10")
    page.click("text=Show events")
    results = page.locator("section[aria-labelledby=results-heading]")
    assert results.get_by_text("Lowell town hall").is_visible()
    assert results.get_by_text("Pittsfield social").count() == 0

    results.get_by_text("Lowell town hall").click()
    page.get_by_role("button", name="RSVP").click()
    assert "You're going" in page.locator("#rsvp-status").inner_text()
    assert page.locator("#seats-left").inner_text() == "0"

    # Carol and Dave come later and wait, in that order.
    services.rsvp_create(event=event, user=carol)
    services.rsvp_create(event=event, user=dave)

    page.goto(f"{live_server.url}/accounts/profile/")
    my_events = page.locator("#my-events")
    assert my_events.get_by_text("Lowell town hall").is_visible()
    my_events.get_by_role("button", name="Cancel RSVP").click()
    page.wait_for_url("**/accounts/profile/")
    assert page.locator("#my-events").get_by_text("Lowell town hall").count() == 0

    statuses = dict(Rsvp.objects.filter(event=event).values_list("user__email", "status"))
    assert statuses == {
        bob.email: RsvpStatus.CANCELLED,
        carol.email: RsvpStatus.GOING,
        dave.email: RsvpStatus.WAITLISTED,
    }
    assert list(OutboundEmail.objects.filter(kind="events.promoted").values_list("to", flat=True)) == [carol.email]
