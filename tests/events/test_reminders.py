"""Reminders: rows with a due time, claimed by the beat tick, sent once by a worker.

Time moves by a frozen clock (time-machine), never by sleeping.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection, connections
from icalendar import Calendar

from events import reminders, services
from events.models import EventStatus, Reminder, ReminderKind, ReminderStatus, Rsvp, RsvpStatus
from events.reminders import reminders_tick
from outbox import services as outbox_services
from outbox.models import EmailStatus, OutboundEmail
from outbox.services import email_sweep, emails_deliver_batch
from tests.events.conftest import make_event

pytestmark = pytest.mark.django_db

MA = ZoneInfo("America/New_York")
# A Tuesday morning; the event is on Thursday evening.
MONDAY_9AM = datetime(2026, 11, 30, 9, 0, tzinfo=MA)
THURSDAY_7PM = datetime(2026, 12, 3, 19, 0, tzinfo=MA)
WEDNESDAY_10AM = datetime(2026, 12, 2, 10, 0, tzinfo=MA)
THURSDAY_5PM = datetime(2026, 12, 3, 17, 0, tzinfo=MA)


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY_9AM, tick=False) as traveller:
        yield traveller


def confirmations_sent() -> None:
    """The RSVPs' confirmation mails (setup here) went out already: these tests are about reminders."""
    OutboundEmail.objects.filter(kind="events.rsvp_confirmation").update(status=EmailStatus.SENT)


@pytest.fixture
def tick(django_capture_on_commit_callbacks):
    """A beat tick whose after-commit hand-off runs (eagerly, in-process) as it would on a worker."""

    def run(now=None) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return reminders_tick(now=now)

    return run


def _due(rsvp) -> dict[str, datetime]:
    return {r.kind: r.due_at for r in Reminder.objects.filter(rsvp=rsvp, status=ReminderStatus.PENDING)}


@pytest.mark.parametrize(
    ("rsvp_at", "expected"),
    [
        # early: the day before at 10:00, and two hours before the start
        (MONDAY_9AM, {"day_before": WEDNESDAY_10AM, "two_hours": THURSDAY_5PM}),
        # after 10:00 the day before: that reminder at RSVP time
        (
            datetime(2026, 12, 2, 15, 30, tzinfo=MA),
            {"day_before": datetime(2026, 12, 2, 15, 30, tzinfo=MA), "two_hours": THURSDAY_5PM},
        ),
        # within the last two hours: one reminder, at once
        (datetime(2026, 12, 3, 18, 0, tzinfo=MA), {"two_hours": datetime(2026, 12, 3, 18, 0, tzinfo=MA)}),
    ],
)
def test_reminders_are_due_the_day_before_at_ten_and_two_hours_before(members, rsvp_at, expected):
    event = make_event(start=THURSDAY_7PM)
    with time_machine.travel(rsvp_at, tick=False):
        rsvp = services.rsvp_create(event=event, user=members[0])
    assert _due(rsvp) == expected


def test_an_organizer_can_turn_either_reminder_off_for_an_event(members, clock):
    event = make_event(start=THURSDAY_7PM, remind_day_before=False)
    rsvp = services.rsvp_create(event=event, user=members[0])
    assert _due(rsvp) == {"two_hours": THURSDAY_5PM}


def test_the_coalition_default_schedule_comes_from_settings(members, clock, settings):
    settings.EVENTS_REMIND_SHORTLY_BEFORE = False
    settings.EVENTS_REMIND_DAY_BEFORE_HOUR = 18
    event = make_event(start=THURSDAY_7PM)
    rsvp = services.rsvp_create(event=event, user=members[0])
    assert _due(rsvp) == {"day_before": datetime(2026, 12, 2, 18, 0, tzinfo=MA)}


