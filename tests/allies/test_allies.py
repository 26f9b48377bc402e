"""Allies: coordinators keep them in the admin; public ones have a page with their joint events
and a relay form that never shows their address; private ones are a 404; an event co-hosted with
a public ally names it on its page; a district's desk lists its allies, public or not."""

from __future__ import annotations

import pytest
from django.test import Client

from allies import services
from allies.models import Ally, AllyCohost
from districts.models import District
from outbox.models import OutboundEmail
from tests.conftest import staff_client_for
from tests.events.conftest import make_event

pytestmark = pytest.mark.django_db

SECRET = "hidden.contact@tenants.example"


@pytest.fixture
def ally():
    ally = Ally.objects.create(
        name="Tenants Union",
        slug="tenants-union",
        website="https://tenants.example/",
        is_public=True,
        contact_email=SECRET,
    )
    ally.districts.set([District.objects.get(slug="ma-3")])
    return ally


@pytest.fixture
def private_ally():
    ally = Ally.objects.create(name="Quiet Partners", slug="quiet-partners", contact_email="q@quiet.example")
    ally.districts.set([District.objects.get(slug="ma-3")])
    return ally


@pytest.fixture
def joint_event(ally, lowell_group):
    event = make_event(host_group=lowell_group, title="Joint tenants forum")
    AllyCohost.objects.create(ally=ally, event=event)
    return event


def test_the_public_list_and_page_show_a_public_ally_with_its_joint_events(client, ally, joint_event):
    listing = client.get("/allies/").content.decode()
    assert "Tenants Union" in listing
    page = client.get("/allies/tenants-union/")
    body = page.content.decode()
    assert page.status_code == 200 and "Joint tenants forum" in body and "MA-3" in body
    assert SECRET not in listing + body


def test_a_private_ally_is_not_listed_and_its_pages_are_404(client, private_ally):
    assert "Quiet Partners" not in client.get("/allies/").content.decode()
    assert client.get("/allies/quiet-partners/").status_code == 404
    assert client.get("/allies/quiet-partners/write/").status_code == 404
    assert (
        client.post("/allies/quiet-partners/write/", {"name": "A", "email": "a@x.example", "message": "hi"}).status_code
        == 404
    )
    assert not OutboundEmail.objects.exists()


def test_the_event_page_names_its_public_allies_only(client, ally, private_ally, joint_event):
    AllyCohost.objects.create(ally=private_ally, event=joint_event)
    body = client.get(joint_event.get_absolute_url()).content.decode()
    assert 'href="/allies/tenants-union/"' in body
    assert "Quiet Partners" not in body and SECRET not in body


def test_writing_to_an_ally_goes_through_the_outbox_with_the_sender_as_reply_to(client, ally):
    response = client.post(
        "/allies/tenants-union/write/", {"name": "Ada", "email": "ada@example.org", "message": "Shall we?"}
    )
    assert response.status_code == 302
    email = OutboundEmail.objects.get(kind="allies.relay")
    assert email.to == SECRET and email.reply_to == "ada@example.org" and "Shall we?" in email.body_text
    assert SECRET not in client.get(response["Location"]).content.decode()


def test_a_bad_message_re_renders_the_form_and_sends_nothing(client, ally):
    response = client.post("/allies/tenants-union/write/", {"name": "", "email": "not-an-address", "message": ""})
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    assert not OutboundEmail.objects.exists()


def test_writing_is_rate_limited_per_sender(client, ally):
    data = {"name": "Ada", "email": "ada@example.org", "message": "Again"}
    for _ in range(services.WRITES_PER_SENDER_PER_HOUR):
        assert client.post("/allies/tenants-union/write/", data).status_code == 302
    response = client.post("/allies/tenants-union/write/", data)
    assert response.status_code == 429 and "last hour" in response.content.decode()
    assert OutboundEmail.objects.count() == services.WRITES_PER_SENDER_PER_HOUR


def test_the_districts_desk_lists_its_allies_public_or_not(staff_client_factory, rep_ma3, rep_ma5, ally, private_ally):
    body = staff_client_factory(rep_ma3).get("/desk/ma-3/").content.decode()
    assert "Tenants Union" in body and "Quiet Partners" in body and "not shown publicly" in body
    assert SECRET not in body
    assert "Tenants Union" not in staff_client_factory(rep_ma5).get("/desk/ma-5/").content.decode()


def test_only_coordinators_keep_allies_in_the_admin(activist, rep_ma3, coordinator, ally):
    member = Client()
    member.force_login(activist)
    assert member.get("/admin/allies/ally/").status_code == 403
    rep = staff_client_for(rep_ma3)
    assert rep.get("/admin/allies/ally/").status_code == 403
    assert rep.get(f"/admin/allies/ally/{ally.pk}/change/").status_code == 403
    assert rep.post("/admin/allies/ally/add/", {"name": "X", "slug": "x"}).status_code == 403
    coord = staff_client_for(coordinator)
    assert coord.get("/admin/allies/ally/").status_code == 200
    change = coord.get(f"/admin/allies/ally/{ally.pk}/change/")
    assert change.status_code == 200 and "cohosts-TOTAL_FORMS" in change.content.decode()


def test_only_a_coordinator_names_an_ally_as_cohost(rep_ma3, organizer, coordinator, ally, lowell_group):
    event = make_event(host_group=lowell_group)
    for outsider in (rep_ma3, organizer):
        with pytest.raises(services.AllyError):
            services.cohost_add(by=outsider, ally=ally, event=event)
    services.cohost_add(by=coordinator, ally=ally, event=event)
    assert AllyCohost.objects.filter(ally=ally, event=event).exists()


def test_the_api_never_answers_with_an_allys_contact(client, ally, joint_event):
    for url in ("/api/v1/events/", f"/api/v1/events/{joint_event.slug}/", "/embed/events/"):
        response = client.get(url)
        assert SECRET not in response.content.decode(), url


def test_a_members_messages_to_allies_are_in_their_download_without_the_allys_address(activist, ally):
    member = Client()
    member.force_login(activist)
    data = {"name": "Ada", "email": activist.email, "message": "Joint forum?"}
    assert member.post("/allies/tenants-union/write/", data).status_code == 302
    download = member.get("/accounts/data/").content.decode()
    assert "Joint forum?" in download and SECRET not in download


def test_deleting_the_account_deletes_the_relayed_message_naming_it(activist, ally):
    from accounts.services import user_delete

    services.ally_write(ally=ally, sender_name="Ada", sender_email=activist.email, body="Hi", client=None)
    assert OutboundEmail.objects.filter(reply_to=activist.email).exists()
    user_delete(user=activist)
    assert not OutboundEmail.objects.filter(reply_to=activist.email).exists()
