"""In a real browser, with the real mail path (a Celery worker, Redis, SMTP on loopback): a
visitor RSVPs as a guest for a party of two, confirms from the mail the SMTP server received, is
reminded, says "I can't come" from the reminder, and the guest waiting is promoted and told."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from events.models import Rsvp, RsvpStatus
from events.reminders import reminders_tick
from tests.events.conftest import make_event

pytestmark = [pytest.mark.browser, pytest.mark.realstack, pytest.mark.django_db(transaction=True)]

LINK = r"{base}(/events/{kind}/[^\s]+/)"


def _mail(sink, to: str, subject_start: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in sink.to(to) if m.subject.startswith(subject_start)]
        if found:
            return found[-1]
        time.sleep(0.2)
    raise AssertionError(f"no mail {subject_start!r} to {to}: {[(m.recipients, m.subject) for m in sink.messages]}")


def _link(mail, base: str, kind: str) -> str:
    return re.search(LINK.format(base=re.escape(base), kind=kind), mail.text()).group(1)


def _rsvp_as_guest(page, base: str, event, name: str, email: str, bringing: str) -> None:
    page.goto(f"{base}{event.get_absolute_url()}")
    assert "held for 60 minutes" in page.locator("section[aria-labelledby=rsvp-heading]").inner_text()
    page.click("#guest-rsvp-link")
    form = page.locator("main form")
    form.get_by_label("Your name").fill(name)
    form.get_by_label("Email address").fill(email)
    form.get_by_label("ZIP code (optional)").fill("01852")
    form.get_by_label("People coming with you").fill(bringing)
    page.get_by_role("button", name="Send me the confirmation link").click()
    assert "Check your inbox" in page.locator("h1").inner_text()


def test_a_guest_rsvps_confirms_is_reminded_cannot_come_and_the_guest_waiting_is_promoted(
    live_server, browser, worker_factory, smtp_server, settings
):
    settings.SITE_URL = base = live_server.url
    worker_factory(smtp_server)
    # Starts in 90 minutes: a going RSVP is owed the shortly-before reminder at once.
    event = make_event(title="Lowell town hall", capacity=2, start=timezone.now() + timedelta(minutes=90))
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        _rsvp_as_guest(page, base, event, "Gina Guest", "gina@example.net", "1")
        confirm = _link(_mail(smtp_server, "gina@example.net", "Confirm your RSVP"), base, "guest/confirm")
        page.goto(base + confirm)
        page.get_by_role("button", name="Confirm my RSVP").click()
        assert "You're going" in page.locator("h1").inner_text()
        confirmation = _mail(smtp_server, "gina@example.net", "You're going")
        assert "a party of 2" in confirmation.text()
        assert any(part.get_filename() == f"{event.slug}.ics" for part in confirmation.message.walk())

        # The event is full now: the next guest waits.
        _rsvp_as_guest(page, base, event, "Hank Guest", "hank@example.net", "0")
        page.goto(base + _link(_mail(smtp_server, "hank@example.net", "Confirm your RSVP"), base, "guest/confirm"))
        page.get_by_role("button", name="Confirm my RSVP").click()
        assert "number 1 in line" in page.locator("#confirm-status").inner_text()
        assert "number 1 on the waitlist" in _mail(smtp_server, "hank@example.net", "On the waitlist").text()

        reminders_tick()
        reminder = _mail(smtp_server, "gina@example.net", "Starting soon")
        page.goto(base + _link(reminder, base, "cant-come"))
        page.get_by_role("button", name="Yes, cancel my RSVP").click()
        assert "Your RSVP is cancelled" in page.locator("h1").inner_text()

        promoted = _mail(smtp_server, "hank@example.net", "You're in")
        assert "off the waitlist" in promoted.text()
        page.goto(base + _link(promoted, base, "guest/my-rsvps"))
        assert "going" in page.locator("#guest-rsvps").inner_text()
        assert "Lowell town hall" in page.locator("#guest-rsvps").inner_text()
    finally:
        context.close()
    assert dict(Rsvp.objects.values_list("guest_email", "status")) == {
        "gina@example.net": RsvpStatus.CANCELLED,
        "hank@example.net": RsvpStatus.GOING,
    }
