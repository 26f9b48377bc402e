"""Guest RSVPs (no account), party sizes, and the confirmation every RSVP gets (issue 12).

The rules table is ``events.rules.rsvp_outcome`` and ``waitlist_serves``; the services and pages
are walked for every bad input the issue names: a full, cancelled or past event, a party larger
than the seats left, one address twice, a forged or expired confirmation link.
"""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed
from django.core.cache import cache
from django.db import connection, connections
from django.utils import timezone

from events import rules, services, tokens
from events.models import GUEST_HOLD, EventStatus, Reminder, Rsvp, RsvpStatus
from events.reminders import reminders_tick
from events.rules import RsvpRefused
from events.selectors import seats_left, waitlist_position
from outbox.models import OutboundEmail
from tests.events.conftest import make_event

pytestmark = pytest.mark.django_db

GOING, WAIT, PENDING, CANCELLED = RsvpStatus.GOING, RsvpStatus.WAITLISTED, RsvpStatus.PENDING, RsvpStatus.CANCELLED
REFUSED = "refused"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()  # the rate limits count in the cache
    yield
    cache.clear()


# --- the rules table ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("capacity", "taken", "waiting", "party", "expected"),
    [
        (None, 500, False, 1, GOING),  # no limit
        (None, 0, False, 10, GOING),
        (None, 0, False, 11, REFUSED),  # a party is at most ten people
        (10, 0, False, 0, REFUSED),  # and at least one
        (10, 0, False, 4, GOING),
        (10, 6, False, 4, GOING),  # takes exactly the seats left
        (10, 7, False, 4, REFUSED),  # three seats left: a party of four does not fit
        (10, 9, False, 1, GOING),  # the last seat
        (10, 10, False, 1, WAIT),  # full: the waitlist
        (10, 10, False, 6, WAIT),  # full: a party waits too
        (10, 12, False, 1, WAIT),  # over-full (capacity lowered): the waitlist
        (10, 2, True, 1, WAIT),  # seats free but someone waits: no jumping the line
        (3, 0, False, 4, REFUSED),  # larger than the whole event: never fits
        (0, 0, False, 1, WAIT),  # no seats yet: waitlist only
        (0, 0, False, 5, WAIT),
    ],
)
def test_where_an_rsvp_goes(capacity, taken, waiting, party, expected):
    if expected == REFUSED:
        with pytest.raises(RsvpRefused):
            rules.rsvp_outcome(capacity=capacity, taken=taken, someone_waiting=waiting, party_size=party)
    else:
        assert rules.rsvp_outcome(capacity=capacity, taken=taken, someone_waiting=waiting, party_size=party) == expected


@pytest.mark.parametrize(
    ("free", "parties", "served"),
    [
        (0, [1, 1], 0),
        (2, [1, 1, 1], 2),
        (3, [2, 1], 2),
        (3, [4, 1], 0),  # the first in line does not fit: nobody behind overtakes it
        (5, [2, 4, 1], 1),
        (10, [], 0),
    ],
)
def test_the_waitlist_is_served_in_order_whole_parties_only(free, parties, served):
    assert rules.waitlist_serves(free=free, parties=parties) == served


def test_members_bring_people_and_seats_count_them(members):
    event = make_event(capacity=5)
    bob, carol, dave = members[:3]
    assert services.rsvp_create(event=event, user=bob, party_size=3).status == GOING
    assert seats_left(event) == 2
    with pytest.raises(RsvpRefused, match="Only 2 seats are left"):
        services.rsvp_create(event=event, user=carol, party_size=3)
    assert not Rsvp.objects.filter(user=carol).exists()  # nothing half-written
    assert services.rsvp_create(event=event, user=carol, party_size=2).status == GOING
    waiting = services.rsvp_create(event=event, user=dave, party_size=2)
    assert waiting.status == WAIT and waitlist_position(waiting) == 1
    # Bob's party of three leaves: Dave's party of two gets in.
    services.rsvp_cancel(rsvp=Rsvp.objects.get(user=bob), by=bob)
    assert Rsvp.objects.get(user=dave).status == GOING
    assert seats_left(event) == 1


