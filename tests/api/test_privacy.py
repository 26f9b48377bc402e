"""The privacy walk of the API: whatever it answers, to whomever, it never gives away a member's
email or surname, an attendee, a draft, a group waiting for (or refused by) its rep, an online
event's join link or a private address.

The world holds every kind of secret; the walk opens every API address the resolver knows (its
documentation and schema included), follows every page of every list one row at a time, with
each filter, as a visitor and as a signed-in coordinator (the API answers both the same), and
searches every answer for every secret. Controls prove the walk sees what is public.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import get_resolver
from django.utils import timezone

from districts.models import BoardSeat, District, Team, Town
from events import services as event_services
from events.models import Event, EventStatus
from groups import services as group_services
from groups.models import Group, GroupStatus
from newsletter.models import ConsentSource, Subscriber, SubscriberStatus
from tests import factories
from tests.trust.test_permissions import walk

pytestmark = pytest.mark.django_db


def secret_world(coordinator, rep_ma3, capture) -> tuple[list[str], list[str]]:
    """(the secrets, the public markers the walk must see)."""
    organizer = factories.user("olga.secret@example.org", first_name="Olga", last_name="Thistlewood",
                               home_town="Lowell")  # fmt: skip
    group = factories.group("Lowell Indivisible", ("Lowell", "Chelmsford"), organizer=organizer)
    pending = factories.group("Hushhush Pending Circle", status=GroupStatus.PENDING)
    rejected = factories.group("Refused Quietude Club", status=GroupStatus.REJECTED)
    archived = factories.group("Shuttered Brambles Group", status=GroupStatus.ARCHIVED)
    members = [
        factories.user(f"member{n}.secret@example.org", first_name=f"M{n}", last_name=f"Quillfeather{n}")
        for n in range(3)
    ]
    for member in members:
        group_services.membership_join(user=member, group=group)

    start = (timezone.now() + timedelta(days=4)).replace(second=0, microsecond=0)
    lowell = Town.objects.get(name="Lowell")

    def event(slug: str, title: str, **extra) -> Event:
        fields = {"host_group": group, "starts_at": start, "ends_at": start + timedelta(hours=2), "town": lowell,
                  "district": lowell.primary_district, "status": EventStatus.PUBLISHED, "created_by": organizer,
                  **extra}  # fmt: skip
        return Event.objects.create(slug=slug, title=title, **fields)

    public = event("public-rally", "Public rally at city hall", venue="City Hall", address="375 Merrimack St")
    online = event("online-bank", "Online phone bank", is_online=True, town=None,
                   join_url="https://meet.example/zz-join-secret-room")  # fmt: skip
    draft = event("draft-plan", "Unannounced blockade", status=EventStatus.DRAFT, address="12 Hidden Lane",
                  join_url="https://meet.example/draft-secret")  # fmt: skip
    event("pending-host", "Pending circle meetup", host_group=pending)
    house = event("house-meeting", "House meeting in Lowell", venue="Wexford parlour", address="88 Larkspur Lane",
                  address_is_private=True)  # fmt: skip
    with capture(execute=True):
        for member in members:
            event_services.rsvp_create(event=public, user=member)
            event_services.rsvp_create(event=online, user=member)
    group_services.relay_send(group=group, sender_name="Rex Quarrington", sender_email="rex.secret@example.org",
                              body="Call me", ip_address="10.0.0.9")  # fmt: skip
    Subscriber.objects.create(email="sue.secret@example.org", name="Sue Tamberlane", status=SubscriberStatus.CONFIRMED,
                              consent_at=timezone.now(), consent_source=ConsentSource.PAGE)  # fmt: skip
    lead = factories.user("lea.secret@example.org", first_name="Lea", last_name="Fenwright")
    Team.objects.create(name="Voter Outreach", slug="voter-outreach", description="Doors.", lead=lead)
    seat = BoardSeat.objects.get(user=rep_ma3)
    seat.display_name = "Rita R."
    seat.save()

    secrets = [
        organizer.email, "Thistlewood", *(m.email for m in members), *(f"Quillfeather{n}" for n in range(3)),
        pending.name, pending.slug, rejected.name, archived.name, draft.title, draft.slug, "12 Hidden Lane",
        "zz-join-secret-room", "draft-secret", "meet.example", "Pending circle meetup", "rex.secret@example.org",
        "Quarrington", "sue.secret@example.org", "Tamberlane", lead.email, "Fenwright", rep_ma3.email,
        coordinator.email, "10.0.0.9", "88 Larkspur Lane", "Wexford parlour",
    ]  # fmt: skip
    controls = [public.title, online.title, house.title, "375 Merrimack St", group.name, "Rita R.", "Voter Outreach",
                District.objects.get(slug="ma-3").name]  # fmt: skip
    return secrets, controls


FILTERS = ["", "zip=01852&max_dist=25", "district=ma-3", "group=lowell-indivisible", "type=other", "online=1",
           "accessibility=wheelchair", "updated_since=2000-01-01T00:00:00Z"]  # fmt: skip


DETAIL = re.compile(r"^/api/v1/\w+/[^/]+/$")


def api_urls() -> list[str]:
    """Every API address; one of each row's, for every row of the world, hidden ones included."""
    values = {
        "event_id": list(Event.objects.values_list("pk", flat=True)),
        "slug": {
            "groups": list(Group.objects.values_list("slug", flat=True)),
            "districts": list(District.objects.values_list("slug", flat=True)),
            "teams": list(Team.objects.values_list("slug", flat=True)),
        },
    }
    found = []
    for endpoint in walk(get_resolver()):
        if not endpoint.route.startswith("api/"):
            continue
        if not endpoint.params:
            found.append("/" + endpoint.route)
            continue
        assert len(endpoint.params) == 1, f"{endpoint.route}: the walk fills one parameter"
        (param,) = endpoint.params
        assert param in values, f"{endpoint.route}: the walk has no value for {param!r}"
        chosen = values[param]
        rows = chosen[endpoint.route.split("/")[2]] if isinstance(chosen, dict) else chosen
        for value in rows:
            found.append("/" + re.sub(r"<(?:\w+:)?\w+>", str(value), endpoint.route))
    return found


