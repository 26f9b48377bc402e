"""axe-core finds no WCAG 2.2 A/AA violation on the pages this issue changed: a group without an
organizer (the notice above its contact form) and the profile's notification settings."""

from __future__ import annotations

import json

import pytest

from districts.models import Team, Town
from groups import services
from tests.trust.test_accessibility import VIEWPORTS, check_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_group_without_organizer_and_the_notification_settings_have_no_axe_violations(
    browser, live_server, client, coordinator, rep_ma3, viewport
):
    orphan = services.group_add_listed(
        actor=coordinator,
        details=services.GroupDetails(name="Dracut Orphans", home_town=Town.objects.get(name="Dracut")),
    )
    Team.objects.create(name="Data", slug="data", lead=rep_ma3)
    client.force_login(rep_ma3)
    cookie = client.cookies["sessionid"].value

    def login(page):
        page.context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])

    paths = [
        orphan.get_absolute_url(),
        f"/groups/{orphan.slug}/contact/",
        "/accounts/profile/",
        "/accounts/profile/edit/",
    ]
    found = check_pages(browser, live_server.url, paths, viewport, login=login)
    assert found == {}, json.dumps(found, indent=1)
