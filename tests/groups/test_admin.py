"""Every admin URL for groups against every member of the cast.

The group under test is a pending listing of MA-3 (Lowell). The rep of MA-5 is refused all of it;
the rep of MA-3 moderates it but cannot delete it or add listings; the coordinator may do anything;
the activist and the organizer are not staff and never get into the admin.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from districts.models import Town
from groups.models import Group, GroupStatus, ModerationAction
from outbox.models import OutboundEmail

pytestmark = pytest.mark.django_db

CAST = ["activist", "organizer", "rep_ma3", "rep_ma5", "coordinator"]

# url kind -> the cast members who may use it on an MA-3 group.
ALLOWED = {
    "changelist": {"rep_ma3", "coordinator"},
    "changelist_search": {"rep_ma3", "coordinator"},
    "change_get": {"rep_ma3", "coordinator"},
    "change_post": {"rep_ma3", "coordinator"},
    "history": {"rep_ma3", "coordinator"},
    "delete_get": {"coordinator"},
    "delete_post": {"coordinator"},
    "add_get": {"coordinator"},
    "action_approve": {"rep_ma3", "coordinator"},
    "action_reject": {"rep_ma3", "coordinator"},
    "action_archive": {"rep_ma3", "coordinator"},
    "decide_approve": {"rep_ma3", "coordinator"},
}


@pytest.fixture
def ma3_group(make_group, organizer):
    return make_group("Lowell Pending", ("Lowell", "Chelmsford"), status=GroupStatus.PENDING, organizer=organizer)


def _status(group: Group) -> str:
    return Group.objects.get(pk=group.pk).status


def attempt(kind: str, client, group: Group) -> bool:
    """Try one admin URL; return whether it did what it is for."""
    change = reverse("admin:groups_group_change", args=[group.pk])
    changelist = reverse("admin:groups_group_changelist")
    if kind == "changelist":
        response = client.get(changelist)
        return response.status_code == 200 and group in response.context["cl"].result_list
    if kind == "changelist_search":
        response = client.get(changelist, {"q": "lowell"})
        return response.status_code == 200 and group in response.context["cl"].result_list
    if kind == "change_get":
        return client.get(change).status_code == 200
    if kind == "change_post":
        data = {
            "name": "Renamed By Admin",
            "home_town": group.home_town_id,
            "towns": list(group.towns.values_list("pk", flat=True)),
            "description": "",
            "meeting_pattern": "",
        }
        client.post(change, data)
        return Group.objects.get(pk=group.pk).name == "Renamed By Admin"
    if kind == "history":
        return client.get(reverse("admin:groups_group_history", args=[group.pk])).status_code == 200
    if kind == "delete_get":
        return client.get(reverse("admin:groups_group_delete", args=[group.pk])).status_code == 200
    if kind == "delete_post":
        client.post(reverse("admin:groups_group_delete", args=[group.pk]), {"post": "yes"})
        return not Group.objects.filter(pk=group.pk).exists()
    if kind == "add_get":
        return client.get(reverse("admin:groups_group_add")).status_code == 200
    if kind.startswith("action_"):
        decision = kind.removeprefix("action_")
        before = _status(group)
        client.post(
            changelist,
            {"action": f"{decision}_selected", "_selected_action": [group.pk], "apply": "1", "reason": "Because."},
        )
        return _status(group) != before
    if kind == "decide_approve":
        url = reverse("admin:groups_group_decide", args=[group.pk, "approve"])
        client.post(url, {"apply": "1", "reason": "ok"})
        return _status(group) == GroupStatus.APPROVED
    raise AssertionError(kind)


@pytest.mark.parametrize("who", CAST)
@pytest.mark.parametrize("kind", sorted(ALLOWED))
def test_admin_url_table(kind, who, request, staff_client, ma3_group):
    client = staff_client(request.getfixturevalue(who))
    assert attempt(kind, client, ma3_group) == (who in ALLOWED[kind])


@pytest.mark.parametrize("kind", ["change_get", "history", "delete_get", "decide_approve"])
def test_the_rep_of_ma5_gets_a_404_for_an_ma3_group(kind, staff_client, rep_ma5, ma3_group):
    client = staff_client(rep_ma5)
    url = {
        "change_get": reverse("admin:groups_group_change", args=[ma3_group.pk]),
        "history": reverse("admin:groups_group_history", args=[ma3_group.pk]),
        "delete_get": reverse("admin:groups_group_delete", args=[ma3_group.pk]),
        "decide_approve": reverse("admin:groups_group_decide", args=[ma3_group.pk, "approve"]),
    }[kind]
    assert client.get(url).status_code == 404


def test_a_group_serving_two_districts_is_visible_to_both_reps(make_group, staff_client, rep_ma3, rep_ma5):
    shared = make_group("Lowell and Arlington", ("Lowell", "Arlington"), status=GroupStatus.PENDING)
    for rep in (rep_ma3, rep_ma5):
        client = staff_client(rep)
        assert client.get(reverse("admin:groups_group_change", args=[shared.pk])).status_code == 200


def test_a_reps_town_choices_are_limited_to_their_district(staff_client, rep_ma3, ma3_group):
    response = staff_client(rep_ma3).get(reverse("admin:groups_group_change", args=[ma3_group.pk]))
    towns = response.context["adminform"].form.fields["home_town"].queryset
    assert towns.filter(name="Acton").exists()
    assert not towns.filter(name="Framingham").exists()


def test_a_reps_district_filter_offers_only_their_district(staff_client, rep_ma3, ma3_group):
    response = staff_client(rep_ma3).get(reverse("admin:groups_group_changelist"))
    spec = next(s for s in response.context["cl"].filter_specs if getattr(s, "parameter_name", "") == "district")
    assert [label for _, label in spec.lookup_choices] == ["MA-3"]


def test_rejecting_needs_a_reason_that_is_emailed_and_logged(staff_client, rep_ma3, ma3_group, organizer):
    client = staff_client(rep_ma3)
    url = reverse("admin:groups_group_decide", args=[ma3_group.pk, "reject"])
    response = client.post(url, {"apply": "1", "reason": ""})
    assert response.status_code == 200 and _status(ma3_group) == GroupStatus.PENDING
    client.post(url, {"apply": "1", "reason": "Not a local group."})
    assert _status(ma3_group) == GroupStatus.REJECTED
    email = OutboundEmail.objects.get(kind="groups.decision")
    assert email.to == organizer.email and "Not a local group." in email.body_text
    page = client.get(reverse("admin:groups_group_change", args=[ma3_group.pk])).content.decode()
    assert "Not a local group." in page and rep_ma3.email in page  # the moderation log


def test_bulk_action_without_apply_asks_for_the_reason_first(staff_client, rep_ma3, ma3_group):
    client = staff_client(rep_ma3)
    response = client.post(
        reverse("admin:groups_group_changelist"),
        {"action": "approve_selected", "_selected_action": [ma3_group.pk], "index": 0},
    )
    assert response.status_code == 200 and b'name="reason"' in response.content
    assert _status(ma3_group) == GroupStatus.PENDING


def test_the_admin_index_shows_each_rep_their_waiting_listings(staff_client, rep_ma3, rep_ma5, ma3_group):
    page = staff_client(rep_ma3).get(reverse("admin:index")).content.decode()
    assert "<strong>1</strong> group listing waiting" in page
    page = staff_client(rep_ma5).get(reverse("admin:index")).content.decode()
    assert "<strong>0</strong> group listings waiting" in page


def test_a_coordinator_adds_a_listed_group_in_the_admin(staff_client, coordinator):
    acton = Town.objects.get(name="Acton")
    response = staff_client(coordinator).post(
        reverse("admin:groups_group_add"),
        {"name": "Acton Known", "home_town": acton.pk, "towns": [acton.pk], "description": "", "meeting_pattern": ""},
    )
    assert response.status_code == 302
    group = Group.objects.get(name="Acton Known")
    assert group.status == GroupStatus.APPROVED and group.district.slug == "ma-3"
    assert group.moderation_log.filter(action=ModerationAction.APPROVED).exists()