def test_a_due_reminder_is_sent_once_with_details_the_ics_and_an_i_cant_come_link(members, clock, tick, mailoutbox):
    event = make_event(
        start=THURSDAY_7PM, title="Town hall with our Rep", is_online=True, join_url="https://meet.example/x"
    )
    rsvp = services.rsvp_create(event=event, user=members[0])
    assert tick() == 0  # nothing due on Monday
    clock.move_to(WEDNESDAY_10AM)
    assert tick() == 1
    assert tick() == 0  # a second beat finds nothing more
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [members[0].email]
    assert "Town hall with our Rep" in message.subject
    assert "https://meet.example/x" in message.body  # they RSVP'd: the join link is theirs
    assert "/events/cant-come/" in message.body
    filename, content, mimetype = message.attachments[0]
    assert mimetype == "text/calendar"
    assert str(Calendar.from_ical(content).walk("VEVENT")[0]["UID"]) == event.uid
    reminder = Reminder.objects.get(rsvp=rsvp, kind=ReminderKind.DAY_BEFORE)
    assert reminder.status == ReminderStatus.SENT
    # The reminder is an outbox row like any mail: in the mail log, delivered and marked there.
    assert (reminder.email.kind, reminder.email.to, reminder.email.status) == (
        "events.reminder",
        members[0].email,
        EmailStatus.SENT,
    )
    assert message.extra_headers["X-IMC-Reminder"] == str(reminder.pk)
    # The worker getting the same batch again (a redelivered message) sends nothing.
    assert emails_deliver_batch(email_ids=[reminder.email_id]) == 0
    assert len(mailoutbox) == 1


def test_a_tick_writes_each_reminders_email_in_the_transaction_that_marks_it(members, clock, monkeypatch):
    """Claimed and written together: a tick that dies before its commit leaves neither the mark
    nor the mail, and the next tick does both."""
    event = make_event(start=THURSDAY_7PM)
    for member in members[:3]:
        services.rsvp_create(event=event, user=member)
    OutboundEmail.objects.filter(kind="events.rsvp_confirmation").delete()  # not what this test is about
    clock.move_to(WEDNESDAY_10AM)

    def crash(**kwargs):
        raise RuntimeError("the tick's process died here")

    monkeypatch.setattr(reminders, "emails_queue_batch", crash)
    with pytest.raises(RuntimeError):
        reminders_tick()
    assert OutboundEmail.objects.count() == 0
    assert set(Reminder.objects.values_list("status", flat=True)) == {ReminderStatus.PENDING}
    monkeypatch.undo()
    assert reminders_tick() == 3
    emails = OutboundEmail.objects.filter(kind="events.reminder")
    assert sorted(emails.values_list("to", flat=True)) == sorted(m.email for m in members[:3])
    assert Reminder.objects.filter(status=ReminderStatus.SENT, email__in=emails).count() == 3


def test_two_beats_give_exactly_one_reminder_per_person(members, clock, tick, mailoutbox):
    event = make_event(start=THURSDAY_7PM)
    for member in members:
        services.rsvp_create(event=event, user=member)
    clock.move_to(THURSDAY_5PM)  # both reminders of all five now due (the day-before late)
    assert tick() + tick() == 10
    keys = sorted((m.to[0], m.extra_headers["X-IMC-Reminder-Kind"]) for m in mailoutbox)
    assert keys == sorted({(m.email, k) for m in members for k in ("day_before", "two_hours")})


@pytest.mark.django_db(transaction=True)
def test_two_beats_running_at_the_same_moment_claim_disjoint_batches(members, monkeypatch, settings):
    """Real concurrent transactions: ``skip_locked`` keeps each row in one batch only."""
    if connection.vendor != "postgresql":
        pytest.skip("Concurrent transactions need PostgreSQL (CI runs this on PostgreSQL).")
    settings.EVENTS_REMINDER_BATCH_SIZE = 3
    event = make_event(start=THURSDAY_7PM)
    with time_machine.travel(MONDAY_9AM, tick=False):
        for member in members:
            services.rsvp_create(event=event, user=member)
    handed: list[list[int]] = []
    lock = threading.Lock()

    def record(*, email_ids):
        with lock:
            handed.append(list(email_ids))

    monkeypatch.setattr(reminders, "emails_queue_batch", record)
    barrier = threading.Barrier(2)

    def beat():
        barrier.wait(timeout=10)
        reminders_tick(now=THURSDAY_5PM)
        connections.close_all()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    claimed = [pk for batch in handed for pk in batch]
    assert sorted(claimed) == sorted(OutboundEmail.objects.filter(kind="events.reminder").values_list("pk", flat=True))
    assert len(claimed) == len(set(claimed)) == 10
    # Exactly one email per reminder.
    assert sorted(Reminder.objects.values_list("email_id", flat=True)) == sorted(claimed)