def test_every_member_rsvp_is_answered_by_a_confirmation(members):
    event = make_event(capacity=1, title="Town hall")
    services.rsvp_create(event=event, user=members[0])
    services.rsvp_create(event=event, user=members[1])
    going, waiting = OutboundEmail.objects.filter(kind="events.rsvp_confirmation").order_by("pk")
    assert going.to == members[0].email and going.subject == "You're going: Town hall"
    assert waiting.to == members[1].email and "number 1 on the waitlist" in waiting.body_text
    for mail in (going, waiting):
        assert "/events/cant-come/" in mail.body_text
        assert [a["filename"] for a in mail.attachments] == [f"{event.slug}.ics"]
        assert "BEGIN:VEVENT" in mail.attachments[0]["content"]


# --- guests: the service -----------------------------------------------------------------------


def _link(kind: str, pattern: str, to: str | None = None) -> str:
    mails = OutboundEmail.objects.filter(kind=kind).order_by("-pk")
    if to:
        mails = mails.filter(to=to)
    return re.search(pattern, mails.first().body_text).group(0)


def _confirm_token(to: str) -> str:
    return _link("events.guest_confirm", r"/events/guest/confirm/([^/\s]+)/", to).split("/")[-2]


def _guest(event, email="gina@example.net", name="Gina", party=1, **kwargs):
    services.guest_rsvp_request(event=event, name=name, email=email, party_size=party, **kwargs)
    return Rsvp.objects.get(event=event, guest_email=email.lower())


def test_a_guest_holds_a_seat_until_they_confirm_it_by_the_mailed_link():
    event = make_event(capacity=3)
    rsvp = _guest(event, email="Gina@Example.NET", party=2, zip_code="01852")
    assert rsvp.status == PENDING and rsvp.holds_seat and rsvp.guest_email == "gina@example.net"
    assert seats_left(event) == 1  # the hold counts its party
    assert not Reminder.objects.exists()  # nothing is owed to a pending RSVP
    mail = OutboundEmail.objects.get(kind="events.guest_confirm")
    assert mail.to == "gina@example.net" and "60 minutes" in mail.body_text
    confirmed = services.guest_rsvp_confirm(rsvp=services.guest_rsvp_from_token(_confirm_token(mail.to)))
    assert confirmed.status == GOING and confirmed.confirmed_at is not None
    assert Reminder.objects.filter(rsvp=confirmed).count() == 2
    answer = OutboundEmail.objects.get(kind="events.rsvp_confirmation")
    assert answer.to == "gina@example.net" and "a party of 2" in answer.body_text
    assert "/events/guest/my-rsvps/" in answer.body_text and "/events/cant-come/" in answer.body_text


def test_an_unconfirmed_hold_runs_out_and_its_seat_goes_back():
    event = make_event(capacity=1)
    _guest(event)
    assert seats_left(event) == 0
    token = _confirm_token("gina@example.net")
    with time_machine.travel(timezone.now() + GUEST_HOLD + timedelta(minutes=1)):
        assert seats_left(event) == 1
        assert services.guest_rsvp_from_token(token) is None  # the link ran out with the hold


