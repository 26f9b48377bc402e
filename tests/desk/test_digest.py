"""Each rep's weekly email: groups due a check-in, new and stale listings, the district's coming
events. One per rep per week, however often the task runs; only their own districts."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from desk import services
from desk.models import ContactMethod
from groups.models import Group, GroupStatus
from outbox.models import OutboundEmail
from tests.events.conftest import make_event

pytestmark = pytest.mark.django_db


def _digests():
    return OutboundEmail.objects.filter(kind="desk.weekly")


def test_each_rep_gets_their_districts_week_once(rep_ma3, rep_ma5, lowell_group, ma5_group, make_group, settings):
    today = timezone.localdate()
    due = make_group("Acton Due", ("Acton",))
    services.contact_note_add(
        rep=rep_ma3,
        group=due,
        contacted_on=today - datetime.timedelta(days=30),
        method=ContactMethod.CALL,
        note="",
        next_check_in=today + datetime.timedelta(days=2),
    )
    stale = make_group("Concord Stale", ("Concord",))
    Group.objects.filter(pk=stale.pk).update(is_stale=True)
    make_group("Dracut New", ("Dracut",), status=GroupStatus.PENDING)
    make_event(host_group=lowell_group, title="Lowell rally", start=timezone.now() + datetime.timedelta(days=3))
    make_event(
        host_group=ma5_group,
        title="Framingham rally",
        town="Framingham",
        start=timezone.now() + datetime.timedelta(days=3),
    )

    assert services.digests_send_weekly() == 2
    assert services.digests_send_weekly() == 0  # idempotent within the week
    rita = _digests().get(to=rep_ma3.email)
    text = rita.body_text
    assert "Acton Due" in text and "Concord Stale" in text and "Dracut New" in text and "Lowell rally" in text
    assert "Framingham rally" not in text and "Metro West" not in text
    assert settings.SITE_URL + "/desk/ma-3/" in text
    assert rita.body_html.startswith("<!doctype html>") and settings.SITE_URL + "/desk/ma-3/" in rita.body_html
    fred = _digests().get(to=rep_ma5.email)
    assert "Framingham rally" in fred.body_text and "Lowell rally" not in fred.body_text


def test_a_new_week_brings_a_new_email(rep_ma3):
    now = timezone.now()
    assert services.digests_send_weekly(now=now) == 1
    assert services.digests_send_weekly(now=now + datetime.timedelta(days=7)) == 1
    assert _digests().count() == 2


def test_members_coordinators_and_former_reps_get_no_weekly_email(activist, coordinator, rep_ma3):
    from districts.models import BoardSeat

    BoardSeat.objects.filter(user=rep_ma3).update(term_end=timezone.localdate() - datetime.timedelta(days=1))
    assert services.digests_send_weekly() == 0
    assert not _digests().exists()


def test_the_weekly_email_is_on_the_beat_schedule(settings):
    entries = [e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "desk.tasks.weekly_digests" in entries and "desk.tasks.member_counts" in entries
