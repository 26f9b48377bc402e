"""Privacy across the apps: what deleting an account takes with it, what it leaves, and how long
relay messages are kept. tests/accounts/test_privacy.py covers the account's own rows; these
tests put the member into groups, events and the newsletter first, through the site.

The cast: Alice (``activist``) organizes "Lowell Indivisible" together with Olga, created one of
its events, RSVPs to another, subscribes to the newsletter and has received an issue. A
coordinator once changed her account in the admin (the admin's log names her).
"""

from __future__ import annotations

import datetime
import json
import logging

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import models
from django.db.models.functions import Cast
from django.test import Client
from django.utils import timezone

from accounts.models import User
from accounts.services import user_ensure
from events.models import Event, EventStatus, Rsvp, RsvpStatus
from groups import services as group_services
from groups.models import Membership, MembershipRole, MembershipStatus, RelayMessage
from imc.celery import app
from newsletter import services as newsletter_services
from newsletter.models import Delivery, Subscriber
from outbox.models import OutboundEmail
from tests.conftest import PASSWORD
from tests.events.conftest import make_event, make_group
from tests.newsletter.helpers import compose

pytestmark = pytest.mark.django_db

ALICE = "alice@example.org"


@pytest.fixture
def olga(db):
    return user_ensure(email="olga@example.org", password=PASSWORD, first_name="Olga")


@pytest.fixture
def alices_world(client, activist, olga, coordinator, django_capture_on_commit_callbacks):
    """Alice takes part in everything, through the site where there is a page for it."""
    group = make_group("Lowell Indivisible", "Lowell", olga)
    Membership.objects.create(group=group, user=activist, role=MembershipRole.ORGANIZER, status=MembershipStatus.ACTIVE)
    other_group = make_group(
        "Worcester Indivisible", "Worcester", user_ensure(email="w@example.org", password=PASSWORD)
    )
    organised = make_event(host_group=group, title="Alice's teach-in", created_by=activist)
    attended = make_event(host_group=other_group, town="Worcester", title="Worcester rally")

    client.force_login(activist)
    assert client.post(f"/groups/{other_group.slug}/join/").status_code == 302
    assert client.post(f"/events/{attended.slug}/rsvp/").status_code == 302
    assert client.post(f"/events/{organised.slug}/rsvp/").status_code == 302
    assert client.post("/newsletter/member/", {"action": "subscribe"}).status_code == 302
    assert (
        client.post(
            f"/groups/{other_group.slug}/contact/", {"name": "Alice", "email": ALICE, "message": "See you Sunday"}
        ).status_code
        == 302
    )
    with django_capture_on_commit_callbacks(execute=True):
        newsletter_services.newsletter_send_now(newsletter=compose("Spring"), by=coordinator)
    LogEntry.objects.log_actions(
        user_id=coordinator.pk, queryset=[activist], action_flag=CHANGE, change_message="Changed home town."
    )
    assert Delivery.objects.filter(subscriber__email=ALICE).count() == 1
    assert Rsvp.objects.filter(user=activist, status=RsvpStatus.GOING).count() == 2
    return {"group": group, "other_group": other_group, "organised": organised, "attended": attended}


def _rows_naming(address: str) -> list[str]:
    """Every row of every table with a text column that contains ``address``."""
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.JSONField):
                queryset = model._default_manager.annotate(_text=Cast(field.name, models.TextField()))
                lookup = {"_text__icontains": address}
            elif isinstance(field, (models.CharField, models.TextField)):
                queryset, lookup = model._default_manager.all(), {f"{field.name}__icontains": address}
            else:
                continue
            for pk in queryset.filter(**lookup).values_list("pk", flat=True):
                found.append(f"{model._meta.label}.{field.name} #{pk}")
    return found


def test_the_export_holds_memberships_rsvps_and_the_subscription(client, activist, alices_world):
    data = json.loads(client.get("/accounts/data/").content)
    assert sorted(m["group"] for m in data["groups"]["memberships"]) == ["Lowell Indivisible", "Worcester Indivisible"]
    assert sorted(r["event"] for r in data["events"]["rsvps"]) == ["Alice's teach-in", "Worcester rally"]
    [subscription] = data["newsletter"]["subscriptions"]
    assert subscription["email"] == ALICE
    assert subscription["status"] == "confirmed"
    assert [d["issue"] for d in subscription["deliveries"]] == ["Spring"]


