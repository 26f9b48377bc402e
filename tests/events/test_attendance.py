"""On the day and after: check-in at the door, walk-ins, messages to an event's people, the
thank-you (events.attendance), and who may do any of it."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from events import attendance, services
from events.models import AttendeeMessage, AttendeeMessageKind, Event, Rsvp, RsvpStatus
from outbox.models import OutboundEmail
from tests.events.conftest import make_event

pytestmark = pytest.mark.django_db


def _soon(**extra) -> Event:
    """An event starting in an hour: check-in is open."""
    return make_event(start=timezone.now() + timedelta(hours=1), **extra)


def _guest(event: Event, name: str, email: str, status: str = RsvpStatus.GOING, **extra) -> Rsvp:
    """A confirmed guest's RSVP, written straight to the table (setup only)."""
    return Rsvp.objects.create(
        event=event, guest_name=name, guest_email=email, status=status, confirmed_at=timezone.now(), **extra
    )


def _ended(event: Event) -> Event:
    Event.objects.filter(pk=event.pk).update(
        starts_at=timezone.now() - timedelta(hours=3), ends_at=timezone.now() - timedelta(hours=1)
    )
    event.refresh_from_db()
    return event


# --- the check-in page -------------------------------------------------------------------------


def test_the_check_in_page_lists_who_is_going_and_the_waitlist_apart(client, lowell_group, organizer, members):
    event = _soon(host_group=lowell_group, capacity=1)
    services.rsvp_create(event=event, user=members[0])
    services.rsvp_create(event=event, user=members[1])  # waitlisted
    client.force_login(organizer)
    response = client.get(f"/events/{event.slug}/check-in/")
    assert response.status_code == 200
    people = response.context["people"]
    assert [r.user for r in people.going] == [members[0]]
    assert [r.user for r in people.waitlisted] == [members[1]]
    page = response.content.decode()
    assert page.index("Bob") < page.index("On the waitlist") < page.index("Carol")
    assert "0 of 1" in page


def test_the_search_box_filters_by_name_and_by_address_on_the_server(client, lowell_group, organizer, members):
    event = _soon(host_group=lowell_group)
    for member in members[:3]:
        services.rsvp_create(event=event, user=member)
    _guest(event, "Gina Guest", "gina@example.net")
    client.force_login(organizer)

    def names(q: str) -> list[str]:
        people = client.get(f"/events/{event.slug}/check-in/", {"q": q}).context["people"]
        return sorted(r.person_name for r in people.going)

    assert names("car") == ["Carol"]
    assert names("gina@EXAMPLE") == ["Gina Guest"]
    assert names("dave@example.org") == ["Dave"]
    assert names("nobody") == []
    assert names("") == ["Bob", "Carol", "Dave", "Gina Guest"]
    assert "Nobody going matches" in client.get(f"/events/{event.slug}/check-in/?q=zzz").content.decode()


def test_a_long_list_comes_in_pages_by_name_and_the_search_reaches_everyone(
    client, monkeypatch, lowell_group, organizer
):
    monkeypatch.setattr(attendance, "CHECK_IN_PAGE_SIZE", 2)
    event = _soon(host_group=lowell_group)
    for name in ("Eve", "alice", "Dan", "Bea", "Cy"):
        _guest(event, name, f"{name.lower()}@example.net")
    client.force_login(organizer)

    def page(query: str) -> list[str]:
        return [r.person_name for r in client.get(f"/events/{event.slug}/check-in/{query}").context["people"].going]

    assert page("") == ["alice", "Bea"]
    assert page("?page=2") == ["Cy", "Dan"]
    assert page("?page=3") == page("?page=99") == ["Eve"]
    assert page("?page=nonsense") == ["alice", "Bea"]
    assert page("?q=eve") == ["Eve"]
    html = client.get(f"/events/{event.slug}/check-in/?page=2").content.decode()
    assert "Page 2 of 3" in html and "?page=1" in html and "?page=3" in html


def test_one_tap_checks_a_person_in_without_javascript_and_a_second_takes_it_back(
    client, lowell_group, organizer, members
):
    event = _soon(host_group=lowell_group)
    rsvp = services.rsvp_create(event=event, user=members[0])
    client.force_login(organizer)
    response = client.post(f"/events/{event.slug}/check-in/{rsvp.pk}/", {"attended": "1", "q": "bo"})
    assert response.status_code == 302 and response["Location"] == f"/events/{event.slug}/check-in/?q=bo"
    rsvp.refresh_from_db()
    assert rsvp.attended is True
    page = client.get(response["Location"]).content.decode()
    assert "Bob is checked in." in page and "1 of 1" in page
    client.post(f"/events/{event.slug}/check-in/{rsvp.pk}/", {"attended": "0"})
    rsvp.refresh_from_db()
    assert rsvp.attended is None


