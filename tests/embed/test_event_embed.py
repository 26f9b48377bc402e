"""One event's embed (``/embed/events/<slug>/``): a small card other sites frame, from the page
cache, with nothing the public page hides; and "Embed this" on the event's page."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from events import services
from events.models import EventStatus
from tests.events.conftest import make_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(lowell_group):
    return make_event(
        host_group=lowell_group, title="Lowell rally", venue="City Hall", address="375 Merrimack St",
        is_online=True, join_url="https://meet.example.org/secret-room",
    )  # fmt: skip


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_an_events_embed_is_a_card_linking_to_its_page_in_a_new_tab(client, event, settings):
    html = _text(client.get(f"/embed/events/{event.slug}/"))
    assert "Lowell rally" in html and "City Hall" in html and "Lowell Indivisible" in html
    assert f'href="{settings.SITE_URL}/events/{event.slug}/" target="_blank" rel="noopener"' in html
    assert "secret-room" not in html  # the join link is for the people who RSVP'd
    assert "site-header" not in html


def test_an_events_embed_hides_the_street_when_the_page_does(client, event, monkeypatch):
    from events import share

    monkeypatch.setattr(share, "street_visible", lambda event: False)
    html = _text(client.get(f"/embed/events/{event.slug}/"))
    assert "375 Merrimack St" not in html and "City Hall" not in html and "Lowell, MA" in html


def test_a_drafts_embed_is_not_found_and_a_cancelled_one_says_so(client, event, coordinator):
    draft = make_event(title="Secret plan", status=EventStatus.DRAFT)
    assert client.get(f"/embed/events/{draft.slug}/").status_code == 404
    assert client.get("/embed/events/no-such-event/").status_code == 404
    services.event_cancel(event=event, by=coordinator)
    assert "Cancelled" in _text(client.get(f"/embed/events/{event.slug}/"))


def test_an_events_embed_may_be_framed_by_any_site_and_its_page_may_not(client, event):
    embed = client.get(f"/embed/events/{event.slug}/")
    assert "X-Frame-Options" not in embed
    assert "frame-ancestors *" in embed["Content-Security-Policy"]
    page = client.get(f"/events/{event.slug}/")
    assert page["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in page["Content-Security-Policy"]


@pytest.mark.page_cache
def test_an_events_embed_comes_from_the_page_cache_and_stays_frameable(client, event):
    cache.clear()
    path = f"/embed/events/{event.slug}/"
    first, second = client.get(path), client.get(path)
    assert first["X-Page-Cache"] == "miss" and second["X-Page-Cache"] == "hit"
    assert "X-Frame-Options" not in second and "frame-ancestors *" in second["Content-Security-Policy"]


def test_the_event_page_offers_the_snippet_to_copy(client, event, settings):
    html = _text(client.get(f"/events/{event.slug}/"))
    assert "Embed this" in html
    src = f"{settings.SITE_URL}/embed/events/{event.slug}/"
    assert f"&lt;iframe src=&quot;{src}&quot; title=&quot;Lowell rally&quot;" in html


def test_a_drafts_page_offers_no_snippet_even_to_its_organizers(client, organizer, lowell_group):
    draft = make_event(host_group=lowell_group, title="Secret plan", status=EventStatus.DRAFT)
    client.force_login(organizer)
    html = _text(client.get(f"/events/{draft.slug}/"))
    assert "Embed this" not in html and "/embed/" not in html
