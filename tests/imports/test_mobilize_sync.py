"""The Mobilize import against a real HTTP server on loopback (tests/imports/conftest.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.models import Event, EventStatus, EventType
from imports import mobilize, services
from imports.models import ImportedEvent, ImportSource
from tests.imports.conftest import ORG, timeslot

pytestmark = pytest.mark.django_db


def _sync(source):
    source.refresh_from_db()
    return services.source_sync(source)


def _imported(mobilize_id):
    return Event.objects.filter(imported_from__mobilize_event_id=mobilize_id).order_by("starts_at")


def test_the_first_sync_makes_one_published_event_per_upcoming_timeslot_placed_in_its_town(
    fake_mobilize, source, lowell_group, coordinator
):
    fake_mobilize.add(1, timeslots=[timeslot(1, 1, days=2), timeslot(1, 2, days=9)])
    fake_mobilize.add(2, event_type="PHONE_BANK")
    fake_mobilize.add(
        3,
        title="Online training",
        location=None,
        is_virtual=True,
        event_type="TRAINING",
        virtual_action_url="https://zoom.example/j/123",
    )
    past = timeslot(4, 1, days=-2)
    fake_mobilize.add(4, timeslots=[past, timeslot(4, 2, days=4)])  # only the one to come

    outcome = _sync(source)

    assert outcome.counts == {"created": 5, "updated": 0, "unchanged": 0, "cancelled": 0, "skipped": 0}
    assert Event.objects.count() == ImportedEvent.objects.count() == 5
    # Three pages of events (two a page) and one of deletions were read.
    assert len([r for r in fake_mobilize.requests if "/events/deleted" not in r]) == 2
    first, second = _imported(1)
    assert first.imported_from.mobilize_timeslot_id == 11 and second.imported_from.mobilize_timeslot_id == 12
    assert first.status == EventStatus.PUBLISHED and first.host_group == lowell_group
    assert first.created_by == coordinator
    assert first.town.name == "Lowell" and first.district.slug == "ma-3"
    assert (first.venue, first.address) == ("Pollard Library", "401 Merrimack St")
    assert first.event_type == EventType.CANVASS and first.accessibility == ["wheelchair"]
    assert "https://www.mobilize.us/indivisible/event/1/" in first.description
    online = _imported(3).get()
    assert online.is_online and online.town is None and online.join_url == "https://zoom.example/j/123"
    assert online.event_type == EventType.TRAINING
    assert _imported(2).get().event_type == EventType.PHONE_BANK
    assert [e.imported_from.mobilize_timeslot_id for e in _imported(4)] == [42]
    source.refresh_from_db()
    assert source.last_success_at is not None and source.failures == 0 and source.last_counts["created"] == 5


def test_a_second_sync_updates_what_changed_and_writes_nothing_else(fake_mobilize, source):
    fake_mobilize.add(1)
    fake_mobilize.add(2)
    fake_mobilize.add(3, timeslots=[timeslot(3, 1, days=2), timeslot(3, 2, days=5)])
    _sync(source)
    before = {e.pk: (e.updated_at, e.sequence) for e in Event.objects.all()}

    with CaptureQueriesContext(connection) as queries:
        again = _sync(source)
    writes = [q["sql"] for q in queries if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}]
    assert [w for w in writes if "imports_importsource" not in w] == []  # only the source's own record
    assert again.counts == {"created": 0, "updated": 0, "unchanged": 4, "cancelled": 0, "skipped": 0}
    assert {e.pk: (e.updated_at, e.sequence) for e in Event.objects.all()} == before
    assert "updated_since=" in fake_mobilize.requests[-1]

    fake_mobilize.change(
        2, title="Event 2, new room", location={**fake_mobilize.events[2]["location"], "venue": "Hall"}
    )
    fake_mobilize.change(3, timeslots=[timeslot(3, 1, days=2), timeslot(3, 3, days=6)])  # slot 2 dropped
    changed = _sync(source)

    assert changed.counts == {"created": 1, "updated": 2, "unchanged": 1, "cancelled": 1, "skipped": 0}
    assert Event.objects.count() == ImportedEvent.objects.count() == 5
    renamed = _imported(2).get()
    assert (renamed.title, renamed.venue) == ("Event 2, new room", "Hall")
    assert renamed.sequence == before[renamed.pk][1] + 1
    assert [(e.imported_from.mobilize_timeslot_id, e.status) for e in _imported(3)] == [
        (31, EventStatus.PUBLISHED),
        (32, EventStatus.CANCELLED),
        (33, EventStatus.PUBLISHED),
    ]


def test_an_event_deleted_on_mobilize_or_made_private_is_cancelled_on_the_portal(fake_mobilize, source):
    fake_mobilize.add(1, timeslots=[timeslot(1, 1, days=2), timeslot(1, 2, days=3)])
    fake_mobilize.add(2)
    fake_mobilize.add(3)
    _sync(source)

    del fake_mobilize.events[1]
    fake_mobilize.deleted[1] = fake_mobilize.stamp()
    fake_mobilize.change(2, visibility="PRIVATE")
    outcome = _sync(source)

    assert outcome.counts["cancelled"] == 3
    assert {e.status for e in _imported(1)} == {EventStatus.CANCELLED}
    assert _imported(2).get().status == EventStatus.CANCELLED
    assert _imported(3).get().status == EventStatus.PUBLISHED
    assert [s["reason"] for s in outcome.skipped] == ["not public on Mobilize"]
    # Deleting again changes nothing.
    assert _sync(source).counts["cancelled"] == 0


def test_a_500_on_page_two_writes_nothing_and_keeps_the_last_successful_sync(fake_mobilize, source):
    for n in (1, 2, 3):
        fake_mobilize.add(n)
    fake_mobilize.fail[(f"/v1/organizations/{ORG}/events", 2)] = (500, {})

    assert _sync(source) is None
    source.refresh_from_db()
    assert Event.objects.count() == 0  # page 1 was read but nothing of it written
    assert source.last_success_at is None and source.failures == 1 and "HTTP 500" in source.last_error
    assert source.next_attempt_at > timezone.now()

    del fake_mobilize.fail[(f"/v1/organizations/{ORG}/events", 2)]
    _sync(source)
    source.refresh_from_db()
    succeeded = source.last_success_at
    assert Event.objects.count() == 3 and source.failures == 0

    fake_mobilize.change(1, title="Changed while the API broke")
    fake_mobilize.fail[(f"/v1/organizations/{ORG}/events/deleted", 1)] = (502, {})
    assert _sync(source) is None
    source.refresh_from_db()
    assert source.last_success_at == succeeded and "HTTP 502" in source.last_error
    assert _imported(1).get().title == "Event 1"


def test_a_429_waits_at_least_its_retry_after_and_a_truncated_body_is_an_error(fake_mobilize, source):
    fake_mobilize.add(1)
    fake_mobilize.fail[(f"/v1/organizations/{ORG}/events", 1)] = (429, {"Retry-After": "7200"})
    assert _sync(source) is None
    source.refresh_from_db()
    assert "HTTP 429" in source.last_error
    assert source.next_attempt_at >= timezone.now() + timedelta(seconds=7100)

    fake_mobilize.fail.clear()
    fake_mobilize.truncate.add((f"/v1/organizations/{ORG}/events", 1))
    assert _sync(source) is None
    source.refresh_from_db()
    assert "not JSON" in source.last_error and source.failures == 2 and Event.objects.count() == 0


def test_a_slow_server_times_out_and_is_recorded(fake_mobilize, source, monkeypatch):
    monkeypatch.setattr(mobilize, "TIMEOUT_SECONDS", 0.2)
    fake_mobilize.add(1)
    fake_mobilize.delay = 1.0
    assert _sync(source) is None
    source.refresh_from_db()
    assert "timed out" in source.last_error and source.last_success_at is None


def test_bad_items_are_skipped_with_their_reason_and_the_rest_imported(fake_mobilize, source):
    fake_mobilize.add(1, timeslots=[])
    fake_mobilize.add(
        2, location={"venue": "", "address_lines": ["1 Main St", ""], "locality": "Nashua", "region": "NH",
                     "postal_code": "03060", "location": None},
    )  # fmt: skip
    fake_mobilize.add(
        3, location={"venue": "", "address_lines": ["", ""], "locality": "Springfieldish", "region": "MA",
                     "postal_code": "", "location": None},
    )  # fmt: skip
    fake_mobilize.add(4, description='<p>Bring a friend.</p><script>alert("x")</script><img src=x onerror="alert(1)">')
    fake_mobilize.add(9, description="<p>Tom &amp; Jerry &lt;script&gt;alert(2)&lt;/script&gt;</p><p>5 &lt; 6</p>")
    fake_mobilize.add(5, address_visibility="PRIVATE")
    fake_mobilize.add(6, visibility="PRIVATE")
    fake_mobilize.add(7, timeslots=[{"id": 71, "start_date": "soon"}])
    # A value the event rules refuse: an online event with no address to join at.
    fake_mobilize.add(8, location=None, is_virtual=True, browser_url="javascript:alert(1)")

    outcome = _sync(source)

    reasons = {s["id"]: s["reason"] for s in outcome.skipped}
    assert reasons[1] == "no timeslots"
    assert reasons[2] == "outside Massachusetts (NH)"
    assert reasons[3] == "unknown town: Springfieldish"
    assert reasons[6] == "not public on Mobilize"
    assert reasons[7].startswith("a timeslot without")
    assert reasons[8].startswith("join_url:")
    assert set(reasons) == {1, 2, 3, 6, 7, 8} and outcome.counts["created"] == 3
    cleaned = _imported(4).get()
    assert cleaned.description.startswith("Bring a friend.")
    assert "<" not in cleaned.description and "alert" not in cleaned.description
    page = Client().get(cleaned.get_absolute_url())
    assert page.status_code == 200 and "alert" not in page.content.decode()
    assert 'href="https://www.mobilize.us/indivisible/event/4/"' in page.content.decode()
    decoded = _imported(9).get().description
    assert decoded.startswith("Tom & Jerry alert(2)\n\n5 < 6") and "<script" not in decoded
    hidden = _imported(5).get()
    assert (hidden.venue, hidden.address, hidden.town.name) == ("", "", "Lowell")
    source.refresh_from_db()
    assert source.last_counts["skipped"] == 6 and len(source.last_skipped) == 6


def test_the_beat_task_syncs_each_due_source_and_one_failure_does_not_stop_the_others(
    fake_mobilize, source, coordinator, rep_ma3, settings
):
    fake_mobilize.add(1)
    broken = ImportSource.objects.create(name="Broken", mobilize_org_id=999, acts_as=coordinator)  # a 404
    demoted = ImportSource.objects.create(name="Not a coordinator", mobilize_org_id=998, acts_as=rep_ma3)
    off = ImportSource.objects.create(name="Off", mobilize_org_id=997, acts_as=coordinator, enabled=False)

    from imports.tasks import sync_sources

    assert sync_sources() == 1
    assert _imported(1).count() == 1
    for row in (broken, demoted, off):
        row.refresh_from_db()
    assert "HTTP 404" in broken.last_error and broken.next_attempt_at > timezone.now()
    assert "saved again by a coordinator" in demoted.last_error
    assert off.last_attempt_at is None
    # The failed ones wait out their back-off; the good one runs again at once.
    assert sync_sources() == 1
    broken.refresh_from_db()
    assert broken.failures == 1
    assert settings.CELERY_BEAT_SCHEDULE["imports-mobilize-sync"] == {
        "task": "imports.tasks.sync_sources",
        "schedule": 15 * 60.0,
    }


def test_a_next_link_off_the_apis_origin_is_not_followed(fake_mobilize, source, monkeypatch):
    pages = iter([{"data": [], "next": "http://169.254.169.254/latest/meta-data/"}])
    monkeypatch.setattr(mobilize, "get_page", lambda url: next(pages))
    assert _sync(source) is None
    source.refresh_from_db()
    assert "a next page outside the API" in source.last_error and Event.objects.count() == 0
