"""Headless Chromium: the maps draw (static/js/map-base.js shared by both map scripts)."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

TILES = "https://*.tile.openstreetmap.org/**"


def _page(browser, viewport: dict | None = None):
    page = (browser.new_context(viewport=viewport) if viewport else browser.new_context()).new_page()
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
    # The outlines are drawn too, not clickable: one path per district, class imc-outline (a
    # district of several pieces, MA-9, draws them as subpaths of its one path).
    outlines = page.locator("#groups-map path.imc-outline")
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


# The first view of a statewide map: the whole state, the same on every load, at a laptop's and a
# phone's size. Read from what is drawn: the outlines' on-screen boxes must lie inside the map's
# box (Leaflet clips a shape at the edge of its drawing area, so a cropped view shows up as a
# shape that reaches past the map), and the picture must not move between loads.
VIEWPORTS = [
    pytest.param({"width": 1366, "height": 768}, id="1366"),
    pytest.param({"width": 390, "height": 844}, id="390"),
]

_GEOMETRY_JS = """([map, shapes]) => {
  const box = document.querySelector(map).getBoundingClientRect();
  const paths = [...document.querySelectorAll(shapes)];
  const rects = paths.map((p) => p.getBoundingClientRect());
  const union = rects.length ? {
    left: Math.min(...rects.map((r) => r.left)), top: Math.min(...rects.map((r) => r.top)),
    right: Math.max(...rects.map((r) => r.right)), bottom: Math.max(...rects.map((r) => r.bottom)),
  } : null;
  return {
    map: {left: box.left, top: box.top, right: box.right, bottom: box.bottom},
    shapes: union, count: paths.length,
    moving: !!document.querySelector(map + ".leaflet-zoom-anim, " + map + " .leaflet-zoom-anim"),
  };
}"""


def _rounded(geometry: dict) -> dict:
    return {
        key: {k: round(v) for k, v in value.items()} if isinstance(value, dict) else value
        for key, value in geometry.items()
    }


def _settled(page, map_selector: str, shapes: str, count: int) -> dict:
    """The map's box and the drawn shapes' box once every shape is drawn and nothing has moved for
    a while (Leaflet animates zooms; a late fit would move the picture)."""
    expect(page.locator(shapes)).to_have_count(count)
    last, steady = None, 0
    for _ in range(60):
        page.wait_for_timeout(150)
        now = _rounded(page.evaluate(_GEOMETRY_JS, [map_selector, shapes]))
        steady = steady + 1 if now == last and not now["moving"] else 0
        if steady >= 4:
            return now
        last = now
    raise AssertionError(f"the map never settled: {last}")


def _first_views(browser, url: str, viewport: dict, map_selector: str, shapes: str, count: int) -> list[dict]:
    views = []
    for _ in range(3):
        page, errors = _page(browser, viewport)
        page.goto(url)
        page.locator(map_selector).scroll_into_view_if_needed()
        views.append(_settled(page, map_selector, shapes, count))
        assert errors == []
        page.context.close()
    return views


def _assert_whole_and_same(views: list[dict]) -> None:
    first = views[0]
    shapes, box = first["shapes"], first["map"]
    assert shapes["left"] >= box["left"] and shapes["right"] <= box["right"], first
    assert shapes["top"] >= box["top"] and shapes["bottom"] <= box["bottom"], first
    # Not a speck in the corner either: the state spans most of the map's width or height.
    assert (shapes["right"] - shapes["left"]) >= 0.6 * (box["right"] - box["left"]) or (
        shapes["bottom"] - shapes["top"]
    ) >= 0.6 * (box["bottom"] - box["top"]), first
    assert all(view == first for view in views), views


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_district_map_opens_on_the_whole_state_the_same_every_time(live_server, browser, viewport):
    views = _first_views(
        browser, f"{live_server.url}/districts/", viewport, "#district-map", "#district-map path.leaflet-interactive", 9
    )
    _assert_whole_and_same(views)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_directory_map_opens_on_the_whole_state_the_same_every_time(live_server, browser, viewport, make_group):
    # Groups at the state's corners: Pittsfield in the west, Provincetown and Nantucket in the east.
    for town in ("Pittsfield", "Provincetown", "Nantucket"):
        make_group(f"{town} Indivisible", (town,))
    views = _first_views(
        browser, f"{live_server.url}/groups/", viewport, "#groups-map", "#groups-map path.imc-outline", 9
    )
    _assert_whole_and_same(views)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_ma9s_page_draws_cape_cod_and_the_islands_as_separate_shapes(live_server, browser, viewport):
    views = _first_views(
        browser,
        f"{live_server.url}/districts/ma-9/",
        viewport,
        "#district-map",
        "#district-map path.leaflet-interactive",
        1,
    )
    _assert_whole_and_same(views)
    page, errors = _page(browser, viewport)
    page.goto(f"{live_server.url}/districts/ma-9/")
    outline = page.locator("#district-map path.leaflet-interactive")
    expect(outline).to_have_count(1)
    # One path, one "M" (move to) per ring: the Cape, Martha's Vineyard, Nantucket at least.
    subpaths = outline.get_attribute("d").upper().count("M")
    assert subpaths >= 3, outline.get_attribute("d")[:200]
    assert errors == []
