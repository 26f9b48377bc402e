"""Amplify: a rep features an event of their district from the desk (a coordinator any event); it
is highlighted first on the home page, its district's page and the newsletter's events block of
that district's readers until it has taken place. A rep of another district, a member and a
visitor feature nothing, by page or by POST."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from desk import services
from desk.models import FeaturedEvent
from districts.models import District
from newsletter.selectors import upcoming_events
from tests.events.conftest import make_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def lowell_event(lowell_group):
    return make_event(host_group=lowell_group, title="Lowell town hall")  # MA-3


@pytest.fixture
def framingham_event():
    return make_event(town="Framingham", title="Framingham canvass")  # MA-5


def _post(client, district, event, action="feature"):
    return client.post(f"/desk/{district}/featured/", {"event": event.pk, "action": action})


def test_a_rep_features_an_event_of_their_district_from_the_desk_and_unfeatures_it(rep_client, rep_ma3, lowell_event):
    page = rep_client.get("/desk/ma-3/featured/")
    assert page.status_code == 200 and "Lowell town hall" in page.content.decode()
    response = _post(rep_client, "ma-3", lowell_event)
    assert response.status_code == 302
    feature = FeaturedEvent.objects.get(event=lowell_event)
    assert feature.featured_by == rep_ma3
    assert "Unfeature" in rep_client.get("/desk/ma-3/featured/").content.decode()
    assert _post(rep_client, "ma-3", lowell_event, "unfeature").status_code == 302
    assert not FeaturedEvent.objects.exists()


def test_a_rep_of_another_district_cannot_feature_by_page_or_post(other_rep_client, rep_ma5, lowell_event):
    assert other_rep_client.get("/desk/ma-3/featured/").status_code == 404
    assert _post(other_rep_client, "ma-3", lowell_event).status_code == 404
    # Their own desk does not list another district's event, and refuses it by a forged POST.
    response = _post(other_rep_client, "ma-5", lowell_event)
    assert response.status_code == 200 and "cannot be featured here" in response.content.decode()
    with pytest.raises(services.DeskError):
        services.event_feature(by=rep_ma5, event=lowell_event)
    assert not FeaturedEvent.objects.exists()


def test_a_rep_cannot_unfeature_another_districts_feature(rep_ma5, coordinator, lowell_event):
    services.event_feature(by=coordinator, event=lowell_event)
    with pytest.raises(services.DeskError):
        services.event_unfeature(by=rep_ma5, event=lowell_event)
    assert FeaturedEvent.objects.filter(event=lowell_event).exists()


@pytest.mark.parametrize("who", ["anonymous", "member", "organizer"])
def test_members_organizers_and_visitors_feature_nothing(who, activist, organizer, lowell_event):
    client = Client()
    if who != "anonymous":
        client.force_login(activist if who == "member" else organizer)
    assert client.get("/desk/ma-3/featured/").status_code in (302, 403)
    assert _post(client, "ma-3", lowell_event).status_code in (302, 403)
    user = {"member": activist, "organizer": organizer}.get(who)
    if user is not None:
        with pytest.raises(services.DeskError):
            services.event_feature(by=user, event=lowell_event)
    assert not FeaturedEvent.objects.exists()


def test_a_coordinator_features_an_event_of_any_district(coordinator_client, lowell_event, framingham_event):
    assert _post(coordinator_client, "ma-5", framingham_event).status_code == 302
    assert _post(coordinator_client, "ma-3", lowell_event).status_code == 302
    assert FeaturedEvent.objects.count() == 2


def test_a_draft_or_past_event_cannot_be_featured(coordinator, lowell_group):
    draft = make_event(host_group=lowell_group, status="draft")
    past = make_event(host_group=lowell_group, start=timezone.now() - timedelta(days=2))
    for event in (draft, past):
        with pytest.raises(services.DeskError):
            services.event_feature(by=coordinator, event=event)


def test_a_featured_event_leads_the_home_page_and_its_districts_page(client, coordinator, lowell_event):
    make_event(title="An earlier unfeatured event", start=timezone.now() + timedelta(days=1))
    assert "featured-heading" not in client.get("/").content.decode()
    services.event_feature(by=coordinator, event=lowell_event)
    home = client.get("/").content.decode()
    assert "featured-heading" in home
    assert home.index("Lowell town hall") < home.index("An earlier unfeatured event")
    district = client.get("/districts/ma-3/").content.decode()
    assert "Featured events in MA-3" in district
    assert "Featured events in MA-5" not in client.get("/districts/ma-5/").content.decode()


def test_the_newsletter_block_of_the_districts_readers_lists_the_featured_event_first(coordinator, lowell_event):
    soon = make_event(title="Sooner Lowell event", start=timezone.now() + timedelta(days=1))
    ma3 = District.objects.get(slug="ma-3")
    assert [i.title for i in upcoming_events(ma3.pk)] == [soon.title, lowell_event.title]
    services.event_feature(by=coordinator, event=lowell_event)
    items = upcoming_events(ma3.pk)
    assert [(i.title, i.featured) for i in items] == [(lowell_event.title, True), (soon.title, False)]
    # Other districts' readers do not get it.
    ma5 = District.objects.get(slug="ma-5")
    assert lowell_event.title not in [i.title for i in upcoming_events(ma5.pk)]


def test_a_feature_is_shown_until_the_event_has_taken_place(coordinator, lowell_event):
    from desk.selectors import featured_events

    services.event_feature(by=coordinator, event=lowell_event)
    assert featured_events(None) == [lowell_event]
    after = lowell_event.ends_at + timedelta(minutes=1)
    assert featured_events(None, now=after) == []
    assert featured_events(District.objects.get(slug="ma-3"), now=after) == []


def test_in_the_admin_a_rep_features_only_their_districts_events(
    rep_client, other_rep_client, member_client, coordinator, lowell_event, framingham_event
):
    add = "/admin/desk/featuredevent/add/"
    assert member_client.get(add).status_code == 403
    assert member_client.post(add, {"event": lowell_event.pk}).status_code == 403
    response = other_rep_client.post(add, {"event": lowell_event.pk})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not FeaturedEvent.objects.exists()
    assert rep_client.post(add, {"event": lowell_event.pk}).status_code == 302
    feature = FeaturedEvent.objects.get(event=lowell_event)
    # Another district's rep finds no such feature, and cannot remove it.
    assert "Lowell town hall" not in other_rep_client.get("/admin/desk/featuredevent/").content.decode()
    assert other_rep_client.post(f"/admin/desk/featuredevent/{feature.pk}/delete/", {"post": "yes"}).status_code == 302
    assert FeaturedEvent.objects.filter(pk=feature.pk).exists()
    assert rep_client.post(f"/admin/desk/featuredevent/{feature.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not FeaturedEvent.objects.exists()