def test_a_tap_from_the_script_is_answered_with_json(client, lowell_group, organizer, members):
    event = _soon(host_group=lowell_group)
    rsvp = services.rsvp_create(event=event, user=members[0])
    services.rsvp_create(event=event, user=members[1])
    client.force_login(organizer)
    response = client.post(
        f"/events/{event.slug}/check-in/{rsvp.pk}/", {"attended": "1"}, headers={"X-Requested-With": "fetch"}
    )
    assert response.json() == {"attended": True, "status": "going", "came": 1, "expected": 2}


def test_someone_on_the_waitlist_who_turns_up_is_let_in(client, lowell_group, organizer, members):
    event = _soon(host_group=lowell_group, capacity=1)
    services.rsvp_create(event=event, user=members[0])
    waiting = services.rsvp_create(event=event, user=members[1])
    client.force_login(organizer)
    client.post(f"/events/{event.slug}/check-in/{waiting.pk}/", {"attended": "1"})
    waiting.refresh_from_db()
    assert (waiting.status, waiting.attended) == (RsvpStatus.GOING, True)


def test_check_in_opens_hours_before_the_start_and_a_tap_before_changes_nothing(
    client, lowell_group, organizer, members
):
    event = make_event(host_group=lowell_group, start=timezone.now() + timedelta(days=3))
    rsvp = services.rsvp_create(event=event, user=members[0])
    client.force_login(organizer)
    page = client.get(f"/events/{event.slug}/check-in/").content.decode()
    assert "Check-in opens at" in page and "Check in Bob" not in page
    response = client.post(f"/events/{event.slug}/check-in/{rsvp.pk}/", {"attended": "1"}, follow=True)
    assert "Check-in opens at" in response.content.decode()
    rsvp.refresh_from_db()
    assert rsvp.attended is None


def test_a_cancelled_rsvp_cannot_be_checked_in(client, lowell_group, organizer, members):
    event = _soon(host_group=lowell_group)
    rsvp = services.rsvp_create(event=event, user=members[0])
    services.rsvp_cancel(rsvp=rsvp, by=members[0])
    client.force_login(organizer)
    page = client.post(f"/events/{event.slug}/check-in/{rsvp.pk}/", {"attended": "1"}, follow=True).content.decode()
    assert "not on the list any more" in page
    rsvp.refresh_from_db()
    assert (rsvp.status, rsvp.attended) == (RsvpStatus.CANCELLED, None)


def test_an_rsvp_of_another_event_is_not_found_on_this_check_in(client, lowell_group, organizer, members):
    event, other = _soon(host_group=lowell_group), _soon(host_group=lowell_group)
    rsvp = services.rsvp_create(event=other, user=members[0])
    client.force_login(organizer)
    assert client.post(f"/events/{event.slug}/check-in/{rsvp.pk}/", {"attended": "1"}).status_code == 404
    rsvp.refresh_from_db()
    assert rsvp.attended is None


# --- walk-ins ----------------------------------------------------------------------------------


def test_a_walk_in_is_admitted_and_checked_in_even_when_the_event_is_full(client, lowell_group, organizer, members):
    event = _soon(host_group=lowell_group, capacity=1)
    services.rsvp_create(event=event, user=members[0])
    client.force_login(organizer)
    response = client.post(f"/events/{event.slug}/check-in/walk-in/", {"name": "  Walter   Walkin ", "email": ""})
    assert response.status_code == 302
    walk_in = Rsvp.objects.get(event=event, walk_in=True)
    assert (walk_in.guest_name, walk_in.guest_email, walk_in.status, walk_in.attended) == (
        "Walter Walkin", "", RsvpStatus.GOING, True
    )  # fmt: skip
    # A second walk-in without an address is somebody else, not a duplicate.
    client.post(f"/events/{event.slug}/check-in/walk-in/", {"name": "Wanda", "email": ""})
    assert Rsvp.objects.filter(event=event, walk_in=True).count() == 2
    assert "Walter Walkin is in" in client.get(response["Location"]).content.decode()


