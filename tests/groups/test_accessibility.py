"""axe-core finds no WCAG 2.2 A/AA violation on the groups and teams pages."""

from __future__ import annotations

import json

import pytest

from districts.models import Team
from tests.trust.test_accessibility import VIEWPORTS, check_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pages(make_group, organizer, coordinator):
    group = make_group(
        "Lowell Indivisible",
        ("Lowell", "Chelmsford"),
        organizer=organizer,
        description="We *meet*. [Site](https://x.org)",
    )
    make_group("Framingham Forward", ("Framingham",))
    Team.objects.create(name="Voting Rights", slug="voting-rights", description="Ballots", lead=coordinator)
    return group


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_public_groups_pages_have_no_axe_violations(browser, live_server, pages, viewport):
    paths = ["/groups/", "/groups/?zip=01852", "/groups/?town=Narnia", pages.get_absolute_url(), "/teams/",
             "/teams/voting-rights/", "/districts/ma-3/", "/find/?q=Lowell"]  # fmt: skip
    found = check_pages(browser, live_server.url, paths, viewport)
    assert found == {}, json.dumps(found, indent=1)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_organizer_pages_have_no_axe_violations(browser, live_server, pages, organizer, client, viewport):
    client.force_login(organizer)
    cookie = client.cookies["sessionid"].value

    def login(page):
        page.context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])

    slug = pages.slug
    paths = ["/groups/submit/", f"/groups/{slug}/", f"/groups/{slug}/edit/", f"/groups/{slug}/members/",
             f"/groups/{slug}/contact/", "/accounts/profile/"]  # fmt: skip
    found = check_pages(browser, live_server.url, paths, viewport, login=login)
    assert found == {}, json.dumps(found, indent=1)
