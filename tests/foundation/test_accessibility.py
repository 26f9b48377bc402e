"""axe-core finds no WCAG 2.2 A/AA violation on the admin pages each staff role opens.

The pages are every admin page a rep or a coordinator may open, derived from the admin site's
registry and each model admin's permissions (``tests/foundation/admin_world.admin_pages``): the
index, each app's index, every changelist, every add form they may use and one change (or view)
form per model. Organizers and members are not staff and open no admin page. Each person is
signed in through the staff fixture (password and TOTP step recorded in the session), whose
session cookie the browser carries.
"""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings

from tests.foundation.admin_world import ADMIN_ROLES, admin_pages, admin_world
from tests.realstack import require
from tests.trust.test_accessibility import AXE, VIEWPORTS, axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def admin_sessions(activist, rep_ma3, rep_ma5, coordinator, staff_client_factory, django_capture_on_commit_callbacks):
    """Per role: the session cookie of a signed-in staff client and the admin pages it may open,
    each of which answers it 200 (all made before the browser starts: see test_browser_staff)."""
    world = admin_world(activist, rep_ma3, rep_ma5, coordinator, django_capture_on_commit_callbacks)
    sessions = {}
    for role in ADMIN_ROLES:
        user = world.users[role]
        client = staff_client_factory(user)
        pages = admin_pages(user, world.objects)
        unopened = [(path, code) for path in pages if (code := client.get(path).status_code) != 200]
        assert not unopened, (role, unopened)
        sessions[role] = (client.cookies[settings.SESSION_COOKIE_NAME].value, pages)
    return sessions


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_every_admin_page_each_staff_role_opens_has_no_axe_violations(admin_sessions, chromium, live_server, viewport):
    require(AXE.exists(), "axe-core is not installed (npm ci)")
    found = {}
    for role, (cookie, pages) in admin_sessions.items():
        context = chromium.new_context(viewport=VIEWPORTS[viewport], bypass_csp=True)
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
        page = context.new_page()
        for path in pages:
            response = page.goto(live_server.url + path)
            # The page itself, not a sign-in form or a second-factor prompt it sent us to.
            assert (response.status, page.url) == (200, live_server.url + path), (role, path, page.url)
            found |= {f"{role} {path} {v['id']}": v["nodes"] for v in axe_violations(page)}
        context.close()
    assert found == {}, "\n".join(f"{where}: {json.dumps(nodes)}" for where, nodes in found.items())


def _signed_in_page(chromium, live_server, cookie: str, viewport: str = "desktop"):
    context = chromium.new_context(viewport=VIEWPORTS[viewport], bypass_csp=True)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    return context.new_page()


def test_an_autocomplete_field_and_its_open_search_box_are_named_by_the_fields_label(
    admin_sessions, chromium, live_server
):
    require(AXE.exists(), "axe-core is not installed (npm ci)")
    cookie, _pages = admin_sessions["coordinator"]
    page = _signed_in_page(chromium, live_server, cookie)
    page.goto(live_server.url + "/admin/districts/boardseat/add/")
    combobox = page.get_by_role("combobox", name=re.compile(r"^User"))
    assert combobox.count() == 1
    combobox.click()
    search = page.locator(".select2-container--open .select2-search__field")
    search.wait_for()
    assert search.get_attribute("aria-label") == "Search User"
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations)


# What a pointer hits on a changelist (WCAG 2.2, 2.5.8): the rows' checkboxes, the filters'
# choices, the pages, the sort controls of a sorted column, the add and history buttons.
TARGETS = (
    "#result_list input[type=checkbox], #changelist-filter li a, .paginator a, "
    "th.sorted .sortoptions a, .object-tools a"
)
CHANGELIST = re.compile(r"^/admin/\w+/\w+/$")


def test_every_target_on_the_changelists_is_at_least_24_px_square(admin_sessions, chromium, live_server):
    cookie, pages = admin_sessions["coordinator"]
    page = _signed_in_page(chromium, live_server, cookie)
    small, measured = [], 0
    for path in filter(CHANGELIST.match, pages):
        page.goto(f"{live_server.url}{path}?o=1")  # sorted by its first column: the sort controls show
        boxes = page.eval_on_selector_all(
            TARGETS,
            "els => els.map(e => { const r = e.getBoundingClientRect();"
            " return [e.outerHTML.slice(0, 90), r.width, r.height]; })",
        )
        measured += len(boxes)
        small += [(path, html, round(w, 1), round(h, 1)) for html, w, h in boxes if w < 24 or h < 24]
    assert measured > 100, measured  # the checks saw the changelists' controls
    assert small == [], "\n".join(map(str, small))
