"""The embeds: small pages other sites frame, showing a group's, a district's or a filtered list
of upcoming events, and a "find your local group" box; nothing private, and only they may be
framed by another site."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from events.models import Accessibility, EventStatus, EventType
from groups.models import GroupStatus
from tests.events.conftest import make_event, make_group

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(lowell_group):
    other = make_group("Indivisible Worcester", "Worcester")
    pending = make_group("Indivisible Dracut", "Dracut")
    pending.status = GroupStatus.PENDING
    pending.save()
    return {
        "group": lowell_group,
        "other": other,
        "pending": pending,
        "ours": make_event(
            host_group=lowell_group, title="Lowell rally", event_type=EventType.RALLY,
            accessibility=[Accessibility.WHEELCHAIR], join_url="https://meet.example.org/secret-room",
            is_online=True,
        ),
        "draft": make_event(host_group=lowell_group, title="Lowell draft plan", status=EventStatus.DRAFT),
        "theirs": make_event(
            host_group=other, town="Worcester", title="Worcester canvass", event_type=EventType.CANVASS
        ),
        "pittsfield": make_event(town="Pittsfield", title="Pittsfield social"),
    }  # fmt: skip


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_a_groups_embed_lists_its_published_events_only(client, world, settings):
    html = _text(client.get(f"/embed/groups/{world['group'].slug}/events/"))
    assert "Lowell rally" in html
    assert "Lowell draft plan" not in html and "Worcester canvass" not in html and "Pittsfield social" not in html
    assert "secret-room" not in html  # the online join link is for people who RSVP'd
    assert f'href="{settings.SITE_URL}/events/{world["ours"].slug}/"' in html
    assert 'target="_blank" rel="noopener"' in html
    assert "site-header" not in html and "<footer" not in html


def test_a_pending_group_has_no_embed(client, world):
    assert client.get(f"/embed/groups/{world['pending'].slug}/events/").status_code == 404
    assert client.get("/embed/groups/no-such-group/events/").status_code == 404


def test_a_districts_embed_lists_the_events_of_its_towns(client, world):
    html = _text(client.get("/embed/districts/ma-3/events/"))
    assert "Lowell rally" in html
    assert "Worcester canvass" not in html and "Pittsfield social" not in html and "Lowell draft plan" not in html
    assert client.get("/embed/districts/ma-99/events/").status_code == 404


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("", ["Lowell rally", "Worcester canvass", "Pittsfield social"], ["Lowell draft plan"]),
        ("?zip=01852&distance=5", ["Lowell rally"], ["Worcester canvass", "Pittsfield social"]),
        ("?district=ma-1", ["Pittsfield social"], ["Lowell rally", "Worcester canvass"]),
        ("?type=canvass", ["Worcester canvass"], ["Lowell rally", "Pittsfield social"]),
        ("?access=wheelchair", ["Lowell rally"], ["Worcester canvass", "Pittsfield social"]),
    ],
)
def test_the_events_embed_takes_the_listings_filters(client, world, query, shown, hidden):
    html = _text(client.get("/embed/events/" + query))
    assert all(title in html for title in shown), query
    assert not any(title in html for title in hidden), query


@pytest.mark.parametrize("query", ["?zip=99999", "?district=ma-99", "?type=nonsense", "?distance=7", "?access=x"])
def test_a_bad_filter_gives_the_page_with_a_message(client, world, query):
    html = _text(client.get("/embed/events/" + query))
    assert 'role="alert"' in html
    assert "Lowell rally" not in html


def test_the_find_box_names_the_district_and_the_listed_groups_for_a_place(client, world, settings):
    html = _text(client.get("/embed/find/"))
    assert 'name="q"' in html and "Indivisible Lowell" not in html
    html = _text(client.get("/embed/find/?q=Dracut"))
    assert "MA-3" in html and world["group"].name in html
    assert "Indivisible Dracut" not in html  # pending: not listed
    assert f'href="{settings.SITE_URL}/groups/{world["group"].slug}/"' in html
    html = _text(client.get("/embed/find/?q=Narnia"))
    assert 'role="alert"' in html


EMBEDS = ["/embed/events/", "/embed/find/", "/embed/districts/ma-3/events/"]


@pytest.mark.parametrize("path", EMBEDS)
def test_embeds_may_be_framed_by_any_site(client, world, path):
    response = client.get(path)
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    assert "frame-ancestors *" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" not in response["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/", "/events/", "/groups/", "/no-such-page/", "/embed/no-such-embed/", "/admin/"])
def test_every_other_page_still_refuses_to_be_framed(client, world, path):
    response = client.get(path)
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


@pytest.mark.page_cache
def test_an_embed_comes_from_the_page_cache_the_second_time_and_stays_frameable(client, world):
    cache.clear()
    path = f"/embed/groups/{world['group'].slug}/events/"
    first, second = client.get(path), client.get(path)
    assert first["X-Page-Cache"] == "miss" and second["X-Page-Cache"] == "hit"
    assert second.content == first.content
    assert "X-Frame-Options" not in second and "frame-ancestors *" in second["Content-Security-Policy"]


def test_the_group_page_offers_the_snippet_to_copy(client, world, settings):
    html = _text(client.get(f"/groups/{world['group'].slug}/"))
    assert "Embed this" in html
    src = f"{settings.SITE_URL}/embed/groups/{world['group'].slug}/events/"
    assert f"&lt;iframe src=&quot;{src}&quot;" in html and "loading=&quot;lazy&quot;" in html


def test_the_district_page_offers_the_snippet_to_copy(client, world, settings):
    html = _text(client.get("/districts/ma-3/"))
    assert "Embed this" in html
    assert f"&lt;iframe src=&quot;{settings.SITE_URL}/embed/districts/ma-3/events/&quot;" in html


def test_a_group_not_yet_listed_offers_no_snippet_even_to_its_organizers(client, organizer, lowell_group):
    lowell_group.status = GroupStatus.PENDING
    lowell_group.save()
    client.force_login(organizer)
    html = _text(client.get(f"/groups/{lowell_group.slug}/"))
    assert "Embed this" not in html and "/embed/" not in html


@pytest.mark.parametrize(
    "path", ["/embed/groups/lowell-indivisible/events/", "/embed/districts/ma-3/events/", "/embed/events/?zip=01852"]
)
def test_an_embed_costs_the_same_queries_for_one_event_or_ten(client, lowell_group, path, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_event(host_group=lowell_group, title="Lowell rally")
    with CaptureQueriesContext(connection) as one:
        _text(client.get(path))
    for n in range(9):
        make_event(host_group=lowell_group, title=f"Lowell meeting {n}")
    with django_assert_num_queries(len(one.captured_queries)):
        html = _text(client.get(path))
    assert html.count('class="list-group-item event-card"') == 10


def test_a_renamed_groups_old_embed_address_still_shows_its_events(client, world):
    from groups.models import GroupSlugHistory

    GroupSlugHistory.objects.create(slug="old-lowell-name", group=world["group"])
    response = client.get("/embed/groups/old-lowell-name/events/?x=1")
    assert response.status_code == 301
    assert response["Location"] == f"/embed/groups/{world['group'].slug}/events/?x=1"
    assert "Lowell rally" in _text(client.get(response["Location"]))
