"""An event imported from Mobilize on the portal: it says where it comes from, sends people to
Mobilize to RSVP (the portal's RSVPs refuse it), and its copied fields are the sync's alone."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from events import services
from events.models import Event, Rsvp
from imports.models import ImportedEvent, ImportSource
from tests.events.conftest import make_event

pytestmark = pytest.mark.django_db

MOBILIZE_URL = "https://www.mobilize.us/lowell/event/4711/"


@pytest.fixture
def imported(lowell_group, coordinator):
    source = ImportSource.objects.create(name="Lowell on Mobilize", mobilize_org_id=99, acts_as=coordinator)
    event = make_event(host_group=lowell_group, title="Canvass from Mobilize", description="Knock doors.")
    ImportedEvent.objects.create(
        source=source, mobilize_event_id=4711, mobilize_timeslot_id=1, event=event, browser_url=MOBILIZE_URL
    )
    return event


def test_an_imported_events_page_says_where_it_comes_from_and_links_there_to_rsvp(client, imported):
    html = client.get(f"/events/{imported.slug}/").content.decode()
    assert "Imported from" in html and "Mobilize" in html
    assert f'href="{MOBILIZE_URL}"' in html and "RSVP on Mobilize" in html
    assert "guest-rsvp-link" not in html and "/rsvp/" not in html


def test_a_members_page_of_an_imported_event_has_no_rsvp_form(client, imported, activist):
    client.force_login(activist)
    html = client.get(f"/events/{imported.slug}/").content.decode()
    assert "RSVP on Mobilize" in html and f"/events/{imported.slug}/rsvp/" not in html


def test_the_portals_own_events_keep_their_rsvp(client, lowell_group):
    event = make_event(host_group=lowell_group)
    html = client.get(f"/events/{event.slug}/").content.decode()
    assert "guest-rsvp-link" in html and "RSVP on Mobilize" not in html


def test_a_members_rsvp_post_to_an_imported_event_is_refused_with_a_message(client, imported, activist):
    client.force_login(activist)
    response = client.post(f"/events/{imported.slug}/rsvp/", {"bringing": "0"}, follow=True)
    assert not Rsvp.objects.filter(event=imported).exists()
    text = response.content.decode()
    assert "imported from Mobilize" in text and MOBILIZE_URL in text


def test_a_guests_rsvp_post_to_an_imported_event_is_refused_with_a_message(client, imported):
    data = {"name": "Gwen", "email": "gwen@example.org", "bringing": "0"}
    response = client.post(f"/events/{imported.slug}/rsvp/guest/", data)
    assert response.status_code == 400
    assert not Rsvp.objects.filter(event=imported).exists()
    assert "imported from Mobilize" in response.content.decode()


def test_the_rsvp_services_refuse_an_imported_event(imported, activist):
    with pytest.raises(services.RsvpElsewhere):
        services.rsvp_create(event=imported, user=activist)
    with pytest.raises(services.RsvpElsewhere):
        services.guest_rsvp_request(event=imported, name="Gwen", email="gwen@example.org")


def test_the_organizers_edit_form_shows_the_imported_fields_read_only_and_keeps_them(
    client, imported, organizer, django_capture_on_commit_callbacks
):
    client.force_login(organizer)
    page = client.get(f"/events/{imported.slug}/edit/").content.decode()
    assert 'name="title"' in page and "disabled" in page and "Imported from Mobilize" in page
    data = {
        "title": "Changed on the portal", "event_type": "rally", "starts_at": "2031-01-01T10:00",
        "ends_at": "2031-01-01T12:00", "description": "New words", "capacity": "12", "remind_day_before": "on",
    }  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/events/{imported.slug}/edit/", data)
    assert response.status_code == 302
    imported.refresh_from_db()
    assert imported.title == "Canvass from Mobilize" and imported.description == "Knock doors."
    assert imported.capacity == 12  # what the sync does not copy stays the organizer's


def test_the_update_service_refuses_a_change_to_an_imported_field_by_anyone_but_the_sync(
    imported, organizer, coordinator
):
    with pytest.raises(ValidationError) as refused:
        services.event_update(event=imported, by=organizer, title="Changed")
    assert "title" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.event_update(event=imported, by=coordinator, description="Changed")
    services.event_update(event=imported, by=organizer, capacity=30)  # not an imported field
    services.event_update(event=imported, by=coordinator, from_origin=True, title="Renamed on Mobilize")
    assert Event.objects.get(pk=imported.pk).title == "Renamed on Mobilize"


def test_the_admin_changes_no_imported_field(imported, coordinator, staff_client_factory):
    client: Client = staff_client_factory(coordinator)
    url = f"/admin/events/event/{imported.pk}/change/"
    assert client.get(url).status_code == 200
    client.post(url, {"title": "Changed in the admin", "description": "x"})
    imported.refresh_from_db()
    assert imported.title == "Canvass from Mobilize"


def test_the_read_only_fields_are_exactly_those_a_sync_writes():
    from datetime import UTC, datetime

    from imports.services import COPIED_FIELDS, translate

    now = datetime(2031, 1, 1, tzinfo=UTC)
    start = int(now.timestamp()) + 3600
    raw = {
        "id": 1, "title": "Canvass", "timeslots": [{"id": 2, "start_date": start, "end_date": start + 3600}],
        "location": {"region": "MA", "postal_code": "01852", "locality": "Lowell", "address_lines": ["1 Main St"]},
    }  # fmt: skip
    assert set(translate(raw, now=now).values) | {"starts_at", "ends_at"} == COPIED_FIELDS