def test_a_late_reminder_still_useful_is_sent_late(members, clock, tick, mailoutbox):
    event = make_event(start=THURSDAY_7PM)
    services.rsvp_create(event=event, user=members[0])
    clock.move_to(datetime(2026, 12, 3, 12, 0, tzinfo=MA))  # beat was down all Wednesday
    assert tick() == 1
    assert [m.extra_headers["X-IMC-Reminder-Kind"] for m in mailoutbox] == ["day_before"]


def test_a_two_hours_reminder_found_after_the_start_is_dropped(members, clock, tick, mailoutbox):
    event = make_event(start=THURSDAY_7PM, remind_day_before=False)
    rsvp = services.rsvp_create(event=event, user=members[0])
    clock.move_to(THURSDAY_7PM + timedelta(minutes=5))
    tick()
    assert mailoutbox == []
    reminder = Reminder.objects.get(rsvp=rsvp)
    assert (reminder.status, reminder.skip_reason) == (ReminderStatus.SKIPPED, "too late")


@pytest.mark.parametrize("cancel", ["rsvp", "event"])
def test_no_reminder_goes_out_for_a_cancelled_rsvp_or_event(members, clock, tick, mailoutbox, coordinator, cancel):
    event = make_event(start=THURSDAY_7PM)
    rsvp = services.rsvp_create(event=event, user=members[0])
    if cancel == "rsvp":
        services.rsvp_cancel(rsvp=rsvp, by=rsvp.user)
    else:
        services.event_cancel(event=event, by=coordinator)
    mail.outbox.clear()
    clock.move_to(THURSDAY_5PM)
    tick()
    assert mailoutbox == []
    assert set(Reminder.objects.values_list("status", flat=True)) == {ReminderStatus.SKIPPED}


def test_the_tick_checks_the_rsvp_and_the_event_again_when_it_claims_the_row(members, clock, tick, mailoutbox):
    """A cancellation that reached the RSVP without ending its reminders (it raced the
    scheduler) still stops them: the claim reads the RSVP afresh."""
    event = make_event(start=THURSDAY_7PM)
    rsvp = services.rsvp_create(event=event, user=members[0])
    Rsvp.objects.filter(pk=rsvp.pk).update(status=RsvpStatus.CANCELLED)
    clock.move_to(THURSDAY_5PM)
    tick()
    assert mailoutbox == [] and not OutboundEmail.objects.filter(kind="events.reminder").exists()
    assert set(Reminder.objects.values_list("skip_reason", flat=True)) == {"RSVP cancelled"}


def test_with_the_broker_down_for_an_hour_each_reminder_goes_out_once_afterwards(
    members, clock, tick, mailoutbox, monkeypatch
):
    event = make_event(start=THURSDAY_7PM)
    for member in members[:3]:
        services.rsvp_create(event=event, user=member)
    confirmations_sent()
    clock.move_to(WEDNESDAY_10AM)
    # What imc.broker.publish answers while Redis is unreachable: nothing queued, no error.
    monkeypatch.setattr(outbox_services, "publish", lambda task, *args: False)
    for minute in range(60):  # an hour of beats (the tick's and the outbox sweeper's) while it is away
        clock.move_to(WEDNESDAY_10AM + timedelta(minutes=minute))
        tick()
        email_sweep()
    assert mailoutbox == []
    assert OutboundEmail.objects.filter(kind="events.reminder", status=EmailStatus.QUEUED).count() == 3
    monkeypatch.undo()
    clock.move_to(WEDNESDAY_10AM + timedelta(minutes=61))
    tick()
    email_sweep()
    email_sweep()
    assert sorted(m.to[0] for m in mailoutbox) == sorted(m.email for m in members[:3])


def test_a_reminder_left_in_flight_by_a_killed_worker_is_sent_after_the_timeout(
    members, clock, mailoutbox, settings, monkeypatch
):
    event = make_event(start=THURSDAY_7PM)
    services.rsvp_create(event=event, user=members[0])
    confirmations_sent()
    clock.move_to(WEDNESDAY_10AM)
    monkeypatch.setattr(reminders, "emails_queue_batch", lambda **kwargs: None)  # the worker never got it
    reminders_tick()
    email = OutboundEmail.objects.get(kind="events.reminder")
    OutboundEmail.objects.filter(pk=email.pk).update(status=EmailStatus.INFLIGHT, claimed_at=WEDNESDAY_10AM)
    clock.move_to(WEDNESDAY_10AM + timedelta(seconds=settings.OUTBOX_INFLIGHT_TIMEOUT_SECONDS - 60))
    email_sweep()
    assert mailoutbox == []  # perhaps still being sent: not yet
    clock.move_to(WEDNESDAY_10AM + timedelta(seconds=settings.OUTBOX_INFLIGHT_TIMEOUT_SECONDS + 120))
    email_sweep()
    email_sweep()
    assert len(mailoutbox) == 1


