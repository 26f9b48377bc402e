"""A district's desk: every group of the district with its signals, those needing attention first,
at a cost that does not grow with the number of groups."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from desk import selectors, services
from desk.models import ContactMethod, MemberCount
from districts.models import District
from groups.models import GroupClaim, GroupStatus, Membership, MembershipStatus
from tests import factories
from tests.events.conftest import make_event

pytestmark = pytest.mark.django_db


def _signals(group):
    rows = selectors.district_desk(District.objects.get(slug="ma-3"))
    return next(r for r in rows if r.group.pk == group.pk)


def test_the_desk_shows_a_groups_last_contact_events_members_and_what_waits(rep_ma3, lowell_group, activist):
    today = timezone.localdate()
    services.contact_note_add(
        rep=rep_ma3,
        group=lowell_group,
        contacted_on=today - datetime.timedelta(days=3),
        method=ContactMethod.MEETING,
        note="Met at the library",
        next_check_in=today + datetime.timedelta(days=30),
    )
    make_event(host_group=lowell_group, start=timezone.now() - datetime.timedelta(days=10))
    make_event(host_group=lowell_group, start=timezone.now() + datetime.timedelta(days=4))
    make_event(host_group=lowell_group, start=timezone.now() + datetime.timedelta(days=8))
    factories.group("Somebody Else's", ("Framingham",))  # MA-5: not on this desk
    waiting = Membership.objects.create(group=lowell_group, user=activist, status=MembershipStatus.PENDING)
    Membership.objects.filter(pk=waiting.pk).update(created_at=timezone.now() - datetime.timedelta(days=8))

    rows = selectors.district_desk(District.objects.get(slug="ma-3"))
    assert [r.group.name for r in rows] == ["Lowell Indivisible"]
    row = rows[0]
    assert row.last_note.method == ContactMethod.MEETING and row.last_note.rep == rep_ma3
    assert row.days_since_event == 10
    assert row.upcoming_events == 2
    assert row.members == 1  # the organizer; the request to join is not a member yet
    assert row.join_requests_waiting == 1
    assert row.tier == selectors.Tier.WAITING


def test_member_change_over_30_and_90_days_comes_from_the_daily_counts(lowell_group):
    today = timezone.localdate()
    MemberCount.objects.create(group=lowell_group, day=today - datetime.timedelta(days=30), members=4)
    MemberCount.objects.create(group=lowell_group, day=today - datetime.timedelta(days=92), members=7)
    row = _signals(lowell_group)
    assert (row.members, row.change_30, row.change_90) == (1, -3, -6)


def test_a_group_without_history_shows_no_change_rather_than_a_guess(lowell_group):
    from groups.models import Group

    Group.objects.filter(pk=lowell_group.pk).update(created_at=timezone.now() - datetime.timedelta(days=400))
    row = _signals(lowell_group)
    assert row.change_30 is None and row.change_90 is None


def test_a_group_newer_than_the_window_started_from_nobody(lowell_group):
    row = _signals(lowell_group)
    assert (row.change_30, row.change_90) == (1, 1)


def test_the_daily_count_is_taken_once_a_day(lowell_group):
    assert services.member_counts_record() == 1
    assert services.member_counts_record() == 0
    assert MemberCount.objects.get(group=lowell_group).members == 1


def test_groups_needing_attention_come_first(rep_ma3, make_group):
    today = timezone.localdate()
    fine = make_group("Acton Fine", ("Acton",))
    services.contact_note_add(
        rep=rep_ma3,
        group=fine,
        contacted_on=today,
        method=ContactMethod.CALL,
        note="",
        next_check_in=today + datetime.timedelta(days=20),
    )
    make_event(host_group=fine, town="Acton")
    due = make_group("Billerica Due", ("Billerica",))
    services.contact_note_add(
        rep=rep_ma3,
        group=due,
        contacted_on=today - datetime.timedelta(days=40),
        method=ContactMethod.EMAIL,
        note="",
        next_check_in=today - datetime.timedelta(days=1),
    )
    make_event(host_group=due, town="Billerica")
    claimed = make_group("Concord Claimed", ("Concord",))
    Membership.objects.filter(group=claimed).delete()
    GroupClaim.objects.create(group=claimed, user=factories.user("cl@example.org"))
    pending = make_group("Dracut Pending", ("Dracut",), status=GroupStatus.PENDING)
    quiet = make_group("Lowell Quiet", ("Lowell",))
    services.contact_note_add(
        rep=rep_ma3,
        group=quiet,
        contacted_on=today,
        method=ContactMethod.CALL,
        note="",
        next_check_in=today + datetime.timedelta(days=20),
    )

    rows = selectors.district_desk(District.objects.get(slug="ma-3"))
    assert [r.group.name for r in rows] == [
        claimed.name,
        pending.name,  # waiting on someone (then longest without contact, then name)
        due.name,  # check-in due
        quiet.name,  # no event in 90 days and none coming
        fine.name,
    ]


def _make_groups(n: int) -> None:
    organizer = factories.user("bulk@example.org")
    for i in range(n):
        group = factories.group(f"Bulk {i}", ("Lowell",), organizer=organizer)
        make_event(host_group=group, start=timezone.now() + datetime.timedelta(days=2))


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_the_desk_costs_the_same_queries_for_5_groups_as_for_50(rep_client, rep_ma3):
    _make_groups(5)
    few = _queries(rep_client, "/desk/ma-3/")
    _make_groups(45)
    many = _queries(rep_client, "/desk/ma-3/")
    assert few == many
    assert many <= 15


def test_the_statewide_view_costs_the_same_queries_for_5_groups_as_for_50(coordinator_client):
    _make_groups(5)
    few = _queries(coordinator_client, "/desk/statewide/")
    _make_groups(45)
    assert _queries(coordinator_client, "/desk/statewide/") == few


def test_the_desk_page_says_how_it_orders_the_groups_and_shows_each_signal(rep_client, rep_ma3, lowell_group):
    services.contact_note_add(
        rep=rep_ma3,
        group=lowell_group,
        contacted_on=timezone.localdate(),
        method=ContactMethod.EVENT_VISIT,
        note="Visited their rally",
    )
    page = rep_client.get("/desk/ma-3/").content.decode()
    assert "Groups needing attention come first" in page
    assert "Lowell Indivisible" in page and "Event visit" in page and "Rita" in page
    assert f"/desk/ma-3/groups/{lowell_group.slug}/" in page


def test_coordinator_sees_every_district_and_the_statewide_view(coordinator_client):
    page = coordinator_client.get("/desk/").content.decode()
    for n in range(1, 10):
        assert f"/desk/ma-{n}/" in page
    assert "/desk/statewide/" in page


def test_rep_sees_only_their_district_on_the_desk_index(rep_client):
    page = rep_client.get("/desk/").content.decode()
    assert "/desk/ma-3/" in page and "/desk/ma-5/" not in page and "/desk/statewide/" not in page


def test_the_desk_is_linked_from_the_profile_of_staff_only(rep_client, member_client):
    assert "/desk/" in rep_client.get("/accounts/profile/").content.decode()
    assert 'href="/desk/"' not in member_client.get("/accounts/profile/").content.decode()


def test_the_desk_is_linked_from_the_admin_index(rep_client):
    assert 'href="/desk/"' in rep_client.get("/admin/").content.decode()


@pytest.mark.parametrize("page", ["2", "abc", "99999", "-1", str(2**70)])
def test_the_desk_pages_its_groups_and_a_bad_page_number_is_no_error(rep_client, page, settings):
    from desk import views

    views_size, views.DESK_PAGE_SIZE = views.DESK_PAGE_SIZE, 2
    try:
        organizer = factories.user("bulk@example.org")
        for i in range(4):
            factories.group(f"Paged {i}", ("Lowell",), organizer=organizer)
        response = rep_client.get(f"/desk/ma-3/?page={page}")
    finally:
        views.DESK_PAGE_SIZE = views_size
    assert response.status_code == 200
    body = response.content.decode()
    assert "4 groups:" in body and body.count("/desk/ma-3/groups/paged-") == 2