def test_deleting_the_account_takes_memberships_rsvps_and_subscriptions_and_leaves_no_address(
    client, activist, olga, alices_world, caplog
):
    assert _rows_naming(ALICE)  # the scan finds her before, so its silence after means something
    caplog.set_level(logging.DEBUG)

    response = client.post("/accounts/delete/", {"password": PASSWORD})

    assert response.status_code == 302
    assert not User.objects.filter(pk=activist.pk).exists()
    assert not Membership.objects.filter(user_id=activist.pk).exists()
    assert not Rsvp.objects.filter(user_id=activist.pk).exists()
    assert not Subscriber.objects.filter(email__iexact=ALICE).exists()
    assert not Delivery.objects.filter(subscriber__email__iexact=ALICE).exists()
    assert not RelayMessage.objects.filter(sender_email__iexact=ALICE).exists()
    assert not OutboundEmail.objects.filter(to__iexact=ALICE).exists()
    assert _rows_naming(ALICE) == []
    assert _rows_naming("alice@") == []
    assert ALICE not in caplog.text


def test_the_group_and_event_she_organised_stay_with_the_other_organizer(client, activist, olga, alices_world):
    group, organised = alices_world["group"], alices_world["organised"]
    client.post("/accounts/delete/", {"password": PASSWORD})

    visitor = Client()
    page = visitor.get(group.get_absolute_url())
    assert page.status_code == 200 and "Olga" in page.content.decode()
    assert visitor.get(organised.get_absolute_url()).status_code == 200
    assert Event.objects.get(pk=organised.pk).status == EventStatus.PUBLISHED
    assert list(Membership.objects.organizers().filter(group=group).values_list("user__email", flat=True)) == [
        olga.email
    ]
    # Olga still runs both: the listing and the event Alice created.
    olgas = Client()
    olgas.force_login(olga)
    assert olgas.get(f"/groups/{group.slug}/edit/").status_code == 200
    assert olgas.get(f"/events/{organised.slug}/edit/").status_code == 200
    assert olgas.get(f"/events/{organised.slug}/attendees/").status_code == 200


def test_relay_messages_older_than_the_privacy_page_says_are_deleted_by_the_beat_task(client, olga):
    """The beat entry (looked up by its schedule name, as beat does) deletes messages after 90 days."""
    group = make_group("Lowell Indivisible", "Lowell", olga)
    group_services.relay_send(group=group, sender_name="A", sender_email="a@x.org", body="old", ip_address=None)
    assert settings.GROUPS_RELAY_KEEP_DAYS == 90
    assert "deleted from our database after 90 days" in client.get("/privacy/").content.decode()
    entry = settings.CELERY_BEAT_SCHEDULE["groups-purge-relay-messages"]
    assert entry["schedule"] <= 24 * 3600  # checked at least daily
    app.loader.import_default_modules()
    purge = app.tasks[entry["task"]]

    with time_machine.travel(timezone.now() + datetime.timedelta(days=89), tick=False):
        group_services.relay_send(group=group, sender_name="B", sender_email="b@x.org", body="new", ip_address=None)
        assert purge.apply().get() == 0
    with time_machine.travel(timezone.now() + datetime.timedelta(days=91), tick=False):
        assert purge.apply().get() == 1
    assert list(RelayMessage.objects.values_list("body", flat=True)) == ["new"]


# --- Every download, as every member of the cast ----------------------------------------------------