def test_a_walk_in_who_gives_an_address_is_written_to_later(lowell_group, organizer):
    event = _soon(host_group=lowell_group)
    rsvp = attendance.walk_in_add(event=event, by=organizer, name="Walt", email=" Walt@Example.NET ")
    assert rsvp.guest_email == "walt@example.net" and rsvp.recipient_email == "walt@example.net"
    assert [r.pk for r in attendance.recipients(event, ["attended"])] == [rsvp.pk]


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"name": "", "email": ""}, "Write the person&#x27;s name."),
        ({"name": "   ", "email": ""}, "Write the person&#x27;s name."),
        ({"name": "Walt", "email": "not an address"}, "Enter a valid email address."),
        ({"name": "x" * 151, "email": ""}, "at most 150 characters"),
        ({"name": "Walt\x07", "email": ""}, "Keep this to one line"),
    ],
)
def test_a_bad_walk_in_is_refused_on_the_form_and_nothing_is_added(client, lowell_group, organizer, data, says):
    event = _soon(host_group=lowell_group)
    client.force_login(organizer)
    response = client.post(f"/events/{event.slug}/check-in/walk-in/", data)
    assert response.status_code == 200
    assert says in response.content.decode()
    assert not event.rsvps.exists()


def test_an_address_already_on_the_list_is_checked_in_there_not_added_twice(client, lowell_group, organizer, members):
    event = _soon(host_group=lowell_group)
    services.rsvp_create(event=event, user=members[0])
    _guest(event, "Gina", "gina@example.net")
    client.force_login(organizer)
    for email in (members[0].email.upper(), "gina@example.net"):
        page = client.post(f"/events/{event.slug}/check-in/walk-in/", {"name": "X", "email": email}).content.decode()
        assert "is on the list already: check them in there." in page
    assert event.rsvps.count() == 2 and not event.rsvps.filter(walk_in=True).exists()


def test_a_guest_who_cancelled_and_walks_in_is_their_rsvp_let_in(lowell_group, organizer):
    event = _soon(host_group=lowell_group)
    cancelled = _guest(event, "Gina", "gina@example.net", status=RsvpStatus.CANCELLED)
    rsvp = attendance.walk_in_add(event=event, by=organizer, name="Gina G.", email="gina@example.net")
    assert rsvp.pk == cancelled.pk
    assert (rsvp.status, rsvp.attended, rsvp.walk_in) == (RsvpStatus.GOING, True, True)


def test_no_walk_in_before_check_in_opens(client, lowell_group, organizer):
    event = make_event(host_group=lowell_group, start=timezone.now() + timedelta(days=2))
    client.force_login(organizer)
    page = client.post(f"/events/{event.slug}/check-in/walk-in/", {"name": "Walt"}).content.decode()
    assert "Check-in opens at" in page
    assert not event.rsvps.exists()