def test_moving_the_event_moves_the_reminders_and_emails_everyone(members, clock, coordinator):
    from outbox.models import OutboundEmail

    event = make_event(start=THURSDAY_7PM, capacity=1)
    going = services.rsvp_create(event=event, user=members[0])
    waiting = services.rsvp_create(event=event, user=members[1])
    friday_7pm = THURSDAY_7PM + timedelta(days=1)
    services.event_update(event=event, by=coordinator, starts_at=friday_7pm, ends_at=friday_7pm + timedelta(hours=2))
    assert _due(going) == {
        "day_before": datetime(2026, 12, 3, 10, 0, tzinfo=MA),
        "two_hours": datetime(2026, 12, 4, 17, 0, tzinfo=MA),
    }
    assert sorted(OutboundEmail.objects.filter(kind="events.changed").values_list("to", flat=True)) == sorted(
        [going.user.email, waiting.user.email]
    )
    event.refresh_from_db()
    assert event.sequence == 1


def test_a_change_that_is_not_of_time_or_place_emails_nobody(members, clock, coordinator):
    from outbox.models import OutboundEmail

    event = make_event(start=THURSDAY_7PM)
    services.rsvp_create(event=event, user=members[0])
    services.event_update(event=event, by=coordinator, description="Bring a friend.")
    assert not OutboundEmail.objects.filter(kind="events.changed").exists()


def test_i_cant_come_link_asks_on_get_and_cancels_on_post_freeing_the_seat(members, clock, client):
    event = make_event(start=THURSDAY_7PM, capacity=1)
    rsvp = services.rsvp_create(event=event, user=members[0])
    waiting = services.rsvp_create(event=event, user=members[1])
    url = f"/events/cant-come/{reminders.cant_come_token(rsvp)}/"
    page = client.get(url)
    assert page.status_code == 200 and b"Yes, cancel my RSVP" in page.content
    assert Rsvp.objects.get(pk=rsvp.pk).status == RsvpStatus.GOING  # a GET (mail scanner) changes nothing
    assert client.post(url).status_code == 200
    assert Rsvp.objects.get(pk=rsvp.pk).status == RsvpStatus.CANCELLED
    assert Rsvp.objects.get(pk=waiting.pk).status == RsvpStatus.GOING


def test_a_forged_i_cant_come_link_is_refused(members, clock, client):
    event = make_event(start=THURSDAY_7PM)
    rsvp = services.rsvp_create(event=event, user=members[0])
    token = reminders.cant_come_token(rsvp)
    assert client.post(f"/events/cant-come/{token[:-2]}xx/").status_code == 404
    assert Rsvp.objects.get(pk=rsvp.pk).status == RsvpStatus.GOING


def test_an_unpublished_event_sends_no_reminders(members, clock, tick, mailoutbox, rep_ma3):
    event = make_event(start=THURSDAY_7PM)
    services.rsvp_create(event=event, user=members[0])
    services.event_unpublish(event=event, by=rep_ma3)
    assert event.__class__.objects.get(pk=event.pk).status == EventStatus.DRAFT
    clock.move_to(THURSDAY_5PM)
    tick()
    assert mailoutbox == []


def test_a_reminder_is_in_the_members_data_download_and_nobody_elses(activist, members, clock, tick, client):
    import json

    event = make_event(start=THURSDAY_7PM, title="Town hall with our Rep")
    services.rsvp_create(event=event, user=activist)
    clock.move_to(WEDNESDAY_10AM)
    assert tick() == 1
    client.force_login(activist)
    emails = json.loads(client.get("/accounts/data/").content)["emails"]
    reminder = [e for e in emails if e["kind"] == "events.reminder"]
    assert len(reminder) == 1 and "Town hall with our Rep" in reminder[0]["subject"]
    assert reminder[0]["status"] == EmailStatus.SENT
    client.force_login(members[0])  # an outsider to that RSVP
    assert "Town hall with our Rep" not in client.get("/accounts/data/").content.decode()