def answers(client: Client, url: str) -> list[tuple[str, str]]:
    """Every page of the answer at ``url``, one row a page for the lists, with each filter; a row's
    own address answers it, or a 404 for a row no list shows."""
    seen = []
    if DETAIL.match(url):
        response = client.get(url)
        assert response.status_code in (200, 404), (url, response.status_code)
        seen.append((url, response.content.decode() + "\n".join(f"{k}: {v}" for k, v in response.items())))
        return seen
    queries = FILTERS if url.endswith(("/events/", "/groups/")) else [""]
    for query in queries:
        page = f"{url}?per_page=1&{query}" if url.endswith(("/events/", "/groups/", "/teams/", "/districts/")) else url
        while page:
            response = client.get(page)
            assert response.status_code == 200, (page, response.status_code, response.content[:300])
            body = response.content.decode()
            seen.append((page, body + "\n".join(f"{k}: {v}" for k, v in response.items())))
            page = response.json().get("next") if response["Content-Type"].startswith("application/json") else None
    for variant in ("?format=json",) if url.endswith("/schema/") else ():
        seen.append((url + variant, client.get(url + variant).content.decode()))
    seen.append((f"OPTIONS {url}", client.options(url).content.decode()))
    return seen


def test_no_api_answer_holds_a_members_address_an_attendee_a_draft_or_a_join_link(
    coordinator, rep_ma3, settings, django_capture_on_commit_callbacks
):
    settings.API_THROTTLE_RATE = "100000/min"
    secrets, controls = secret_world(coordinator, rep_ma3, django_capture_on_commit_callbacks)
    urls = api_urls()
    assert set(urls) >= {"/api/", "/api/v1/", "/api/v1/events/", "/api/v1/groups/", "/api/v1/districts/",
                         "/api/v1/teams/", "/api/v1/schema/", "/api/v1/groups/hushhush-pending-circle/",
                         "/api/v1/districts/ma-3/", "/api/v1/teams/voter-outreach/"}  # fmt: skip
    hidden = Event.objects.get(slug="draft-plan").pk
    assert f"/api/v1/events/{hidden}/" in urls
    signed_in = Client()
    signed_in.force_login(coordinator)  # sees everything on the site: the API answers the same
    bodies = [item for client in (Client(), signed_in) for url in urls for item in answers(client, url)]
    assert len(bodies) > 60, len(bodies)
    everything = "\n".join(body for _, body in bodies)
    for marker in controls:
        assert marker in everything, f"the walk never saw the public {marker!r}"
    leaks = [f"{url} shows {secret!r}" for url, body in bodies for secret in secrets if secret.lower() in body.lower()]
    assert not leaks, "\n".join(leaks[:40])