@pytest.fixture
def cast_world(activist, rep_ma3, rep_ma5, coordinator, django_capture_on_commit_callbacks):
    """The permission walk's world (tests/trust/test_permissions.py), plus two members:

    - Wes writes to the MA-3 group's organizers and to the team's lead through the contact forms.
    - Mallory adds addresses that are not hers at /accounts/email/ (Sue's, a subscriber; Rex's,
      who wrote to the group; Pat's, which has an account) and writes to the group giving Pat's
      address as hers. She can confirm none of them.
    Sue also has mail queued for her.
    """
    from allauth.account.models import EmailAddress

    from outbox.services import email_queue
    from tests.trust.test_permissions import build_world

    world = build_world(activist, rep_ma3, rep_ma5, coordinator, django_capture_on_commit_callbacks)
    wes = user_ensure(email="wes@example.org", password=PASSWORD, first_name="Wes", last_name="Ambleside")
    mallory = user_ensure(email="mallory@example.org", password=PASSWORD, first_name="Mal", last_name="Grindlewick")
    world.personal["wes"] = (wes.email, "Ambleside")
    world.personal["mallory"] = (mallory.email, "Grindlewick")

    writer = Client()
    writer.force_login(wes)
    form = {"name": "Wes", "email": wes.email}
    group_contact, team_contact = f"/groups/{world.group.slug}/contact/", f"/teams/{world.team.slug}/contact/"
    assert writer.post(group_contact, {**form, "message": "Wes to the group"}).status_code == 302
    assert writer.post(team_contact, {**form, "message": "Wes to the team"}).status_code == 302

    intruder = Client()
    intruder.force_login(mallory)
    for address in ("sue@example.org", "rex@example.org", "pat@example.org"):
        assert intruder.post("/accounts/email/", {"action_add": "", "email": address}).status_code == 302
    assert set(EmailAddress.objects.filter(user=mallory, verified=False).values_list("email", flat=True)) >= {
        "sue@example.org",
        "rex@example.org",
    }
    post = {"name": "Mal", "email": "pat@example.org", "message": "Mal as Pat"}
    assert intruder.post(group_contact, post).status_code == 302

    world.objects["sue_queued"] = email_queue(
        kind="test.notice", to="sue@example.org", subject="For Sue", body_text="x"
    )
    world.users.update(
        {key: User.objects.get(email=world.personal[key][0]) for key in ("pat", "quinn", "lea", "vic", "cal")},
        wes=wes,
        mallory=mallory,
    )
    return world


def _download(user) -> str:
    client = Client()
    client.force_login(user)
    response = client.get("/accounts/data/")
    assert response.status_code == 200
    return response.content.decode()


def test_no_members_data_download_names_anybody_elses_address(cast_world):
    downloads = {who: _download(user) for who, user in cast_world.users.items()}
    assert set(downloads) >= {"member", "organizer", "rep", "coordinator", "lea", "wes", "mallory"}

    # Controls: what each must find in their own file, so the search below can see.
    for who, text in downloads.items():
        assert cast_world.personal[who][0] in text, f"{who}'s download lacks their own address"
    organizers_mail = json.loads(downloads["organizer"])["emails"]
    assert {"groups.relay"} <= {e["kind"] for e in organizers_mail}
    assert {"teams.relay"} <= {e["kind"] for e in json.loads(downloads["lea"])["emails"]}
    leaks = [
        f"{who}'s download names {whose}'s address"
        for who, text in downloads.items()
        for whose, (email, _surname) in cast_world.personal.items()
        # An attendee's answer to the event's question ("pat_answer") is theirs to download.
        if whose not in (who, f"{who}_answer") and email.lower() in text.lower()
    ]
    assert not leaks, "\n".join(leaks)
    assert cast_world.personal["pat_answer"][0] in downloads["pat"]

    # What the files hold instead: the messages written, not their recipients.
    wrote = json.loads(downloads["wes"])["groups"]["messages_sent"]
    assert sorted(m["body"] for m in wrote) == ["Wes to the group", "Wes to the team"]
    mallorys = json.loads(downloads["mallory"])
    assert [(m["body"], m["reply_to"]) for m in mallorys["groups"]["messages_sent"]] == [("Mal as Pat", None)]
    assert mallorys["newsletter"]["subscriptions"] == []
    assert [s["email"] for s in json.loads(downloads["member"])["newsletter"]["subscriptions"]] == [ALICE]


def test_deleting_an_account_with_unverified_addresses_leaves_their_owners_data(cast_world):
    sue = Subscriber.objects.get(email="sue@example.org")
    sues_deliveries = Delivery.objects.filter(subscriber=sue).count()
    rexs_message = RelayMessage.objects.get(sender_email="rex@example.org")
    assert sues_deliveries == 1

    client = Client()
    client.force_login(cast_world.users["mallory"])
    assert client.post("/accounts/delete/", {"password": PASSWORD}).status_code == 302

    assert not User.objects.filter(email="mallory@example.org").exists()
    assert Subscriber.objects.filter(pk=sue.pk, status=sue.status).exists()
    assert Delivery.objects.filter(subscriber=sue).count() == sues_deliveries
    assert OutboundEmail.objects.filter(pk=cast_world.objects["sue_queued"].pk, status="queued").exists()
    assert RelayMessage.objects.filter(pk=rexs_message.pk).exists()
    # Her own message goes with her, though she gave Pat's address in it.
    assert not RelayMessage.objects.filter(body="Mal as Pat").exists()
    assert User.objects.filter(email="pat@example.org").exists()
