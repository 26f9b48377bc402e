"""Headless Chromium: the maps draw (static/js/map-base.js shared by both map scripts)."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

TILES = "https://*.tile.openstreetmap.org/**"


def _page(browser):
    page = browser.new_context().new_page()
    page.route(TILES, lambda route: route.abort())  # no network here; the outlines are our own files
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page, errors


def _open_popup(page, marker) -> None:
    """Click a marker until its popup shows. The map zooms to fit the markers once they are drawn;
    a click during that animation lands where the marker was a moment ago, so wait it out and try
    again rather than trust a single click."""
    popup = page.locator(".leaflet-popup-content")
    for _ in range(20):
        page.wait_for_timeout(150)
        if page.locator("#groups-map.leaflet-zoom-anim").count():
            continue
        marker.click(force=True)
        try:
            popup.wait_for(timeout=1000)
            return
        except PlaywrightTimeout:  # not open yet: the map was still moving
            continue
    popup.wait_for(timeout=1000)  # fails the test with Playwright's own message


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


def test_the_directory_map_marks_each_town_with_its_groups_links(live_server, browser, make_group):
    make_group("Lowell Indivisible", ("Lowell",))
    make_group("Pittsfield Together", ("Pittsfield",))
    page, errors = _page(browser)
    page.goto(f"{live_server.url}/groups/")
    markers = page.locator("#groups-map path.leaflet-interactive")
    expect(markers).to_have_count(2)  # one per town
    # The outlines are drawn too, not clickable: paths without the interactive class (a district
    # made of several pieces draws one path per piece).
    outlines = page.locator("#groups-map path:not(.leaflet-interactive)")
    for _ in range(50):
        if outlines.count() >= 9:
            break
        page.wait_for_timeout(100)
    assert outlines.count() >= 9
    _open_popup(page, markers.first)
    popup = page.locator(".leaflet-popup-content")
    group_link = popup.locator("li a")
    expect(group_link).to_have_count(1)
    assert group_link.inner_text() in {"Lowell Indivisible", "Pittsfield Together"}
    town = "Lowell" if group_link.inner_text() == "Lowell Indivisible" else "Pittsfield"
    assert popup.locator("strong").inner_text() == town
    more = popup.locator("a.groups-map-more")
    assert more.inner_text() == f"the 1 group in {town}"
    assert more.get_attribute("href") == f"/groups/?town={town}"
    assert errors == []


def test_the_directory_map_shows_every_match_not_only_the_page(live_server, browser, bulk_groups, settings):
    bulk_groups(30)  # more than a page of 20, in towns all over the state
    page, errors = _page(browser)
    page.goto(f"{live_server.url}/groups/?q=bulk")
    expect(page.locator("#group-results > li")).to_have_count(settings.GROUPS_PAGE_SIZE)
    data = page.request.get(f"{live_server.url}/groups/map.json?q=bulk").json()
    assert data["total"] == 30
    expect(page.locator("#groups-map path.leaflet-interactive")).to_have_count(len(data["towns"]))
    assert errors == []


def test_a_name_with_markup_shows_as_text_in_the_popup(live_server, browser, make_group):
    name = '<img src=x onerror="window.pwned=1">Lowell <b>Bold</b>'
    make_group(name, ("Lowell",))
    page, errors = _page(browser)
    page.goto(f"{live_server.url}/groups/")
    marker = page.locator("#groups-map path.leaflet-interactive")
    expect(marker).to_have_count(1)
    _open_popup(page, marker)
    group_link = page.locator(".leaflet-popup-content li a")
    group_link.wait_for()
    assert group_link.inner_text() == name
    assert page.locator(".leaflet-popup-content img, .leaflet-popup-content b").count() == 0
    assert page.evaluate("window.pwned") is None
    assert errors == []
