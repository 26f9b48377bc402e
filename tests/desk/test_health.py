"""The coalition's health, for coordinators: per district, its groups, those active in the last 90
days, stale listings, the share a rep contacted in the last 90 days, events per month over the
last year; charts drawn as SVG with a table behind each, and a CSV download."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.utils import timezone

from desk import selectors, services
from desk.models import ContactMethod
from groups.models import Group
from tests.events.conftest import make_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(rep_ma3, lowell_group, make_group):
    quiet = make_group("Acton Quiet", ("Acton",))
    stale = make_group("Concord Stale", ("Concord",))
    long_ago = timezone.now() - datetime.timedelta(days=200)
    Group.objects.filter(pk__in=[quiet.pk, stale.pk]).update(last_confirmed=long_ago)
    Group.objects.filter(pk=stale.pk).update(is_stale=True)
    make_event(host_group=lowell_group, start=timezone.now() - datetime.timedelta(days=5))
    make_event(host_group=lowell_group, start=timezone.now() - datetime.timedelta(days=400))  # over a year ago
    services.contact_note_add(
        rep=rep_ma3, group=lowell_group, contacted_on=timezone.localdate(), method=ContactMethod.CALL, note=""
    )
    services.contact_note_add(
        rep=rep_ma3,
        group=quiet,
        contacted_on=timezone.localdate() - datetime.timedelta(days=100),
        method=ContactMethod.CALL,
        note="",
    )


def test_the_numbers_of_each_district(world):
    health = {row.district.slug: row for row in selectors.coalition_health()}
    ma3 = health["ma-3"]
    assert (ma3.groups, ma3.active, ma3.stale, ma3.contacted) == (3, 1, 1, 1)
    assert ma3.contacted_share == pytest.approx(1 / 3)
    assert sum(ma3.events_per_month) == 1 and len(ma3.events_per_month) == 12
    assert ma3.events_per_month[-1] == 1 or ma3.events_per_month[-2] == 1
    assert health["ma-5"].groups == 0 and health["ma-5"].contacted_share is None


def test_the_charts_are_accessible_svg_with_a_table_behind_each(coordinator_client, world):
    page = coordinator_client.get("/desk/statewide/").content.decode()
    assert page.count("<svg") >= 3
    assert page.count('role="img"') == page.count("<svg")
    assert page.count("<title id=") == page.count("<svg") and page.count("<desc id=") == page.count("<svg")
    assert page.count("<table") >= page.count("<svg")
    assert "aria-labelledby" in page


def test_the_health_downloads_as_csv(coordinator_client, world):
    response = coordinator_client.get("/desk/statewide/health.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content) if response.streaming else response.content
    rows = list(csv.reader(io.StringIO(body.decode())))
    header, ma3 = rows[0], next(r for r in rows if r[0] == "MA-3")
    assert header[:6] == ["district", "groups", "active_90_days", "stale", "contacted_90_days", "contacted_share"]
    assert len(header) == 6 + 12
    assert ma3[1:6] == ["3", "1", "1", "1", "0.33"]
    assert len(rows) == 10