def test_a_guest_on_the_waitlist_is_promoted_reminded_and_can_say_they_cannot_come(members):
    event = make_event(capacity=1, start=timezone.now() + timedelta(days=3))
    bob = members[0]
    services.rsvp_create(event=event, user=bob)
    rsvp = _guest(event)
    assert not rsvp.holds_seat
    rsvp = services.guest_rsvp_confirm(rsvp=rsvp)
    assert rsvp.status == WAIT and waitlist_position(rsvp) == 1
    assert (
        "number 1 on the waitlist"
        in OutboundEmail.objects.get(to="gina@example.net", kind="events.rsvp_confirmation").body_text
    )
    services.rsvp_cancel(rsvp=Rsvp.objects.get(user=bob), by=bob)
    rsvp.refresh_from_db()
    assert rsvp.status == GOING
    assert OutboundEmail.objects.filter(kind="events.promoted", to="gina@example.net").exists()
    with time_machine.travel(event.starts_at - timedelta(hours=1)):
        reminders_tick()
    reminders = OutboundEmail.objects.filter(kind="events.reminder")
    assert {r.to for r in reminders} == {"gina@example.net"}
    reminder = reminders.first()
    assert "Hi Gina" in reminder.body_text and "/events/guest/my-rsvps/" in reminder.body_text
    cant_come = re.search(r"/events/cant-come/[^\s]+/", reminder.body_text).group(0)
    from django.test import Client

    page = Client().post(cant_come)
    assert page.status_code == 200 and b"Your RSVP is cancelled" in page.content
    rsvp.refresh_from_db()
    assert rsvp.status == CANCELLED


def test_change_and_cancel_notices_reach_guests(coordinator):
    event = make_event(capacity=5)
    services.guest_rsvp_confirm(rsvp=_guest(event))
    services.event_update(event=event, by=coordinator, venue="The library")
    services.event_cancel(event=event, by=coordinator)
    for kind in ("events.changed", "events.cancelled"):
        mail = OutboundEmail.objects.get(kind=kind)
        assert mail.to == "gina@example.net" and "Hi Gina" in mail.body_text


@pytest.mark.parametrize(
    ("status", "starts_in"),
    [(EventStatus.CANCELLED, timedelta(days=2)), (EventStatus.PUBLISHED, -timedelta(hours=1))],
)
def test_guests_cannot_rsvp_to_a_cancelled_or_past_event(status, starts_in):
    event = make_event(status=status, start=timezone.now() + starts_in)
    with pytest.raises(services.RsvpClosed):
        services.guest_rsvp_request(event=event, name="Gina", email="gina@example.net")
    assert not Rsvp.objects.exists() and not OutboundEmail.objects.exists()


def test_one_address_twice_keeps_one_rsvp_and_says_so_only_in_its_mail():
    event = make_event(capacity=5)
    first = _guest(event)
    again = _guest(event, party=4)  # still pending: the same link again, the hold not extended
    assert again.pk == first.pk and again.party_size == 1 and again.hold_until == first.hold_until
    assert OutboundEmail.objects.filter(kind="events.guest_confirm").count() == 2
    services.guest_rsvp_confirm(rsvp=again)
    _guest(event)
    assert Rsvp.objects.filter(event=event).count() == 1
    assert OutboundEmail.objects.filter(kind="events.guest_already", to="gina@example.net").count() == 1


def test_a_superseded_or_forged_confirmation_link_confirms_nothing():
    event = make_event(capacity=5)
    _guest(event)
    old = _confirm_token("gina@example.net")
    with time_machine.travel(timezone.now() + GUEST_HOLD + timedelta(minutes=5)):
        _guest(event)  # asked again after the hold ran out: a new hold, a new link
    assert services.guest_rsvp_from_token(old) is None
    assert services.guest_rsvp_from_token(old[:-2] + "xx") is None
    assert services.guest_rsvp_from_token(tokens.manage_token("gina@example.net")) is None  # another salt


@pytest.mark.django_db(transaction=True)
def test_two_guests_racing_for_the_last_seat_exactly_one_holds_it():
    """Real concurrent transactions on PostgreSQL: the event row lock serialises them."""
    if connection.vendor != "postgresql":
        pytest.skip("Concurrent transactions need PostgreSQL (CI runs this on PostgreSQL).")
    event = make_event(capacity=3)
    services.guest_rsvp_confirm(rsvp=_guest(event, email="first@example.net", party=2))
    racers = ["gina@example.net", "hank@example.net"]
    barrier = threading.Barrier(len(racers))
    errors: list[BaseException] = []

    def take_seat(email: str) -> None:
        try:
            barrier.wait(timeout=10)
            services.guest_rsvp_request(event=event, name=email, email=email)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take_seat, args=(email,)) for email in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    holds = dict(Rsvp.objects.filter(guest_email__in=racers).values_list("guest_email", "holds_seat"))
    assert sorted(holds.values()) == [False, True]
    assert seats_left(event) == 0
    for email in racers:
        services.guest_rsvp_confirm(rsvp=Rsvp.objects.get(guest_email=email))
    assert sorted(Rsvp.objects.filter(guest_email__in=racers).values_list("status", flat=True)) == [GOING, WAIT]
    assert Rsvp.objects.get(guest_email="first@example.net").status == GOING
    assert seats_left(event) == 0


