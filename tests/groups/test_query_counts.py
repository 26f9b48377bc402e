"""The directory and the pages that list groups run the same number of queries for 10 groups as
for 500: nothing is fetched per group."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _render_every_time(settings):
    """These count what rendering a page costs; a stored copy (imc.pagecache) would cost none."""
    settings.PAGE_CACHE_SECONDS = 0


# url -> queries for an anonymous visitor (pinned: a change here is a change in the page's cost).
PINNED = {
    # count, ranked ids of the page, the page's groups, their towns, their next events (events app)
    # (+ the place or district lookup)
    "/groups/": 5,
    "/groups/?q=climate": 5,
    "/groups/?district=ma-3": 6,
    "/groups/?zip=01852": 9,
    "/groups/?town=Lowell": 8,
    "/groups/?town=Lowell&q=climate&district=ma-3&stale=1": 9,
    "/groups/?page=2": 5,
    # the district's and the place's own queries, plus the groups and events panels
    "/districts/ma-7/": 9,  # its featured events (desk, Kind.FEATURED_EVENTS) are one query
    "/find/?q=01852": 11,  # Lowell is split between State House districts: it asks for the precinct
    # + the town's state districts; a split town its precincts too (one query for the form and
    # the answer alike)
    "/find/?q=Abington": 9,
    "/find/?q=Boston": 10,
    "/find/?q=Boston&ward=3&precinct=1": 10,
    # the district, its towns, its precincts, plus the groups and events panels: as a congressional one
    "/districts/state-senate/first-suffolk/": 8,
}


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def test_query_counts_are_pinned_and_the_same_for_10_and_500_groups(client, bulk_groups):
    bulk_groups(10)
    small = {url: _count(client, url) for url in PINNED}
    bulk_groups(490, start=10)
    large = {url: _count(client, url) for url in PINNED}
    assert small == large
    assert large == PINNED


def test_a_signed_in_members_my_groups_costs_the_same_with_more_groups(client, bulk_groups, activist):
    from groups import services
    from groups.models import Group

    bulk_groups(10)
    client.force_login(activist)
    services.membership_join(user=activist, group=Group.objects.first())
    small = _count(client, "/accounts/profile/")
    bulk_groups(490, start=10)
    for group in Group.objects.all()[:50]:
        services.membership_join(user=activist, group=group)
    assert _count(client, "/accounts/profile/") == small
