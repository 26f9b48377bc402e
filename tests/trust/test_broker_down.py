"""Nothing is lost when the broker is down (real stack).

The shared Redis stays up (other engineers use it): the test starts a private ``redis-server``
on a free port and points both sides at it, the web side (this process: the Celery app's broker,
``REDIS_URL`` for /healthz and the cache, as in production where one Redis serves all three) and
the worker process. It stops that Redis, performs through the site every action that owes mail,
starts Redis again with an empty queue (nothing was persisted: what the broker never got is
gone), starts a real worker, runs every beat task the way beat would, and counts what the SMTP
server on loopback received: every owed message exactly once, nothing to anybody else.
"""

from __future__ import annotations

import datetime
import shutil
import subprocess
import time
from collections import Counter

import kombu.pools
import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.services import user_ensure
from districts.models import Town
from events.models import Reminder, ReminderStatus, Rsvp, RsvpStatus
from groups.models import Group, GroupStatus
from imc import broker
from imc.celery import app
from newsletter.models import Newsletter, NewsletterStatus, Subscriber, SubscriberStatus
from outbox.models import EmailStatus, OutboundEmail
from tests.conftest import PASSWORD
from tests.events.conftest import make_event, make_group
from tests.newsletter.conftest import make_subscriber
from tests.newsletter.helpers import compose
from tests.realstack import free_port, require

pytestmark = pytest.mark.realstack

READERS = ["reader1@example.org", "reader2@example.org", "reader3@example.org"]


class PrivateRedis:
    """A redis-server of this test's own, stopped and started again on the same port."""

    def __init__(self) -> None:
        require(shutil.which("redis-server") is not None, "redis-server is not installed")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis.from_url(self.url, socket_connect_timeout=0.2).ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"private redis-server on port {self.port} did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def _point_celery_at(url: str) -> None:
    """Publish to ``url`` from now on: drop the connection and producer pools built for the old one."""
    app.conf.broker_url = url
    # kombu keeps its connection and producer pools in process-wide registries keyed by the
    # connection: closing only Celery's handle would leave a closed pool there for the next test
    # ("Acquire on closed pool"). reset() closes and forgets them all.
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    broker.reset_backoff()


@pytest.fixture
def private_redis(settings):
    server = PrivateRedis()
    server.start()
    previous = app.conf.broker_url
    settings.REDIS_URL = server.url
    # Production's cache backend, on the private Redis: one Redis serves broker and cache.
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": server.url}}
    _point_celery_at(server.url)
    yield server
    server.stop()
    _point_celery_at(previous)


@pytest.fixture
def cast(worker_factory, rep_ma3, coordinator, activist):
    """Everything the actions need, written straight to the tables so that nothing owes mail yet."""
    organizer = user_ensure(email="olga@example.org", password=PASSWORD, first_name="Olga")
    members = {
        n: user_ensure(email=f"{n}@example.org", password=PASSWORD, first_name=n.title())
        for n in ("bob", "carol", "dave")
    }
    group = make_group("Indivisible Lowell", "Lowell", organizer)
    # Both start in 90 minutes: a going RSVP is owed its "shortly before" reminder at once.
    soon = timezone.now() + datetime.timedelta(minutes=90)
    full = make_event(host_group=group, start=soon, capacity=1, title="Small room")
    open_event = make_event(host_group=group, start=soon, title="Big hall")
    for email in READERS:
        make_subscriber(email)
    newsletter = compose("While Redis was down")
    assert not OutboundEmail.objects.exists()
    return {"group": group, "full": full, "open": open_event, "newsletter": newsletter, **members}


