"""RSVP, capacity and waitlist rules, including two members racing for the last seat."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from events import services
from events.models import EventStatus, Reminder, Rsvp, RsvpStatus
from events.selectors import seats_left, waitlist_position
from outbox.models import OutboundEmail
from tests.events.conftest import make_event

pytestmark = pytest.mark.django_db

GOING, WAIT, CANCELLED = RsvpStatus.GOING, RsvpStatus.WAITLISTED, RsvpStatus.CANCELLED


@pytest.mark.parametrize(
    ("capacity", "before", "expected_status", "expected_position"),
    [
        (None, [GOING, GOING, GOING], GOING, None),  # no limit
        (2, [], GOING, None),
        (2, [GOING], GOING, None),  # takes the last seat
        (2, [GOING, GOING], WAIT, 1),  # full: first on the waitlist
        (2, [GOING, GOING, WAIT], WAIT, 2),  # behind the one already waiting
        (1, [CANCELLED], GOING, None),  # a cancelled RSVP frees its seat
        (0, [], WAIT, 1),  # waitlist only
    ],
)
def test_rsvp_gets_a_seat_or_a_place_on_the_waitlist(members, capacity, before, expected_status, expected_position):
    event = make_event(capacity=capacity)
    for member, status in zip(members, before, strict=False):
        services.rsvp_create(event=event, user=member)
        if status == CANCELLED:
            services.rsvp_cancel(rsvp=Rsvp.objects.get(event=event, user=member), by=member)
    newcomer = members[len(before)]
    rsvp = services.rsvp_create(event=event, user=newcomer)
    assert rsvp.status == expected_status
    assert waitlist_position(rsvp) == expected_position
    # Reminders are owed to people with a seat, not to people waiting.
    assert Reminder.objects.filter(rsvp=rsvp).exists() == (expected_status == GOING)


@pytest.mark.parametrize(
    ("status", "starts_in", "closed"),
    [
        (EventStatus.DRAFT, timedelta(days=2), True),
        (EventStatus.CANCELLED, timedelta(days=2), True),
        (EventStatus.PUBLISHED, -timedelta(minutes=1), True),  # already started
        (EventStatus.PUBLISHED, timedelta(minutes=5), False),
    ],
)
def test_rsvps_are_open_only_for_published_events_that_have_not_started(members, status, starts_in, closed):
    event = make_event(status=status, start=timezone.now() + starts_in)
    if closed:
        with pytest.raises(services.RsvpClosed):
            services.rsvp_create(event=event, user=members[0])
        assert not Rsvp.objects.exists()
    else:
        assert services.rsvp_create(event=event, user=members[0]).status == GOING


def test_rsvping_twice_keeps_one_rsvp_and_one_set_of_reminders(members):
    event = make_event(capacity=5)
    first = services.rsvp_create(event=event, user=members[0])
    again = services.rsvp_create(event=event, user=members[0])
    assert first.pk == again.pk
    assert Rsvp.objects.count() == 1
    assert Reminder.objects.filter(rsvp=first).count() == 2


@pytest.mark.parametrize(
    ("cancelling", "expected_promoted", "expected_seats_left"),
    [
        ("going", "first waiting", 0),  # the first in line gets the seat and an email
        ("waiting", None, 0),  # a waiting person leaving frees no seat
    ],
)
def test_cancelling_promotes_the_first_person_waiting(
    members, mailoutbox, cancelling, expected_promoted, expected_seats_left
):
    event = make_event(capacity=2)
    bob, carol, dave, erin = members[:4]
    for member in (bob, carol, dave, erin):
        services.rsvp_create(event=event, user=member)
    # bob and carol going; dave then erin waiting
    leaver = bob if cancelling == "going" else erin
    services.rsvp_cancel(rsvp=Rsvp.objects.get(event=event, user=leaver), by=leaver)
    statuses = dict(Rsvp.objects.filter(event=event).values_list("user__first_name", "status"))
    promoted_mail = OutboundEmail.objects.filter(kind="events.promoted")
    if expected_promoted:
        assert statuses == {"Bob": CANCELLED, "Carol": GOING, "Dave": GOING, "Erin": WAIT}
        assert [m.to for m in promoted_mail] == [dave.email]
        assert Reminder.objects.filter(rsvp__user=dave).count() == 2
        assert waitlist_position(Rsvp.objects.get(event=event, user=erin)) == 1
    else:
        assert statuses == {"Bob": GOING, "Carol": GOING, "Dave": WAIT, "Erin": CANCELLED}
        assert not promoted_mail.exists()
    assert seats_left(event) == expected_seats_left


def test_cancelling_ends_the_cancelled_persons_reminders(members):
    event = make_event()
    rsvp = services.rsvp_create(event=event, user=members[0])
    services.rsvp_cancel(rsvp=rsvp, by=rsvp.user)
    assert set(Reminder.objects.filter(rsvp=rsvp).values_list("status", flat=True)) == {"skipped"}


def test_raising_the_capacity_promotes_people_waiting(members, coordinator):
    event = make_event(capacity=1)
    for member in members[:3]:
        services.rsvp_create(event=event, user=member)
    services.event_update(event=event, by=coordinator, capacity=3)
    assert Rsvp.objects.filter(event=event, status=GOING).count() == 3


@pytest.mark.django_db(transaction=True)
def test_two_members_taking_the_last_seat_at_the_same_moment_exactly_one_gets_it(members):
    """Real concurrent transactions on PostgreSQL: the event row lock serialises them."""
    if connection.vendor != "postgresql":
        pytest.skip("Concurrent transactions need PostgreSQL (CI runs this on PostgreSQL).")
    event = make_event(capacity=3)
    for member in members[:2]:
        services.rsvp_create(event=event, user=member)
    racers = members[2:4]
    barrier = threading.Barrier(len(racers))
    results: dict[str, str] = {}
    errors: list[BaseException] = []

    def take_seat(member) -> None:
        try:
            barrier.wait(timeout=10)
            results[member.email] = services.rsvp_create(event=event, user=member).status
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take_seat, args=(m,)) for m in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert sorted(results.values()) == [GOING, WAIT]
    assert Rsvp.objects.filter(event=event, status=GOING).count() == 3