# --- claim on signup, data by link -------------------------------------------------------------


def test_a_guest_who_signs_up_and_confirms_the_address_gets_their_rsvps(members):
    event, other = make_event(capacity=5), make_event(capacity=5)
    services.guest_rsvp_confirm(rsvp=_guest(event, email="bob@example.org"))
    services.guest_rsvp_confirm(rsvp=_guest(other, email="bob@example.org"))
    bob = members[0]
    services.rsvp_create(event=other, user=bob)  # he had RSVP'd as himself too: his own stands
    EmailAddress.objects.filter(user=bob).delete()
    address = EmailAddress.objects.create(user=bob, email="bob@example.org", verified=False, primary=True)
    email_confirmed.send(sender=EmailAddress, request=None, email_address=address)
    assert Rsvp.objects.filter(user__isnull=True, guest_email="bob@example.org").count() == 2  # not proved yet
    address.verified = True
    address.save()
    email_confirmed.send(sender=EmailAddress, request=None, email_address=address)
    assert Rsvp.objects.get(event=event).user == bob
    mine = Rsvp.objects.filter(event=other)
    assert set(mine.values_list("user_id", "status")) == {(bob.pk, GOING), (None, CANCELLED)}
    assert seats_left(other) == 4


def test_a_guests_data_is_exported_and_erased_through_the_registry(members):
    from events.contributions import erase_address_data, export_address_data

    event = make_event(capacity=1)
    services.guest_rsvp_confirm(rsvp=_guest(event, zip_code="01852", party=1))
    waiting = services.rsvp_create(event=event, user=members[0])
    exported = export_address_data("GINA@example.net")
    assert [(r["name"], r["zip_code"], r["status"]) for r in exported["rsvps"]] == [("Gina", "01852", GOING)]
    erase_address_data("gina@example.net")
    assert not Rsvp.objects.filter(guest_email="gina@example.net").exists()
    waiting.refresh_from_db()
    assert waiting.status == GOING  # the seat went to the person waiting


def test_a_hold_that_runs_out_gives_its_seat_to_the_person_waiting(members):
    from events.tasks import reminders_tick as beat

    event = make_event(capacity=1)
    _guest(event)  # holds the only seat
    waiting = services.rsvp_create(event=event, user=members[0])
    assert waiting.status == WAIT
    with time_machine.travel(timezone.now() + GUEST_HOLD + timedelta(minutes=1)):
        beat()
    waiting.refresh_from_db()
    assert waiting.status == GOING
    assert OutboundEmail.objects.filter(kind="events.promoted", to=members[0].email).exists()


def test_a_members_download_and_deletion_cover_guest_rsvps_under_their_proved_address(members):
    from events.contributions import erase_user_data, export_user_data

    bob = members[0]
    EmailAddress.objects.update_or_create(user=bob, email=bob.email, defaults={"verified": True, "primary": True})
    event = make_event(capacity=5)
    _guest(event, email=bob.email, name="Bobby")  # pending: not claimed by any confirmation
    _guest(event, email="someone.else@example.net")
    assert [r["name"] for r in export_user_data(bob)["guest_rsvps"]] == ["Bobby"]
    erase_user_data(bob)
    assert list(Rsvp.objects.values_list("guest_email", flat=True)) == ["someone.else@example.net"]
