"""On a phone (390 px wide) the events pages fit: the month is an agenda (the seven-column grid
cut off Friday and Saturday), the filters are folded behind their summary, nothing scrolls
sideways; on a laptop the grid and the list page's open filters stay."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from events.reminders import MA_TZ
from tests.events.conftest import make_event

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}


def _next_saturday() -> date:
    today = timezone.localdate()
    return today + timedelta(days=(5 - today.weekday()) % 7 or 7)


def _page(browser, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


def _overflow(page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_on_a_phone_the_month_is_an_agenda_that_shows_saturday_and_the_filters_are_folded(browser, live_server):
    saturday = _next_saturday()
    start = datetime(saturday.year, saturday.month, saturday.day, 14, 0, tzinfo=MA_TZ)
    make_event(title="Saturday canvass in Lowell", start=start)
    page = _page(browser, PHONE)

    page.goto(f"{live_server.url}/events/calendar/?month={saturday:%Y-%m}")
    agenda = page.locator("section.calendar-agenda")
    event = agenda.get_by_role("link", name="Saturday canvass in Lowell")
    assert event.is_visible()
    box = event.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert agenda.get_by_text(f"Saturday, {saturday:%B} {saturday.day}").is_visible()
    assert not page.locator("table.event-calendar").is_visible()
    assert _overflow(page) <= 0

    summary = page.locator("details.filters-disclosure > summary")
    assert summary.is_visible() and not page.locator("form.filters-form").is_visible()
    summary.click()  # a native disclosure: it opens without any script
    assert page.locator("form.filters-form select[name=distance]").is_visible()

    page.goto(f"{live_server.url}/events/")
    assert page.locator("details.filters-disclosure > summary").is_visible()
    assert not page.locator("form.filters-form").is_visible()
    assert page.get_by_role("link", name="Saturday canvass in Lowell").is_visible()
    assert _overflow(page) <= 0


def test_on_a_laptop_the_month_is_a_grid_and_the_list_shows_its_filters(browser, live_server):
    saturday = _next_saturday()
    start = datetime(saturday.year, saturday.month, saturday.day, 14, 0, tzinfo=MA_TZ)
    make_event(title="Saturday canvass in Lowell", start=start)
    page = _page(browser, LAPTOP)

    page.goto(f"{live_server.url}/events/calendar/?month={saturday:%Y-%m}")
    grid = page.locator("table.event-calendar")
    assert grid.get_by_role("link", name="Saturday canvass in Lowell").is_visible()
    assert not page.locator("section.calendar-agenda").is_visible()

    page.goto(f"{live_server.url}/events/")
    assert page.locator("form.filters-form input[name=zip]").is_visible()
    assert not page.locator("details.filters-disclosure > summary").is_visible()
    assert _overflow(page) <= 0


def test_the_filters_checkboxes_keep_apart_from_their_labels_and_selects_are_styled(browser, live_server):
    page = _page(browser, LAPTOP)
    page.goto(f"{live_server.url}/events/")
    checkbox = page.locator("form.filters-form input[name=online]")
    label = page.locator("form.filters-form label[for=id_online]")
    gap = label.bounding_box()["x"] - (checkbox.bounding_box()["x"] + checkbox.bounding_box()["width"])
    assert gap >= 4, gap
    select = page.locator("form.filters-form select[name=distance]")
    style = select.evaluate(
        "(el) => { const s = getComputedStyle(el); return [s.appearance, s.borderRadius, s.width]; }"
    )
    assert style[0] == "none" and style[1] != "0px", style
    assert float(style[2].removesuffix("px")) > 150


def test_on_a_phone_the_check_in_list_fits_and_a_tap_checks_in_without_a_reload(
    browser, live_server, lowell_group, organizer, members
):
    from django.conf import settings
    from django.test import Client

    from events import services
    from events.models import Rsvp

    event = make_event(title="Vigil", host_group=lowell_group, start=timezone.now() + timedelta(hours=1))
    rsvp = services.rsvp_create(event=event, user=members[0])
    client = Client()
    client.force_login(organizer)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page = _page(browser, PHONE)
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])

    page.goto(f"{live_server.url}/events/{event.slug}/check-in/")
    button = page.get_by_role("button", name="Check in Bob")
    box = button.bounding_box()
    assert box["x"] + box["width"] <= PHONE["width"] and box["height"] >= 24
    assert _overflow(page) <= 0
    page.evaluate("window.notReloaded = true")
    button.click()
    page.get_by_role("button", name="Bob is checked in, tap to undo").wait_for()
    assert page.evaluate("window.notReloaded") is True  # the script answered, not a new page
    assert page.locator("#checkin-count").text_content() == "1 of 1"
    assert Rsvp.objects.get(pk=rsvp.pk).attended is True