def _member(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _ok(response, expected: int = 302) -> None:
    assert response.status_code == expected, (response.status_code, response.content[:2000])


def _run_beat_once(at: datetime.datetime) -> None:
    """Every periodic task, as beat would start it, with the clock at ``at`` (each runs its body)."""
    app.loader.import_default_modules()  # what a worker does at start: autodiscover every tasks.py
    with time_machine.travel(at, tick=True):
        for entry in settings.CELERY_BEAT_SCHEDULE.values():
            app.tasks[entry["task"]].apply(throw=True)


def test_every_owed_email_arrives_once_after_a_broker_outage(
    private_redis, cast, worker_factory, smtp_server, rep_ma3, coordinator, activist, staff_client_factory
):
    private_redis.stop()

    # --- /healthz names the broker while it is down --------------------------------------------
    health = Client().get("/healthz")
    assert health.status_code == 503
    assert health.json()["broker"] == "unreachable" and health.json()["failed"] == ["broker"], health.json()

    # --- every action that owes mail, through the site; each succeeds for the person -------------
    started = time.monotonic()
    _ok(
        Client().post(
            "/accounts/signup/", {"email": "newbie@example.org", "password1": PASSWORD, "password2": PASSWORD}
        )
    )
    _ok(Client().post("/accounts/password/reset/", {"email": activist.email}))
    _ok(Client().post("/newsletter/", {"email": "reader-new@example.org", "source": "page"}))

    alice = _member(activist)
    _ok(
        alice.post(
            "/groups/submit/", {"name": "Chelmsford Rising", "home_town": Town.objects.get(name="Chelmsford").pk}
        )
    )
    submitted = Group.objects.get(name="Chelmsford Rising")
    rep = staff_client_factory(rep_ma3)
    _ok(
        rep.post(
            reverse("admin:groups_group_decide", args=[submitted.pk, "approve"]), {"apply": "1", "reason": "Welcome"}
        )
    )
    assert Group.objects.get(pk=submitted.pk).status == GroupStatus.APPROVED

    group = cast["group"]
    _ok(Client().post(f"/groups/{group.slug}/contact/", {"name": "Sam", "email": "sam@example.net", "message": "Hi!"}))

    full, open_event = cast["full"], cast["open"]
    bob, carol, dave = _member(cast["bob"]), _member(cast["carol"]), _member(cast["dave"])
    _ok(bob.post(f"/events/{full.slug}/rsvp/"))
    _ok(carol.post(f"/events/{full.slug}/rsvp/"))
    assert Rsvp.objects.get(event=full, user=cast["carol"]).status == RsvpStatus.WAITLISTED
    _ok(bob.post(f"/events/{full.slug}/rsvp/cancel/"))  # Carol moves up and is told
    assert Rsvp.objects.get(event=full, user=cast["carol"]).status == RsvpStatus.GOING
    _ok(dave.post(f"/events/{open_event.slug}/rsvp/"))

    newsletter = cast["newsletter"]
    _ok(staff_client_factory(coordinator).post(f"/newsletter/staff/{newsletter.pk}/send/", {"confirm": "yes"}))
    assert Newsletter.objects.get(pk=newsletter.pk).status == NewsletterStatus.SENDING
    # No request waited on the broker's reconnect back-off.
    assert time.monotonic() - started < 30

    # Every owed email is a row, and nothing went anywhere yet.
    assert OutboundEmail.objects.filter(status=EmailStatus.QUEUED).count() == 10  # 3 of them RSVP confirmations
    assert Reminder.objects.filter(status=ReminderStatus.PENDING).count() == 2  # Carol, Dave
    assert smtp_server.messages == []

    # --- the broker comes back (empty), a worker starts, beat ticks ------------------------------
    private_redis.start()
    broker.reset_backoff()
    worker = worker_factory(smtp_server, extra_env={"REDIS_URL": private_redis.url})
    assert Client().get("/healthz").status_code == 200

    expected = Counter(
        {
            "newbie@example.org": 1,  # sign-up confirmation
            "alice@example.org": 2,  # password reset; the rep's decision on her listing
            "reader-new@example.org": 1,  # newsletter confirmation
            "rita@example.org": 2,  # a listing waits for the rep of MA-3; the desk's weekly email (beat ran)
            "olga@example.org": 1,  # relayed contact message
            "bob@example.org": 1,  # his RSVP's confirmation
            "carol@example.org": 3,  # her RSVP's confirmation (waitlisted); promoted; her reminder
            "dave@example.org": 2,  # his RSVP's confirmation; his reminder
            **dict.fromkeys(READERS, 1),  # the newsletter
        }
    )
    # The sweepers wait a minute before they requeue what the broker never got: move the clock.
    later = timezone.now() + datetime.timedelta(minutes=15)
    deadline = time.monotonic() + 90
    while len(smtp_server.messages) < sum(expected.values()) and time.monotonic() < deadline:
        _run_beat_once(later)
        smtp_server.wait_for(sum(expected.values()), timeout=2)
    # A few more ticks after everything arrived: nothing goes out twice.
    for _ in range(3):
        _run_beat_once(later)
        time.sleep(0.5)
    time.sleep(2)

    received = Counter(r.lower() for m in smtp_server.messages for r in m.recipients)
    assert received == expected, (received, worker.log()[-3000:])
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {EmailStatus.SENT}
    reminders = Counter(Reminder.objects.values_list("rsvp__user__email", "status"))
    assert reminders[("carol@example.org", ReminderStatus.SENT)] == 1
    assert reminders[("dave@example.org", ReminderStatus.SENT)] == 1
    assert Newsletter.objects.get(pk=newsletter.pk).status == NewsletterStatus.SENT
    # The new reader is not in this audience: she has not clicked her confirmation yet.
    assert Subscriber.objects.get(email="reader-new@example.org").status == SubscriberStatus.PENDING
