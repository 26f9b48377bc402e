"""seed_demo fills the desk and the notification settings, and a second run changes nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.demo import demo_email
from accounts.models import NotificationKind, NotificationMode, NotificationPreference, User
from allies.models import Ally, AllyCohost
from desk.models import ContactNote, FeaturedEvent, MemberCount
from groups.models import Group, Membership, NotificationItem
from outbox.models import OutboundEmail
from tests.conftest import staff_client_for

pytestmark = pytest.mark.django_db

COUNTED = [
    User,
    Group,
    Membership,
    ContactNote,
    MemberCount,
    NotificationPreference,
    NotificationItem,
    OutboundEmail,
    Ally,
    AllyCohost,
    FeaturedEvent,
]


def _seed() -> None:
    call_command("seed_demo", stdout=io.StringIO())


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def test_seeding_twice_gives_the_same_rows():
    _seed()
    first = _counts()
    assert first["ContactNote"] >= 3 and first["MemberCount"] > 0
    _seed()
    assert _counts() == first


def test_the_demo_has_a_public_ally_co_hosting_the_featured_town_hall(client):
    _seed()
    feature = FeaturedEvent.objects.select_related("event", "featured_by").get()
    assert feature.featured_by.email.startswith("rep-ma-3@") and feature.event.title.endswith("(demo)")
    ally = Ally.objects.get()
    assert ally.is_public and ally.name.endswith("(demo)") and ally.contact_email.endswith(".invalid")
    assert AllyCohost.objects.filter(ally=ally, event=feature.event).exists()
    assert feature.event.title in client.get("/").content.decode()
    assert ally.name in client.get(feature.event.get_absolute_url()).content.decode()


def test_the_demo_notes_are_by_demo_reps_and_one_check_in_is_due():
    _seed()
    notes = ContactNote.objects.select_related("rep", "group")
    assert {n.rep.email.split("@")[0] for n in notes} <= {f"rep-ma-{i}" for i in range(1, 10)}
    assert all(n.group.name.endswith("(demo)") for n in notes)
    assert notes.filter(next_check_in__lt=timezone.localdate()).exists()


def test_one_demo_organizer_has_the_daily_digest_with_an_item_waiting():
    _seed()
    digest = NotificationPreference.objects.filter(kind=NotificationKind.JOIN_REQUEST, mode=NotificationMode.DIGEST)
    assert digest.count() == 1
    organizer = digest.get().user
    assert organizer.email.endswith("@" + demo_email("x").split("@")[1])
    assert NotificationItem.objects.waiting().filter(recipient=organizer).count() == 1


def test_the_ma3_demo_rep_sees_their_notes_on_the_desk():
    _seed()
    rep = User.objects.get(email=demo_email("rep-ma-3"))
    client = staff_client_for(rep)
    page = client.get(reverse("desk:district", args=["ma-3"]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Merrimack Valley Indivisible (demo)" in html
    assert rep.display_name in html  # the latest note's author on the group's row
    log = client.get(reverse("desk:group", args=["ma-3", Group.objects.get(name__startswith="Merrimack").slug]))
    assert log.status_code == 200
    assert "they would like help with a phone bank" in log.content.decode()
