"""Reminder delivery on the real stack: a Celery worker process, Redis, SMTP on loopback.

The tick writes the reminders' emails to the outbox and hands them to the worker in batches. A
worker is killed with SIGKILL in the middle of a batch and started again; what the SMTP
server received is then counted: every due reminder arrived, and at most one arrived twice (the
one message the killed worker had in flight).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.db import connection, connections
from django.utils import timezone

from accounts.models import User
from events import services
from events.models import Reminder, ReminderStatus
from events.reminders import reminders_tick
from outbox.models import EmailStatus, OutboundEmail
from outbox.services import email_sweep
from tests import realstack
from tests.events.conftest import make_event

pytestmark = pytest.mark.realstack

PEOPLE = 40


@dataclass
class SlowSink(realstack.SmtpSink):
    """Takes a moment per message and, once ``hold_after`` messages are in, holds the next one
    until ``release()``: the kill then lands in the middle of a batch however slowly the test
    process gets to it on a busy machine (it once found all 40 delivered before the kill)."""

    delay: float = 0.15
    hold_after: int | None = None
    released: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server, session, envelope):
        # SmtpSink waits ``delay`` before it accepts (a dataclass field: before this class was one,
        # the parent's __init__ reset it to 0 and the sink was not slow at all).
        while self.hold_after is not None and len(self.messages) >= self.hold_after and not self.released.is_set():
            await asyncio.sleep(0.05)
        return await super().handle_DATA(server, session, envelope)

    def release(self) -> None:
        self.released.set()


@pytest.fixture
def slow_smtp():
    sink = SlowSink(port=realstack.free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port, ready_timeout=10)
    controller.start()
    yield sink
    controller.stop()


def _rsvp_crowd(event, count: int) -> None:
    for n in range(count):
        user = User.objects.create(email=f"person{n}@example.org")
        services.rsvp_create(event=event, user=user)
    # Their RSVP confirmations count as sent, and their tasks are dropped from the test's own
    # broker before any worker starts: what these tests count is the reminders.
    OutboundEmail.objects.filter(kind="events.rsvp_confirmation").update(status=EmailStatus.SENT)
    import redis

    redis.Redis.from_url(realstack.redis_url()).flushdb()


def _received_ids(sink) -> Counter:
    with sink.lock:
        return Counter(m.header("X-IMC-Reminder") for m in sink.messages)


def _wait_until(condition, timeout: float = 90.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def test_a_worker_killed_mid_batch_loses_no_reminder_and_repeats_at_most_one(worker_factory, slow_smtp, settings):
    settings.EVENTS_REMINDER_BATCH_SIZE = 10
    # Starts in 90 minutes: each RSVP is owed the "two hours before" reminder, due at once.
    event = make_event(start=timezone.now() + timedelta(minutes=90))
    _rsvp_crowd(event, PEOPLE)
    due = set(map(str, Reminder.objects.filter(status=ReminderStatus.PENDING).values_list("pk", flat=True)))
    assert len(due) == PEOPLE

    slow_smtp.hold_after = 13
    worker = worker_factory(slow_smtp)
    assert reminders_tick() == PEOPLE  # four batches of ten, handed to Redis
    assert _wait_until(lambda: len(slow_smtp.messages) >= 13, timeout=60), worker.log()
    worker.kill()  # SIGKILL, mid-batch: the second batch is half sent, its 14th message held
    received_before_kill = sum(_received_ids(slow_smtp).values())
    slow_smtp.release()  # the held message is accepted: the one repeat a kill may cost
    assert received_before_kill < PEOPLE
    # Every reminder's email was written by the tick; the kill left some of them undelivered.
    assert Reminder.objects.filter(status=ReminderStatus.SENT, email__isnull=False).count() == PEOPLE
    unfinished = OutboundEmail.objects.filter(kind="events.reminder").exclude(status=EmailStatus.SENT).count()
    assert unfinished > 0  # the kill really left a batch half done

    # The killed worker's batch is never acknowledged and Redis would only redeliver it after its
    # visibility timeout; the outbox sweeper after its recovery timeouts hands the rows out instead.
    later = timezone.now() + timedelta(seconds=settings.OUTBOX_INFLIGHT_TIMEOUT_SECONDS + 60)
    email_sweep(now=later)
    worker_factory(slow_smtp)
    assert _wait_until(lambda: set(_received_ids(slow_smtp)) >= due), "missing reminders"
    assert _wait_until(
        lambda: OutboundEmail.objects.filter(kind="events.reminder", status=EmailStatus.SENT).count() == PEOPLE,
        timeout=30,
    )
    time.sleep(1)  # let any stray duplicate arrive before counting
    counts = _received_ids(slow_smtp)
    assert set(counts) == due  # every due reminder arrived, none from elsewhere
    duplicates = sum(n - 1 for n in counts.values())
    assert duplicates <= 1, counts.most_common(3)


def test_two_beats_at_once_with_a_real_worker_send_exactly_one_per_person(worker_factory, smtp_server, settings):
    settings.EVENTS_REMINDER_BATCH_SIZE = 4
    event = make_event(start=timezone.now() + timedelta(minutes=90))
    _rsvp_crowd(event, 20)
    worker_factory(smtp_server)
    claimed: list[int] = []
    barrier = threading.Barrier(2)

    def beat():
        barrier.wait(timeout=10)
        claimed.append(reminders_tick())
        if connection.vendor != "sqlite":
            connections.close_all()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(claimed) == 20
    received = smtp_server.wait_for(20, timeout=60)
    time.sleep(1)
    counts = Counter(m.header("X-IMC-Reminder") for m in smtp_server.messages)
    assert len(received) >= 20
    assert len(counts) == 20 and set(counts.values()) == {1}
