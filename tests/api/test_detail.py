"""One row of each list at its own address (/api/v1/events/<id>/, groups/<slug>/, districts/<slug>/,
teams/<slug>/), the cancelled events a mirror must hear of, and the schema served from memory."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from districts.models import BoardSeat, Team
from events import policy as event_policy
from events import services as event_services
from events.models import Event, EventStatus
from groups.models import GroupStatus
from tests import factories
from tests.events.conftest import make_event
from tests.events.conftest import make_group as quick_group

pytestmark = pytest.mark.django_db

SOON = timezone.now().replace(second=0, microsecond=0) + timedelta(days=2)


def conditional(client, url: str) -> None:
    """The address answers 200 with an ETag, then 304 to a client that sends it back."""
    first = client.get(url)
    assert first.status_code == 200, first.content
    assert first["ETag"] and first["Last-Modified"]
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and not again.content


# --- each row at its own address ----------------------------------------------------------------


def test_an_event_has_its_own_address_with_the_lists_shape(client):
    lowell = quick_group("Lowell Indivisible", "Lowell")
    event = make_event(title="Lowell rally", host_group=lowell, start=SOON)
    listed = client.get("/api/v1/events/").json()["data"][0]
    response = client.get(f"/api/v1/events/{event.pk}/")
    assert response.status_code == 200
    assert response.json() == {"data": listed}
    conditional(client, f"/api/v1/events/{event.pk}/")


def test_a_past_event_still_has_its_address(client):
    event = make_event(title="Long ago", start=timezone.now() - timedelta(days=30))
    assert client.get(f"/api/v1/events/{event.pk}/").json()["data"]["title"] == "Long ago"


@pytest.mark.parametrize("group_status", [GroupStatus.PENDING, GroupStatus.REJECTED, GroupStatus.ARCHIVED])
def test_a_draft_or_an_event_of_an_unlisted_group_is_a_404_like_one_that_never_existed(client, group_status):
    draft = make_event(title="Secret draft", status=EventStatus.DRAFT)
    hidden = make_event(title="Hidden host", host_group=factories.group("Quiet Circle", status=group_status))
    for pk in (draft.pk, hidden.pk, 987654):
        response = client.get(f"/api/v1/events/{pk}/")
        assert response.status_code == 404
        assert response.json()["data"] is None
        assert "Secret draft" not in response.content.decode() and "Quiet" not in response.content.decode()


def test_a_cancelled_event_is_shown_as_cancelled_with_its_deleted_date(client):
    """Cancelled events stay public on the site (events.policy.can_view); the API says so."""
    event = make_event(title="Called off", status=EventStatus.CANCELLED)
    assert event_policy.can_view(AnonymousUser(), event)
    item = client.get(f"/api/v1/events/{event.pk}/").json()["data"]
    assert item["status"] == "cancelled"
    assert item["deleted_date"] == int(Event.objects.get(pk=event.pk).updated_at.timestamp())
    live = make_event(title="Still on")
    assert client.get(f"/api/v1/events/{live.pk}/").json()["data"]["deleted_date"] is None


def test_a_listed_group_has_its_own_address(client):
    quick_group("Lowell Indivisible", "Lowell")
    listed = client.get("/api/v1/groups/").json()["data"][0]
    assert client.get("/api/v1/groups/lowell-indivisible/").json() == {"data": listed}
    conditional(client, "/api/v1/groups/lowell-indivisible/")


@pytest.mark.parametrize("group_status", [GroupStatus.PENDING, GroupStatus.REJECTED, GroupStatus.ARCHIVED])
def test_a_group_that_is_not_listed_is_a_404(client, group_status):
    factories.group("Quiet Circle", status=group_status)
    response = client.get("/api/v1/groups/quiet-circle/")
    assert response.status_code == 404 and "Quiet" not in response.content.decode()
    assert client.get("/api/v1/groups/no-such-group/").status_code == 404


def test_a_district_has_its_own_address(client, rep_ma3):
    listed = client.get("/api/v1/districts/").json()["data"][2]
    response = client.get("/api/v1/districts/ma-3/")
    assert response.json() == {"data": listed}
    assert response.json()["data"]["board"][0]["name"] == BoardSeat.objects.get(user=rep_ma3).display_name
    assert client.get("/api/v1/districts/MA-3/").status_code == 200
    assert client.get("/api/v1/districts/ma-10/").status_code == 404
    conditional(client, "/api/v1/districts/ma-3/")


def test_a_team_has_its_own_address(client):
    Team.objects.create(name="Voter Outreach", slug="voter-outreach", description="Doors.", how_to_help="Knock.")
    listed = client.get("/api/v1/teams/").json()["data"][0]
    assert client.get("/api/v1/teams/voter-outreach/").json() == {"data": listed}
    assert client.get("/api/v1/teams/no-such-team/").status_code == 404
    conditional(client, "/api/v1/teams/voter-outreach/")


@pytest.mark.parametrize(
    ("url", "expected"),
    [("/api/v1/events/{event}/", 2), ("/api/v1/groups/lowell-indivisible/", 2), ("/api/v1/districts/ma-3/", 3),
     ("/api/v1/teams/voter-outreach/", 1)],
)  # fmt: skip
def test_each_address_asks_a_fixed_number_of_queries(client, url, expected):
    lowell = quick_group("Lowell Indivisible", "Lowell")
    event = make_event(title="Lowell rally", host_group=lowell)
    for n in range(3):
        event.co_hosts.add(quick_group(f"Cohost {n}", "Chelmsford"))
    Team.objects.create(name="Voter Outreach", slug="voter-outreach")
    url = url.format(event=event.pk)
    client.get(url)  # the site's cached lookups (throttle, served dates) warm
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert len(queries) == expected, [q["sql"] for q in queries]


def test_the_detail_addresses_are_in_the_schema(client):
    import yaml

    schema = yaml.safe_load(client.get("/api/v1/schema/").content)
    paths, components = schema["paths"], schema["components"]["schemas"]
    for path, row in (("/api/v1/events/{event_id}/", "Event"), ("/api/v1/groups/{slug}/", "Group"),
                      ("/api/v1/districts/{slug}/", "District"), ("/api/v1/teams/{slug}/", "Team")):  # fmt: skip
        assert path in paths, sorted(paths)
        answer = paths[path]["get"]["responses"]
        envelope = answer["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        assert components[envelope]["properties"]["data"]["$ref"] == f"#/components/schemas/{row}"
        assert "404" in answer


def test_the_documentation_page_shows_the_detail_addresses(client, settings):
    page = client.get("/api/").content.decode()
    for path in ("/api/v1/events/41/", "/api/v1/groups/lowell-indivisible/", "/api/v1/districts/ma-3/",
                 "/api/v1/teams/voter-outreach/"):  # fmt: skip
        assert f"{settings.SITE_URL}{path}" in page, path


# --- what a mirror needs: cancellations -----------------------------------------------------------


def test_updated_since_also_answers_the_events_cancelled_since_then_but_never_a_draft(client, coordinator):
    kept = make_event(title="Still on", start=SOON)
    called_off = make_event(title="Called off", start=SOON + timedelta(hours=1))
    never_shown = make_event(title="Quiet draft", start=SOON + timedelta(hours=2), status=EventStatus.DRAFT)
    old_cancel = make_event(title="Cancelled long ago", start=SOON + timedelta(hours=3), status=EventStatus.CANCELLED)
    cutoff = timezone.now() + timedelta(seconds=1)
    Event.objects.filter(pk=old_cancel.pk).update(updated_at=cutoff - timedelta(days=1))
    Event.objects.filter(pk=kept.pk).update(updated_at=cutoff - timedelta(days=1))
    later = cutoff + timedelta(seconds=5)
    event_services.event_cancel(event=called_off, by=coordinator)
    Event.objects.filter(pk__in=[called_off.pk, never_shown.pk]).update(updated_at=later)
    since = "updated_since=" + cutoff.isoformat().replace("+", "%2B")

    data = client.get(f"/api/v1/events/?{since}").json()["data"]
    assert [(item["title"], item["status"]) for item in data] == [("Called off", "cancelled")]
    assert data[0]["deleted_date"] == int(later.timestamp())
    # Without updated_since the list is what the calendar shows: no cancelled event.
    assert [item["title"] for item in client.get("/api/v1/events/").json()["data"]] == ["Still on"]
    # With the other filters too, and through every page.
    assert [
        item["title"] for item in client.get(f"/api/v1/events/?{since}&district=ma-3&per_page=1").json()["data"]
    ] == ["Called off"]


# --- the schema, generated once -------------------------------------------------------------------


def test_the_schema_is_generated_once_per_process_and_keeps_its_etag(client, monkeypatch):
    from drf_spectacular.generators import SchemaGenerator

    from api import views

    views.SCHEMA_CACHE.clear()
    calls = []
    original = SchemaGenerator.get_schema

    def counting(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SchemaGenerator, "get_schema", counting)
    first = client.get("/api/v1/schema/")
    second = client.get("/api/v1/schema/")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and first["ETag"] == second["ETag"]
    assert first["Content-Type"] == second["Content-Type"]
    assert "yaml" in first["Content-Type"] or "openapi" in first["Content-Type"]
    as_json = client.get("/api/v1/schema/?format=json")
    assert as_json["Content-Type"].startswith("application/vnd.oai.openapi+json") and as_json.json()["openapi"]
    client.get("/api/v1/schema/?format=json")
    assert len(calls) == 1  # once, whatever the format
    assert client.get("/api/v1/schema/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
