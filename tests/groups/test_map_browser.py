"""Headless Chromium: the maps draw (static/js/map-base.js shared by both map scripts)."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

TILES = "https://*.tile.openstreetmap.org/**"


def _page(browser):
    page = browser.new_context().new_page()
    page.route(TILES, lambda route: route.abort())  # no network here; the outlines are our own files
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page, errors


def test_the_district_map_outlines_all_nine_districts_and_links_each(live_server, browser):
    page, errors = _page(browser)
    page.goto(f"{live_server.url}/districts/")
    expect(page.locator("#district-map path.leaflet-interactive")).to_have_count(9)
    assert errors == []


def test_a_district_page_outlines_its_own_district_only(live_server, browser):
    page, errors = _page(browser)
    page.goto(f"{live_server.url}/districts/ma-3/")
    expect(page.locator("#district-map path.leaflet-interactive")).to_have_count(1)
    page.wait_for_timeout(300)  # any other outline would have arrived by now
    assert page.locator("#district-map path.leaflet-interactive").count() == 1
    assert errors == []


def test_the_directory_map_marks_each_group_of_the_page_with_a_link(live_server, browser, make_group):
    make_group("Lowell Indivisible", ("Lowell",))
    make_group("Pittsfield Together", ("Pittsfield",))
    page, errors = _page(browser)
    page.goto(f"{live_server.url}/groups/")
    markers = page.locator("#groups-map path.leaflet-interactive")
    expect(markers).to_have_count(2)
    # The outlines are drawn too, not clickable: paths without the interactive class (a district
    # made of several pieces draws one path per piece).
    outlines = page.locator("#groups-map path:not(.leaflet-interactive)")
    for _ in range(50):
        if outlines.count() >= 9:
            break
        page.wait_for_timeout(100)
    assert outlines.count() >= 9
    markers.first.click(force=True)
    popup = page.locator(".leaflet-popup-content a")
    popup.wait_for()
    assert popup.inner_text() in {"Lowell Indivisible", "Pittsfield Together"}
    assert errors == []
