"""The embeds in a browser: framed by a page of another origin, they show and link through to the
portal in a new tab; a page that is not an embed refuses the frame; at 300 px nothing scrolls
sideways and axe finds no WCAG 2.2 A/AA violation."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from events.models import EventType
from tests.events.conftest import make_event
from tests.realstack import require
from tests.trust.test_accessibility import AXE, axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NARROW = {"width": 300, "height": 700}


@pytest.fixture
def rally(lowell_group):
    return make_event(host_group=lowell_group, title="Lowell rally for democracy", event_type=EventType.RALLY)


@pytest.fixture
def partner_site():
    """A web page of another origin (another port on loopback) that frames what it is given."""
    pages: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path, b"not here")
            self.send_response(200 if self.path in pages else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def frame(path: str, src: str) -> str:
        pages[path] = (
            f'<!doctype html><html lang="en"><title>Partner</title><h1>Our group</h1>'
            f'<iframe src="{src}" title="Events" width="100%" height="500"></iframe></html>'
        ).encode()
        return f"http://127.0.0.1:{server.server_port}{path}"

    yield frame
    server.shutdown()
    server.server_close()


def test_a_partner_site_frames_an_embed_and_its_link_opens_the_event_in_a_new_tab(
    browser, live_server, settings, lowell_group, rally, partner_site
):
    settings.SITE_URL = live_server.url  # the embed's links point at the portal that served it
    context = browser.new_context(viewport=NARROW)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(partner_site("/events.html", f"{live_server.url}/embed/groups/{lowell_group.slug}/events/"))
    link = page.frame_locator("iframe").get_by_role("link", name="Lowell rally for democracy")
    with context.expect_page() as opened:
        link.click()
    portal = opened.value
    portal.wait_for_load_state()
    assert portal.url == f"{live_server.url}/events/{rally.slug}/"
    assert portal.get_by_role("heading", name="Lowell rally for democracy").is_visible()
    assert page.url.startswith("http://127.0.0.1:")  # the partner's page stayed where it was
    context.close()


def test_a_page_that_is_not_an_embed_cannot_be_framed_by_a_partner_site(browser, live_server, rally, partner_site):
    context = browser.new_context(viewport=NARROW)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(partner_site("/list.html", f"{live_server.url}/events/"))
    page.wait_for_timeout(500)
    framed = page.frames[1]
    assert "Lowell rally for democracy" not in framed.content()
    # The control: the embed of the same list shows in the same frame.
    page.goto(partner_site("/embed.html", f"{live_server.url}/embed/events/"))
    assert page.frame_locator("iframe").get_by_role("link", name="Lowell rally for democracy").is_visible()
    context.close()


def test_every_embed_fits_300_pixels_and_has_no_axe_violations(browser, live_server, lowell_group, rally):
    require(AXE.exists(), "axe-core is not installed (npm ci)")
    context = browser.new_context(viewport=NARROW, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    paths = [
        f"/embed/groups/{lowell_group.slug}/events/",
        "/embed/districts/ma-3/events/",
        "/embed/events/",
        "/embed/events/?zip=99999",
        "/embed/find/",
        "/embed/find/?q=Chelmsford",
        "/embed/find/?q=Narnia",
    ]
    found = {}
    for path in paths:
        assert page.goto(live_server.url + path).status == 200, path
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        violations = axe_violations(page)
        if overflow > 0 or violations:
            found[path] = {"overflow": overflow, "axe": violations}
    assert found == {}
    context.close()


def test_the_group_pages_snippet_opens_without_script_and_fits_a_phone(browser, live_server, lowell_group):
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15000)
    for path in (f"/groups/{lowell_group.slug}/", "/districts/ma-3/"):
        page.goto(live_server.url + path)
        code = page.locator("details.embed-this code")
        assert not code.is_visible()
        page.locator("details.embed-this > summary").click()  # a native disclosure
        assert code.is_visible() and code.inner_text().startswith("<iframe src=")
        box = page.locator("details.embed-this pre").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, path
    context.close()