def test_an_rsvp_still_needs_a_person_a_nameless_walk_in_is_refused_by_the_database(lowell_group):
    event = _soon(host_group=lowell_group)
    for fields in ({"walk_in": False, "guest_name": "No address"}, {"walk_in": True, "guest_name": ""}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Rsvp.objects.create(event=event, status=RsvpStatus.GOING, **fields)
    Rsvp.objects.create(event=event, status=RsvpStatus.GOING, walk_in=True, guest_name="Walt")  # control


# --- messages to an event's people --------------------------------------------------------------


def _message(client, event, **overrides):
    data = {"audiences": ["going"], "subject": "Bring a sign", "body": "We meet at the steps."} | overrides
    return client.post(f"/events/{event.slug}/message/", data)


def test_a_message_reaches_each_person_going_alone_with_replies_to_the_organizer(
    client, lowell_group, organizer, members, django_capture_on_commit_callbacks
):
    event = make_event(host_group=lowell_group, capacity=2)
    for member in members[:2]:
        services.rsvp_create(event=event, user=member)
    services.rsvp_create(event=event, user=members[2])  # waitlisted: not written to
    _guest(event, "Gina", "gina@example.net", status=RsvpStatus.WAITLISTED)
    OutboundEmail.objects.all().delete()
    client.force_login(organizer)
    with django_capture_on_commit_callbacks(execute=True):
        response = _message(client, event)
    assert response.status_code == 302 and response["Location"] == f"/events/{event.slug}/attendees/"
    mails = list(OutboundEmail.objects.filter(kind="events.attendee_message"))
    assert sorted(m.to for m in mails) == sorted(m.email for m in members[:2])
    for mail in mails:
        assert mail.reply_to == organizer.email and mail.subject == "Bring a sign"
        assert "We meet at the steps." in mail.body_text
        others = {m.email for m in members[:3]} - {mail.to}
        assert not [address for address in others if address in mail.body_text + mail.body_html]
    logged = AttendeeMessage.objects.get(event=event)
    assert (logged.sender, logged.audiences, logged.recipients) == (organizer, ["going"], 2)
    page = client.get(f"/events/{event.slug}/attendees/").content.decode()
    assert "Bring a sign" in page and "Going" in page


def test_the_three_audiences_combine_and_each_address_is_written_to_once(lowell_group, organizer, members):
    event = _soon(host_group=lowell_group, capacity=2)
    came = services.rsvp_create(event=event, user=members[0])
    services.rsvp_create(event=event, user=members[1])
    services.rsvp_create(event=event, user=members[2])  # waitlisted
    _guest(event, "Gina", "gina@example.net", status=RsvpStatus.WAITLISTED)
    attendance.check_in_mark(rsvp=came, by=organizer)
    walk_in = attendance.walk_in_add(event=event, by=organizer, name="Walt", email="walt@example.net")
    attendance.walk_in_add(event=event, by=organizer, name="No Address")

    def to(*audiences):
        return sorted(r.recipient_email for r in attendance.recipients(event, audiences))

    assert to("attended") == sorted([members[0].email, walk_in.guest_email])
    assert to("waitlisted") == sorted([members[2].email, "gina@example.net"])
    assert to("going", "attended") == sorted([members[0].email, members[1].email, "walt@example.net"])
    assert len(to("going", "waitlisted", "attended")) == 5
    assert attendance.audience_counts(event) == {"going": 3, "waitlisted": 2, "attended": 2}


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"audiences": []}, "Choose whom to write to"),
        ({"audiences": ["everybody"]}, "Select a valid choice"),
        ({"subject": ""}, "Write a subject."),
        ({"body": "   "}, "Write a message."),
        ({"subject": "x" * 151}, "at most 150 characters"),
        ({"subject": "Line one\nline two"}, "one line"),
    ],
)
def test_a_bad_message_is_refused_on_the_form_and_nothing_is_sent(
    client, lowell_group, organizer, members, overrides, says
):
    event = make_event(host_group=lowell_group)
    services.rsvp_create(event=event, user=members[0])
    before = OutboundEmail.objects.count()
    client.force_login(organizer)
    response = _message(client, event, **overrides)
    assert response.status_code == 200
    assert says in response.content.decode()
    assert OutboundEmail.objects.count() == before and not AttendeeMessage.objects.exists()


def test_nobody_to_write_to_is_said_and_nothing_is_logged(client, lowell_group, organizer, members):
    event = make_event(host_group=lowell_group)
    services.rsvp_create(event=event, user=members[0])
    client.force_login(organizer)
    page = _message(client, event, audiences=["waitlisted"]).content.decode()
    assert "Nobody in the lists you chose can receive email." in page
    assert not AttendeeMessage.objects.exists()


def test_messages_are_limited_per_event_per_day(client, settings, lowell_group, organizer, coordinator, members):
    settings.EVENT_MESSAGES_PER_DAY = 2
    event = make_event(host_group=lowell_group)
    services.rsvp_create(event=event, user=members[0])
    client.force_login(organizer)
    assert _message(client, event).status_code == 302
    client.force_login(coordinator)  # the limit is the event's, whoever of its organizers writes
    assert _message(client, event).status_code == 302
    before = OutboundEmail.objects.count()
    response = _message(client, event)
    assert response.status_code == 429
    assert "the most a day allows" in response.content.decode()
    assert OutboundEmail.objects.count() == before and AttendeeMessage.objects.count() == 2
    # A day later the event may be written to again; another event was never limited.
    AttendeeMessage.objects.update(sent_at=timezone.now() - timedelta(days=1, minutes=1))
    assert _message(client, event).status_code == 302
    other = make_event(host_group=lowell_group)
    services.rsvp_create(event=other, user=members[0])
    assert (
        attendance.attendee_message_send(
            event=other, by=organizer, audiences=["going"], subject="Hi", body="Hello"
        ).recipients
        == 1
    )


