"""The site's event pages: finding, seeing, RSVPing, running events, and who may do what."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from events import services
from events.models import Event, EventStatus, EventType, MemberCalendar, Rsvp, RsvpStatus
from outbox.models import OutboundEmail
from tests.events.conftest import make_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(staff_client_factory):
    """The one place admin tests sign staff in: with the second factor satisfied."""
    return staff_client_factory


def _titles(response) -> list[str]:
    return [event.title for event in response.context["events"]]


# --- the listing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Lowell rally", "Worcester canvass", "Online training", "Pittsfield social"]),
        ("?zip=01852&distance=10", ["Lowell rally"]),
        ("?zip=01852&distance=50", ["Lowell rally", "Worcester canvass"]),
        ("?town=Pittsfield&distance=5", ["Pittsfield social"]),
        ("?district=ma-1", ["Pittsfield social"]),
        ("?type=canvass", ["Worcester canvass"]),
        ("?online=on", ["Online training"]),
        ("?access=asl", ["Lowell rally"]),
        ("?access=asl&access=wheelchair", ["Lowell rally"]),
        ("?access=childcare", []),
    ],
)
def test_the_listing_filters_combine(client, query, expected):
    soon = timezone.now() + timedelta(days=1)
    make_event(title="Lowell rally", event_type=EventType.RALLY, start=soon, accessibility=["asl", "wheelchair"])
    make_event(
        title="Worcester canvass", town="Worcester", event_type=EventType.CANVASS, start=soon + timedelta(hours=1)
    )
    make_event(title="Online training", town=None, is_online=True, start=soon + timedelta(hours=2))
    make_event(title="Pittsfield social", town="Pittsfield", start=soon + timedelta(hours=3))
    response = client.get("/events/" + query)
    assert response.status_code == 200
    assert _titles(response) == expected


def test_the_listing_filters_by_date_range(client):
    base = (timezone.localtime() + timedelta(days=10)).replace(hour=12, minute=0, second=0, microsecond=0)
    make_event(title="In range", start=base)
    make_event(title="Too late", start=base + timedelta(days=5))
    day = base.date().isoformat()
    assert _titles(client.get(f"/events/?date_from={day}&date_to={day}")) == ["In range"]


def test_the_listing_counts_matches_only_up_to_a_cap(client, monkeypatch):
    from events import views

    monkeypatch.setattr(views, "COUNT_CAP", 2)
    for n in range(3):
        make_event(title=f"Event {n}", start=timezone.now() + timedelta(hours=n + 1))
    page = client.get("/events/").content.decode()
    assert "More than 2 upcoming events" in page


def test_the_listing_shows_neither_drafts_nor_past_events(client):
    make_event(title="Draft", status=EventStatus.DRAFT)
    make_event(title="Over", start=timezone.now() - timedelta(days=2))
    make_event(title="Upcoming")
    assert _titles(client.get("/events/")) == ["Upcoming"]


@pytest.mark.parametrize("query", ["?zip=99999", "?town=Atlantis", "?date_from=yesterday", "?distance=7"])
def test_bad_filters_show_a_message_not_an_error(client, query):
    response = client.get("/events/" + query)
    assert response.status_code == 200
    assert response.context["form"].errors


@pytest.mark.parametrize("count", [3, 30])
def test_the_listing_costs_the_same_queries_however_many_events(client, django_assert_num_queries, count):
    for n in range(count):
        make_event(title=f"Event {n}", start=timezone.now() + timedelta(hours=n + 1))
    # ZIP lookup (zip, town and its 2 prefetches), towns within, count, the form's district
    # choices, the page of events
    with django_assert_num_queries(8):
        client.get("/events/?zip=01852&distance=25")


def test_the_month_calendar_shows_the_events_of_the_month(client):
    start = (timezone.localtime() + timedelta(days=35)).replace(hour=18, minute=0, second=0, microsecond=0)
    make_event(title="Next month meeting", start=start)
    page = client.get(f"/events/calendar/?month={start:%Y-%m}")
    assert page.status_code == 200
    assert b"Next month meeting" in page.content
    assert (
        b"Next month meeting" not in client.get(f"/events/calendar/?month={start - timedelta(days=62):%Y-%m}").content
    )


def test_the_month_calendar_has_the_filters_and_keeps_its_month(client):
    start = (timezone.localtime() + timedelta(days=35)).replace(hour=18, minute=0, second=0, microsecond=0)
    make_event(title="Lowell meeting", start=start, town="Lowell")
    make_event(title="Pittsfield meeting", start=start, town="Pittsfield")
    page = client.get(f"/events/calendar/?month={start:%Y-%m}").content.decode()
    assert 'aria-label="Filter events"' in page
    assert f'<input type="hidden" name="month" value="{start:%Y-%m}">' in page
    filtered = client.get(f"/events/calendar/?month={start:%Y-%m}&zip=01852&distance=10").content.decode()
    assert "Lowell meeting" in filtered and "Pittsfield meeting" not in filtered
    assert "(filters on)" in filtered


# --- one event -------------------------------------------------------------------------------


def test_the_join_link_is_shown_only_to_people_who_rsvpd(client, members):
    event = make_event(town=None, is_online=True, join_url="https://meet.example/secret")
    assert b"meet.example/secret" not in client.get(event.get_absolute_url()).content
    client.force_login(members[0])
    assert b"meet.example/secret" not in client.get(event.get_absolute_url()).content
    client.post(f"/events/{event.slug}/rsvp/")
    assert b"meet.example/secret" in client.get(event.get_absolute_url()).content


def test_the_description_is_sanitised_markdown(client):
    event = make_event(description="**Bring signs** <script>alert(1)</script> [more](javascript:alert(1))")
    page = client.get(event.get_absolute_url()).content.decode()
    assert "<strong>Bring signs</strong>" in page
    assert "<script>alert" not in page and "javascript:alert" not in page


def test_a_draft_is_hidden_from_everyone_but_its_organizers(client, lowell_group, organizer, other_organizer):
    event = make_event(host_group=lowell_group, status=EventStatus.DRAFT)
    assert client.get(event.get_absolute_url()).status_code == 404
    client.force_login(other_organizer)
    assert client.get(event.get_absolute_url()).status_code == 404
    client.force_login(organizer)
    assert client.get(event.get_absolute_url()).status_code == 200


def test_rsvping_needs_an_account(client):
    event = make_event()
    response = client.post(f"/events/{event.slug}/rsvp/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Rsvp.objects.exists()


def test_a_member_rsvps_and_is_told_their_waitlist_place(client, members):
    event = make_event(capacity=1)
    services.rsvp_create(event=event, user=members[0])
    client.force_login(members[1])
    page = client.post(f"/events/{event.slug}/rsvp/", follow=True).content.decode()
    assert "number 1 on the waitlist" in page


def test_who_rsvpd_is_seen_only_by_the_events_organizers(client, lowell_group, organizer, other_organizer, members):
    event = make_event(host_group=lowell_group)
    services.rsvp_create(event=event, user=members[0])
    for outsider in (None, members[1], other_organizer):
        if outsider:
            client.force_login(outsider)
        assert client.get(f"/events/{event.slug}/attendees/").status_code in (302, 404)
        assert client.get(f"/events/{event.slug}/attendees.csv").status_code in (302, 404)
        assert members[0].email.encode() not in client.get(event.get_absolute_url()).content
    client.force_login(organizer)
    rows = list(csv.reader(io.StringIO(client.get(f"/events/{event.slug}/attendees.csv").content.decode())))
    assert rows[0] == ["name", "email", "status", "rsvp_at", "attended", "party_size", "guest", "zip_code"]
    assert [r[1] for r in rows[1:]] == [members[0].email]


def test_organizers_mark_attendance_after_the_event(client, lowell_group, organizer, members):
    event = make_event(host_group=lowell_group, start=timezone.now() + timedelta(hours=1))
    came, stayed_home = members[:2]
    came_rsvp = services.rsvp_create(event=event, user=came)
    services.rsvp_create(event=event, user=stayed_home)
    Event.objects.filter(pk=event.pk).update(starts_at=timezone.now() - timedelta(hours=1))
    client.force_login(organizer)
    # The page names RSVPs (a guest has no user id).
    client.post(f"/events/{event.slug}/attendees/", {"attended": [str(came_rsvp.pk)]})
    marks = dict(Rsvp.objects.values_list("user_id", "attended"))
    assert marks == {came.pk: True, stayed_home.pk: False}


# --- running events ------------------------------------------------------------------------


def _form(**overrides) -> dict:
    start = (timezone.localtime() + timedelta(days=7)).replace(hour=19, minute=0, second=0, microsecond=0)
    data = {
        "title": "Monthly meeting",
        "event_type": EventType.GROUP_MEETING,
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "venue": "Pollard Library",
        "town": "",
        "description": "Agenda to follow.",
        "capacity": "",
        "remind_day_before": "on",
        "remind_two_hours": "on",
    }
    data.update(overrides)
    return data


def test_an_organizer_creates_a_draft_for_their_group_and_publishes_it(client, organizer, lowell_group):
    from districts.models import Town

    client.force_login(organizer)
    lowell = Town.objects.get(name="Lowell")
    response = client.post("/events/new/", _form(host_group=lowell_group.pk, town=lowell.pk))
    event = Event.objects.get()
    assert response.status_code == 302
    assert (event.status, event.host_group, event.district) == (
        EventStatus.DRAFT,
        lowell_group,
        lowell.primary_district,
    )
    client.post(f"/events/{event.slug}/publish/")
    event.refresh_from_db()
    assert event.status == EventStatus.PUBLISHED


def test_an_organizer_cannot_create_events_for_another_group(client, other_organizer, lowell_group, worcester_group):
    from districts.models import Town

    client.force_login(other_organizer)
    town = Town.objects.get(name="Lowell").pk
    response = client.post("/events/new/", _form(host_group=lowell_group.pk, town=town))
    assert response.status_code == 200 and response.context["form"].errors["host_group"]
    assert not Event.objects.exists()


def test_a_member_who_organizes_nothing_cannot_create_events(client, members):
    client.force_login(members[0])
    assert client.get("/events/new/").status_code == 403


def test_only_coordinators_create_coalition_wide_events(client, organizer, lowell_group, coordinator):
    client.force_login(organizer)
    response = client.post("/events/new/", _form(is_online="on", join_url="https://meet.example/a"))
    assert response.status_code == 200 and "host_group" in response.context["form"].errors
    client.force_login(coordinator)
    client.post("/events/new/", _form(is_online="on", join_url="https://meet.example/a"))
    assert Event.objects.get().host_group is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_at": "2020-01-01T10:00"}, "ends_at"),
        ({"ends_at": "2099-01-01T10:00"}, "ends_at"),  # longer than MAX_EVENT_DAYS
        ({"town": ""}, "town"),
        ({"is_online": "on", "join_url": ""}, "join_url"),
        ({"starts_at": "not a date"}, "starts_at"),
        ({"recurrence": "weekly", "occurrences": "1"}, "occurrences"),
    ],
)
def test_bad_input_re_renders_the_form_and_writes_nothing(client, coordinator, overrides, field):
    client.force_login(coordinator)
    response = client.post("/events/new/", _form(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Event.objects.exists()


def test_a_monthly_event_on_the_second_tuesday_creates_one_event_per_date(client, coordinator):
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from events.services import occurrence_dates

    # the 2nd Tuesday of each month, across a year end and the start of daylight saving time
    assert occurrence_dates(date(2026, 12, 8), "monthly", 4) == [
        date(2026, 12, 8),
        date(2027, 1, 12),
        date(2027, 2, 9),
        date(2027, 3, 9),
    ]
    assert occurrence_dates(date(2026, 12, 1), "biweekly", 3) == [
        date(2026, 12, 1),
        date(2026, 12, 15),
        date(2026, 12, 29),
    ]
    start = datetime(2026, 12, 8, 19, 0, tzinfo=ZoneInfo("America/New_York"))
    created = services.event_create(
        by=coordinator, host_group=None, recurrence="monthly", occurrences=4, title="Board meeting",
        starts_at=start, ends_at=start + timedelta(hours=1), is_online=True, join_url="https://meet.example/b",
    )  # fmt: skip
    local_starts = [e.starts_at.astimezone(ZoneInfo("America/New_York")) for e in created]
    assert [(s.month, s.day, s.hour) for s in local_starts] == [(12, 8, 19), (1, 12, 19), (2, 9, 19), (3, 9, 19)]
    assert len({e.slug for e in created}) == 4 and len({e.series_id for e in created}) == 1


def test_each_occurrence_has_its_own_rsvps(coordinator, members):
    start = timezone.now() + timedelta(days=2)
    first, second = services.event_create(
        by=coordinator, host_group=None, recurrence="weekly", occurrences=2, title="Phone bank", publish=True,
        starts_at=start, ends_at=start + timedelta(hours=1), is_online=True, join_url="https://meet.example/c",
    )  # fmt: skip
    services.rsvp_create(event=first, user=members[0])
    assert first.rsvps.count() == 1 and second.rsvps.count() == 0


def test_another_groups_organizer_cannot_edit_publish_or_cancel(client, lowell_group, other_organizer):
    event = make_event(host_group=lowell_group, status=EventStatus.DRAFT)
    client.force_login(other_organizer)
    assert client.get(f"/events/{event.slug}/edit/").status_code == 404
    assert client.post(f"/events/{event.slug}/publish/").status_code == 404
    assert client.post(f"/events/{event.slug}/cancel/").status_code == 404
    event.refresh_from_db()
    assert event.status == EventStatus.DRAFT


def test_editing_the_place_emails_everyone_who_rsvpd(client, lowell_group, organizer, members):
    event = make_event(host_group=lowell_group, venue="Old hall")
    services.rsvp_create(event=event, user=members[0])
    client.force_login(organizer)
    data = _form(title=event.title, town=event.town_id, venue="New hall")
    data["starts_at"] = timezone.localtime(event.starts_at).strftime("%Y-%m-%dT%H:%M")
    data["ends_at"] = timezone.localtime(event.ends_at).strftime("%Y-%m-%dT%H:%M")
    assert client.post(f"/events/{event.slug}/edit/", data).status_code == 302
    event.refresh_from_db()
    assert event.venue == "New hall" and event.sequence == 1
    assert list(OutboundEmail.objects.filter(kind="events.changed").values_list("to", flat=True)) == [members[0].email]


def test_cancelling_emails_everyone_who_rsvpd(client, lowell_group, organizer, members):
    event = make_event(host_group=lowell_group, capacity=1)
    services.rsvp_create(event=event, user=members[0])
    services.rsvp_create(event=event, user=members[1])
    client.force_login(organizer)
    assert client.get(f"/events/{event.slug}/cancel/").status_code == 200  # asks first
    client.post(f"/events/{event.slug}/cancel/")
    event.refresh_from_db()
    assert event.status == EventStatus.CANCELLED
    assert sorted(OutboundEmail.objects.filter(kind="events.cancelled").values_list("to", flat=True)) == sorted(
        m.email for m in members[:2]
    )


# --- panels ----------------------------------------------------------------------------------


def test_my_events_on_the_profile_lists_rsvps_and_the_private_feed(client, members):
    event = make_event(title="Postcard party")
    services.rsvp_create(event=event, user=members[0])
    client.force_login(members[0])
    page = client.get("/accounts/profile/").content.decode()
    assert "My events" in page and "Postcard party" in page and ".ics" not in page
    client.post("/events/feed/reset/")  # "Get a private calendar feed of my events"
    token = MemberCalendar.objects.get(user=members[0]).token
    assert f"/events/feed/{token}.ics" in client.get("/accounts/profile/").content.decode()


def test_home_find_and_district_pages_show_upcoming_events(client):
    make_event(title="Lowell rally")
    make_event(title="Pittsfield social", town="Pittsfield")
    home = client.get("/").content.decode()
    assert "Lowell rally" in home and "Pittsfield social" in home
    near = client.get("/find/?q=01852").content.decode()
    assert "Lowell rally" in near and "Pittsfield social" not in near
    district = client.get("/districts/ma-1/").content.decode()
    assert "Pittsfield social" in district and "Lowell rally" not in district


def test_a_group_page_shows_the_groups_events(client, lowell_group):
    make_event(title="Lowell rally", host_group=lowell_group)
    assert "Lowell rally" in client.get(lowell_group.get_absolute_url()).content.decode()


# --- the admin -----------------------------------------------------------------------------


def test_a_rep_sees_and_unpublishes_only_their_districts_events(staff_client, rep_ma3):
    lowell = make_event(title="Lowell rally")  # MA-3
    pittsfield = make_event(title="Pittsfield social", town="Pittsfield")  # MA-1
    client = staff_client(rep_ma3)
    listing = client.get("/admin/events/event/")
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [lowell]
    assert client.get(f"/admin/events/event/{pittsfield.pk}/change/").status_code == 302  # "does not exist"
    client.post("/admin/events/event/", {"action": "unpublish", "_selected_action": [lowell.pk, pittsfield.pk]})
    assert Event.objects.get(pk=lowell.pk).status == EventStatus.DRAFT
    assert Event.objects.get(pk=pittsfield.pk).status == EventStatus.PUBLISHED


def test_a_rep_of_another_district_cannot_unpublish(rep_ma5):
    from django.core.exceptions import PermissionDenied

    event = make_event()
    with pytest.raises(PermissionDenied):
        services.event_unpublish(event=event, by=rep_ma5)


def test_a_member_cannot_open_the_events_admin(staff_client, members):
    make_event()
    client = staff_client(members[0])
    response = client.get("/admin/events/event/")
    assert response.status_code in (302, 403)
    assert b"Test event" not in response.content


def test_rsvps_in_the_admin_are_for_coordinators_only(staff_client, rep_ma3, coordinator):
    assert staff_client(rep_ma3).get("/admin/events/rsvp/").status_code == 403
    assert staff_client(coordinator).get("/admin/events/rsvp/").status_code == 200


@pytest.mark.parametrize("count", [2, 20])
@pytest.mark.parametrize(
    ("path", "queries"),
    [
        ("/events/calendar.ics", 1),
        ("/districts/ma-3/calendar.ics", 2),
        ("/events/calendar/", 2),  # the events, the filter form's district choices
    ],
)
def test_feeds_and_the_month_calendar_cost_the_same_queries_however_many_events(
    client, django_assert_num_queries, count, path, queries
):
    base = timezone.now().replace(day=1, hour=12) + timedelta(days=40)
    for n in range(count):
        make_event(title=f"Event {n}", start=base + timedelta(hours=n))
    url = path if "calendar/" not in path else f"{path}?month={base:%Y-%m}"
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("count", [1, 10])
def test_my_events_costs_the_same_queries_however_many_rsvps(client, members, django_assert_num_queries, count):
    for n in range(count):
        services.rsvp_create(event=make_event(title=f"Event {n}"), user=members[0])
    token = services.member_calendar_ensure(user=members[0]).token
    with django_assert_num_queries(2):  # the token's member, their RSVPs with events
        client.get(f"/events/feed/{token}.ics")


def test_a_members_data_download_includes_their_rsvps(client, members):
    event = make_event(title="Canvass")
    services.rsvp_create(event=event, user=members[0])
    client.force_login(members[0])
    data = client.get("/accounts/data/").json()
    assert [r["event"] for r in data["events"]["rsvps"]] == ["Canvass"]


def test_deleting_an_account_gives_the_seat_to_the_next_person_waiting(members):
    from accounts.services import user_delete

    event = make_event(capacity=1)
    services.rsvp_create(event=event, user=members[0])
    waiting = services.rsvp_create(event=event, user=members[1])
    user_delete(user=members[0])
    assert Rsvp.objects.get(pk=waiting.pk).status == RsvpStatus.GOING


def test_directory_cards_get_each_groups_next_event_in_one_query(
    lowell_group, worcester_group, django_assert_num_queries
):
    from events.selectors import next_event_by_group

    later = make_event(title="Later", host_group=lowell_group, start=timezone.now() + timedelta(days=9))
    sooner = make_event(title="Sooner", host_group=worcester_group, town="Worcester")
    sooner.co_hosts.add(lowell_group)
    make_event(title="Draft", host_group=lowell_group, status=EventStatus.DRAFT, start=timezone.now())
    with django_assert_num_queries(1):
        found = next_event_by_group([lowell_group.pk, worcester_group.pk])
    assert {g: e.title for g, e in found.items()} == {lowell_group.pk: "Sooner", worcester_group.pk: "Sooner"}
    assert found[lowell_group.pk].get_absolute_url() == sooner.get_absolute_url()
    assert later.pk not in {e.pk for e in found.values()}
