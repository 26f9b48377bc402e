"""Which towns a person may give a group: one rule (``groups.policy.assignable_towns``) that the
site's edit form, the admin and the update service all obey.

- A coordinator may give any town.
- An organizer speaks for their own group and may give it any town (the reps of a newly served
  district then moderate it too), as a submitter does when listing it.
- A district rep may give the towns of their own districts, and keep the towns the group already
  serves; they cannot extend or move a group into a district they do not moderate.

``lowell_group`` is MA-3 (Lowell and Chelmsford); Acton is MA-3, Arlington and Framingham MA-5.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from districts.models import Town
from groups import policy, services
from groups.models import Group, GroupStatus

pytestmark = pytest.mark.django_db


def _town(name: str) -> Town:
    return Town.objects.get(name=name)


def _towns(group: Group) -> set[str]:
    return set(Group.objects.get(pk=group.pk).towns.values_list("name", flat=True))


def _details(group: Group, home: str, *others: str) -> services.GroupDetails:
    return services.GroupDetails(
        name=group.name, home_town=_town(home), other_towns=[_town(t) for t in others], description="Same."
    )


def _edit_post(group: Group, home: str, *others: str) -> dict:
    return {
        "name": group.name,
        "home_town": _town(home).pk,
        "other_towns": [_town(t).pk for t in others],
        "description": "Same.",
    }


# --- The rep of another district --------------------------------------------------------------------


def test_the_rep_of_ma5_cannot_edit_an_ma3_groups_towns_from_the_site(client, lowell_group, rep_ma5):
    client.force_login(rep_ma5)
    url = reverse("groups:edit", args=[lowell_group.slug])
    assert client.get(url).status_code == 404
    assert client.post(url, _edit_post(lowell_group, "Arlington", "Lowell")).status_code == 404
    assert _towns(lowell_group) == {"Lowell", "Chelmsford"}


def test_the_rep_of_ma5_cannot_edit_an_ma3_group_through_the_service(lowell_group, rep_ma5):
    with pytest.raises(services.GroupError):
        services.group_update(group=lowell_group, actor=rep_ma5, details=_details(lowell_group, "Arlington"))
    assert _towns(lowell_group) == {"Lowell", "Chelmsford"}


# --- The group's own rep, reaching outside their district -------------------------------------------


def test_the_site_form_offers_a_rep_only_the_towns_they_may_give(client, lowell_group, rep_ma3):
    client.force_login(rep_ma3)
    form = client.get(reverse("groups:edit", args=[lowell_group.slug])).context["form"]
    for field in ("home_town", "other_towns"):
        offered = form.fields[field].queryset
        assert offered.filter(name="Acton").exists() and offered.filter(name="Lowell").exists()
        assert not offered.filter(name="Arlington").exists()


@pytest.mark.parametrize(
    "home, others",
    [
        ("Lowell", ("Chelmsford", "Arlington")),  # extend into MA-5
        ("Arlington", ()),  # move into MA-5
        ("Framingham", ("Lowell", "Chelmsford")),  # move the home town, keep the rest
    ],
)
def test_the_rep_of_ma3_cannot_give_an_ma3_group_an_ma5_town_from_the_site(client, lowell_group, rep_ma3, home, others):
    client.force_login(rep_ma3)
    response = client.post(reverse("groups:edit", args=[lowell_group.slug]), _edit_post(lowell_group, home, *others))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "only give this group towns" in str(errors)
    assert _towns(lowell_group) == {"Lowell", "Chelmsford"}
    assert Group.objects.get(pk=lowell_group.pk).district.slug == "ma-3"


@pytest.mark.parametrize("home, others", [("Lowell", ("Arlington",)), ("Arlington", ())])
def test_the_rep_of_ma3_cannot_give_an_ma3_group_an_ma5_town_through_the_service(lowell_group, rep_ma3, home, others):
    with pytest.raises(services.GroupError, match="Arlington"):
        services.group_update(group=lowell_group, actor=rep_ma3, details=_details(lowell_group, home, *others))
    assert _towns(lowell_group) == {"Lowell", "Chelmsford"}
    assert not lowell_group.district_links.filter(district__slug="ma-5").exists()


def test_the_rep_of_ma3_cannot_give_an_ma5_town_in_the_admin_either(staff_client, lowell_group, rep_ma3):
    change = reverse("admin:groups_group_change", args=[lowell_group.pk])
    response = staff_client(rep_ma3).post(
        change,
        {
            "name": lowell_group.name,
            "home_town": _town("Lowell").pk,
            "towns": [_town("Lowell").pk, _town("Arlington").pk],
            "description": "",
            "meeting_pattern": "",
        },
    )
    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert _towns(lowell_group) == {"Lowell", "Chelmsford"}


def test_the_admin_and_the_site_offer_a_rep_the_same_towns(client, staff_client, lowell_group, rep_ma3):
    admin_form = staff_client(rep_ma3).get(reverse("admin:groups_group_change", args=[lowell_group.pk]))
    client.force_login(rep_ma3)
    site_form = client.get(reverse("groups:edit", args=[lowell_group.slug])).context["form"]
    expected = set(policy.assignable_towns(rep_ma3, lowell_group).values_list("pk", flat=True))
    assert len(expected) < Town.objects.count()
    for queryset in (
        admin_form.context["adminform"].form.fields["home_town"].queryset,
        admin_form.context["adminform"].form.fields["towns"].queryset,
        site_form.fields["home_town"].queryset,
        site_form.fields["other_towns"].queryset,
    ):
        assert set(queryset.values_list("pk", flat=True)) == expected


# --- Controls: what each may do ----------------------------------------------------------------------


def test_the_rep_of_ma3_may_give_an_ma3_group_another_ma3_town(client, lowell_group, rep_ma3):
    client.force_login(rep_ma3)
    response = client.post(
        reverse("groups:edit", args=[lowell_group.slug]), _edit_post(lowell_group, "Lowell", "Chelmsford", "Acton")
    )
    assert response.status_code == 302
    assert _towns(lowell_group) == {"Lowell", "Chelmsford", "Acton"}


def test_a_rep_keeps_the_other_districts_towns_a_shared_group_already_serves(make_group, rep_ma3):
    shared = make_group("Lowell and Arlington", ("Lowell", "Arlington"))
    services.group_update(group=shared, actor=rep_ma3, details=_details(shared, "Arlington", "Lowell", "Acton"))
    assert _towns(shared) == {"Lowell", "Arlington", "Acton"}
    with pytest.raises(services.GroupError, match="Framingham"):
        services.group_update(group=shared, actor=rep_ma3, details=_details(shared, "Lowell", "Framingham"))


def test_a_coordinator_may_give_a_group_any_town(client, lowell_group, coordinator):
    client.force_login(coordinator)
    response = client.post(
        reverse("groups:edit", args=[lowell_group.slug]), _edit_post(lowell_group, "Lowell", "Arlington")
    )
    assert response.status_code == 302
    assert _towns(lowell_group) == {"Lowell", "Arlington"}


def test_an_organizer_may_give_their_group_any_town_and_its_new_districts_rep_then_moderates_it(
    client, lowell_group, organizer, rep_ma5
):
    client.force_login(organizer)
    form = client.get(reverse("groups:edit", args=[lowell_group.slug])).context["form"]
    assert form.fields["other_towns"].queryset.count() == Town.objects.count()
    response = client.post(
        reverse("groups:edit", args=[lowell_group.slug]), _edit_post(lowell_group, "Lowell", "Arlington")
    )
    assert response.status_code == 302
    assert _towns(lowell_group) == {"Lowell", "Arlington"}
    assert policy.can_moderate(rep_ma5, Group.objects.get(pk=lowell_group.pk))


def test_an_organizer_of_another_group_may_not_edit_this_one_through_the_service(make_group, lowell_group):
    other = make_group("Acton Action", ("Acton",))
    stranger = other.memberships.get().user
    with pytest.raises(services.GroupError):
        services.group_update(group=lowell_group, actor=stranger, details=_details(lowell_group, "Acton"))
    assert _towns(lowell_group) == {"Lowell", "Chelmsford"}


def test_a_member_may_submit_a_listing_in_any_town(client, activist):
    client.force_login(activist)
    response = client.post(
        reverse("groups:submit"),
        {"name": "Arlington Allies", "home_town": _town("Arlington").pk, "other_towns": [_town("Lowell").pk]},
    )
    assert response.status_code == 302
    group = Group.objects.get(name="Arlington Allies")
    assert group.status == GroupStatus.PENDING and _towns(group) == {"Arlington", "Lowell"}


def test_only_a_coordinator_lists_an_approved_group_directly_through_the_service(rep_ma3, coordinator):
    details = services.GroupDetails(name="Acton Known", home_town=_town("Acton"))
    with pytest.raises(services.GroupError):
        services.group_add_listed(actor=rep_ma3, details=details)
    assert not Group.objects.filter(name="Acton Known").exists()
    assert services.group_add_listed(actor=coordinator, details=details).status == GroupStatus.APPROVED