def test_guests_are_written_to_with_their_own_manage_link(lowell_group, organizer):
    event = make_event(host_group=lowell_group)
    _guest(event, "Gina", "gina@example.net")
    attendance.attendee_message_send(event=event, by=organizer, audiences=["going"], subject="Hi", body="Hello")
    mail = OutboundEmail.objects.get(kind="events.attendee_message")
    assert mail.to == "gina@example.net" and "/events/guest/my-rsvps/" in mail.body_text
    assert "Hi Gina" in mail.body_text and "/events/cant-come/" in mail.body_text


# --- the thank-you ------------------------------------------------------------------------------


def test_the_thank_you_goes_once_after_the_event_to_those_who_came_with_an_address(
    client, lowell_group, organizer, members
):
    event = _soon(host_group=lowell_group)
    came = services.rsvp_create(event=event, user=members[0])
    services.rsvp_create(event=event, user=members[1])  # did not come
    attendance.check_in_mark(rsvp=came, by=organizer)
    attendance.walk_in_add(event=event, by=organizer, name="Walt", email="walt@example.net")
    attendance.walk_in_add(event=event, by=organizer, name="No Address")
    client.force_login(organizer)
    page = client.get(f"/events/{event.slug}/thank-you/").content.decode()
    assert "once the event has ended" in page
    assert _thank(client, event).status_code == 200 and not AttendeeMessage.objects.exists()

    _ended(event)
    page = client.get(f"/events/{event.slug}/thank-you/").content.decode()
    assert "Thank you for coming to Test event" in page  # the ready text, to edit
    assert _thank(client, event, body="Thanks, truly.").status_code == 302
    mails = OutboundEmail.objects.filter(kind="events.thank_you")
    assert sorted(m.to for m in mails) == sorted([members[0].email, "walt@example.net"])
    assert all("Thanks, truly." in m.body_text and m.reply_to == organizer.email for m in mails)
    logged = AttendeeMessage.objects.get()
    assert (logged.kind, logged.recipients) == (AttendeeMessageKind.THANK_YOU, 2)

    # Twice: a second click (or a second organizer) sends nothing.
    response = _thank(client, event)
    assert "The thank-you was sent on" in response.content.decode()
    assert mails.count() == 2 and AttendeeMessage.objects.count() == 1
    with pytest.raises(attendance.AttendanceError):
        attendance.thank_you_send(event=event, by=organizer, subject="Again", body="Again")
    assert "Thank-you to those who came" in client.get(f"/events/{event.slug}/attendees/").content.decode()


def _thank(client, event, **overrides):
    data = {"subject": "Thank you", "body": "Thanks for coming."} | overrides
    return client.post(f"/events/{event.slug}/thank-you/", data)


def test_a_thank_you_with_nobody_checked_in_is_refused(client, lowell_group, organizer, members):
    event = _soon(host_group=lowell_group)
    services.rsvp_create(event=event, user=members[0])
    _ended(event)
    client.force_login(organizer)
    assert "Nobody checked in has an email address" in _thank(client, event).content.decode()
    assert not AttendeeMessage.objects.exists()


