"""axe-core finds no WCAG 2.2 A/AA violation on the events pages (as a visitor, a member who
RSVP'd, and an organizer)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from events import services
from tests.events.conftest import make_event
from tests.trust.test_accessibility import VIEWPORTS, check_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login_as(user, live_server):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]

    def login(page):
        page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])

    return login


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_events_pages_have_no_axe_violations(
    browser,
    live_server,
    viewport,
    lowell_group,
    organizer,
    members,
):
    event = make_event(
        title="Town hall", host_group=lowell_group, capacity=1, accessibility=["asl"], description="**Come**"
    )
    services.rsvp_create(event=event, user=members[0])
    vigil = make_event(title="Vigil", host_group=lowell_group, start=timezone.now() + timedelta(hours=1), capacity=1)
    services.rsvp_create(event=vigil, user=members[1])
    services.rsvp_create(event=vigil, user=members[2])  # the waitlist
    public = [
        "/events/",
        "/events/?zip=01852&distance=25",
        "/events/?zip=99999",
        f"/events/calendar/?month={event.starts_at:%Y-%m}",
        event.get_absolute_url(),
    ]
    found = check_pages(browser, live_server.url, public, viewport)
    member_pages = [event.get_absolute_url(), "/accounts/profile/"]
    found |= check_pages(browser, live_server.url, member_pages, viewport, login=_login_as(members[0], live_server))
    organizer_pages = [
        "/events/new/",
        f"/events/{event.slug}/edit/",
        f"/events/{event.slug}/attendees/",
        f"/events/{event.slug}/cancel/",
        f"/events/{vigil.slug}/check-in/",
        f"/events/{vigil.slug}/check-in/?q=nobody",
        f"/events/{vigil.slug}/message/",
        f"/events/{vigil.slug}/thank-you/",
    ]
    found |= check_pages(browser, live_server.url, organizer_pages, viewport, login=_login_as(organizer, live_server))
    assert found == {}, json.dumps(found, indent=1)
