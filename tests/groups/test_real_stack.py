"""Groups' emails through the real parts: a Celery worker process on Redis and SMTP on loopback."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from districts.models import Town
from outbox.models import EmailStatus, OutboundEmail

pytestmark = pytest.mark.realstack


def _wait_for_subject(sink, subject: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in list(sink.messages) if m.subject == subject]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no mail {subject!r}; got {[m.subject for m in sink.messages]}")


def test_a_relay_message_reaches_the_organizers_with_the_sender_as_reply_to(
    worker_factory, smtp_server, client, lowell_group, organizer
):
    worker_factory(smtp_server)
    response = client.post(
        reverse("groups:contact", args=[lowell_group.slug]),
        {"name": "Sam", "email": "sam@example.net", "message": "See you Tuesday"},
    )
    assert response.status_code == 302
    relayed = _wait_for_subject(smtp_server, "Message for Lowell Indivisible from Sam")
    assert relayed.recipients == [organizer.email]
    assert relayed.header("Reply-To") == "sam@example.net"
    assert "See you Tuesday" in relayed.text()
    assert organizer.email not in relayed.header("From")


def test_a_submitted_listing_is_announced_to_its_rep_in_the_background(
    worker_factory, smtp_server, client, activist, rep_ma3
):
    worker_factory(smtp_server)
    client.force_login(activist)
    acton = Town.objects.get(name="Acton")
    client.post(reverse("groups:submit"), {"name": "Acton Action", "home_town": acton.pk})
    announced = _wait_for_subject(smtp_server, "A new group listing waits for you: Acton Action")
    assert announced.recipients == [rep_ma3.email]
    row = OutboundEmail.objects.get(kind="groups.pending_listing")
    for _ in range(50):
        if row.status == EmailStatus.SENT:
            break
        time.sleep(0.1)
        row.refresh_from_db()
    assert row.status == EmailStatus.SENT