def test_the_database_holds_one_thank_you_per_event(lowell_group, organizer):
    event = _soon(host_group=lowell_group)
    fields = {"event": event, "kind": AttendeeMessageKind.THANK_YOU, "subject": "T", "body": "B"}
    AttendeeMessage.objects.create(sent_at=timezone.now(), **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        AttendeeMessage.objects.create(sent_at=timezone.now(), **fields)


# --- who may do any of it -----------------------------------------------------------------------


@pytest.fixture
def running(lowell_group, organizer, members):
    """An event on now (check-in open, thank-you not yet) with a member going and one who came,
    and an ended one whose thank-you is due."""
    event = _soon(host_group=lowell_group)
    going = services.rsvp_create(event=event, user=members[0])
    came = services.rsvp_create(event=event, user=members[1])
    attendance.check_in_mark(rsvp=came, by=organizer)
    ended = _soon(host_group=lowell_group)
    attendance.check_in_mark(rsvp=services.rsvp_create(event=ended, user=members[1]), by=organizer)
    _ended(ended)
    return event, going, ended


def _requests(event, going, ended) -> list[tuple[str, str, dict]]:
    return [
        ("get", f"/events/{event.slug}/check-in/", {}),
        ("post", f"/events/{event.slug}/check-in/{going.pk}/", {"attended": "1"}),
        ("post", f"/events/{event.slug}/check-in/walk-in/", {"name": "Intruder", "email": "in@example.net"}),
        ("get", f"/events/{event.slug}/message/", {}),
        ("post", f"/events/{event.slug}/message/", {"audiences": ["going"], "subject": "Spam", "body": "Spam"}),
        ("get", f"/events/{ended.slug}/thank-you/", {}),
        ("post", f"/events/{ended.slug}/thank-you/", {"subject": "T", "body": "B"}),
    ]


@pytest.mark.parametrize("who", ["visitor", "member", "attendee", "other_organizer", "other_rep", "district_rep"])
def test_nobody_but_the_events_organizers_checks_in_adds_walk_ins_or_writes_to_its_people(
    client, running, who, activist, members, other_organizer, rep_ma5, rep_ma3, staff_client_factory
):
    event, going, ended = running
    users = {"member": activist, "attendee": members[0], "other_organizer": other_organizer}
    if who in users:
        client.force_login(users[who])
    elif who in ("other_rep", "district_rep"):
        client = staff_client_factory(rep_ma5 if who == "other_rep" else rep_ma3)
    emails_before = OutboundEmail.objects.count()
    for method, url, data in _requests(event, going, ended):
        response = getattr(client, method)(url, data)
        if who == "visitor":
            assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
        else:
            assert response.status_code == 404, (url, response.status_code)
    going.refresh_from_db()
    assert going.attended is None
    assert not Rsvp.objects.filter(walk_in=True).exists() and not AttendeeMessage.objects.exists()
    assert OutboundEmail.objects.count() == emails_before


def test_the_services_refuse_an_outsider_whoever_calls_them(running, activist, members, rep_ma3):
    from django.core.exceptions import PermissionDenied

    event, going, ended = running
    for outsider in (activist, members[0], rep_ma3):
        with pytest.raises(PermissionDenied):
            attendance.check_in_mark(rsvp=going, by=outsider)
        with pytest.raises(PermissionDenied):
            attendance.walk_in_add(event=event, by=outsider, name="X")
        with pytest.raises(PermissionDenied):
            attendance.attendee_message_send(event=event, by=outsider, audiences=["going"], subject="S", body="B")
        with pytest.raises(PermissionDenied):
            attendance.thank_you_send(event=ended, by=outsider, subject="S", body="B")


def test_the_organizers_and_coordinators_reach_every_page(
    client, running, organizer, coordinator, staff_client_factory
):
    event, going, ended = running
    for who in (organizer, coordinator):
        if who is organizer:
            client.force_login(who)
        else:
            client = staff_client_factory(who)
        for method, url, _ in _requests(event, going, ended):
            if method == "get":
                assert client.get(url).status_code == 200, (who, url)


# --- fixed query counts -------------------------------------------------------------------------


def _crowd(event: Event, count: int) -> None:
    Rsvp.objects.bulk_create(
        Rsvp(event=event, guest_name=f"Guest {n}", guest_email=f"guest{n}@example.net", status=RsvpStatus.GOING,
             attended=n % 3 == 0 or None, walk_in=n % 7 == 0)
        for n in range(count)
    )  # fmt: skip


# The CSV asks for the event's questions too (one query, whatever the number of RSVPs).
@pytest.mark.parametrize("count", [2, 120])
@pytest.mark.parametrize(("path", "queries"), [("check-in/", 7), ("check-in/?q=guest", 7), ("attendees.csv", 6)])
def test_check_in_and_the_csv_cost_the_same_queries_however_many_rsvps(
    client, lowell_group, organizer, members, django_assert_num_queries, count, path, queries
):
    event = _soon(host_group=lowell_group)
    services.rsvp_create(event=event, user=members[0])
    _crowd(event, count)
    client.force_login(organizer)
    # The session and its member, the event, the organizer check, then the counts, a page of the
    # people going and the head of the waitlist (the CSV: its rows in one query).
    with django_assert_num_queries(queries):
        response = client.get(f"/events/{event.slug}/{path}")
    assert response.status_code == 200
    if path == "attendees.csv":
        assert len(list(csv.reader(io.StringIO(response.content.decode())))) == count + 2
    else:
        people = response.context["people"]
        assert people.going_matching == count + (0 if "q=" in path else 1)
        assert len(people.going) == min(people.going_matching, attendance.CHECK_IN_PAGE_SIZE)
