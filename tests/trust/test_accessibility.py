"""axe-core (from the npm registry, injected by Playwright) finds no WCAG 2.2 A/AA violation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.realstack import require

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}

PUBLIC_PAGES = [
    "/",
    "/about/",
    "/privacy/",
    "/find/",
    "/find/?q=Boston",
    "/find/?q=Narnia",
    "/districts/",
    "/districts/ma-3/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
]
MEMBER_PAGES = ["/accounts/profile/", "/accounts/profile/edit/", "/accounts/password/change/", "/accounts/email/"]


def axe_violations(page) -> list[dict]:
    page.evaluate(AXE.read_text())
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def check_pages(browser, base_url: str, paths: list[str], viewport: str, login=None) -> dict[str, list]:
    require(AXE.exists(), "axe-core is not installed (npm ci)")
    context = browser.new_context(viewport=VIEWPORTS[viewport], bypass_csp=True)
    page = context.new_page()
    if login:
        login(page)
    found = {}
    for path in paths:
        response = page.goto(base_url + path)
        assert response.status < 500, path
        violations = axe_violations(page)
        if violations:
            found[path] = violations
    context.close()
    return found


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_public_pages_have_no_axe_violations(chromium, live_server, viewport):
    found = check_pages(chromium, live_server.url, PUBLIC_PAGES, viewport)
    assert found == {}, json.dumps(found, indent=1)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_member_pages_have_no_axe_violations(chromium, live_server, activist, client, viewport):
    client.force_login(activist)
    cookie = client.cookies["sessionid"].value

    def login(page):
        page.context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])

    found = check_pages(chromium, live_server.url, MEMBER_PAGES, viewport, login=login)
    assert found == {}, json.dumps(found, indent=1)
