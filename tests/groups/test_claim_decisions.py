"""Nobody decides their own request: a rep who claims an orphaned group of their own district
cannot approve (or reject) that claim, in the admin or through the service, and so never receives
the member list that way. Another rep of the district, or a coordinator, decides it.

``lowell_group`` is MA-3; its organizer is removed so that it can be claimed.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from accounts.models import Role
from accounts.services import user_ensure
from districts.models import BoardRole, BoardSeat, District
from groups import policy, services
from groups.models import ClaimStatus, GroupClaim, Membership
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_rep_ma3(db):
    """Another current representative of MA-3 (districts elect more than one)."""
    user = user_ensure(email="ray@example.org", password=PASSWORD, first_name="Ray", roles=(Role.DISTRICT_REP,))
    BoardSeat.objects.create(
        district=District.objects.get(slug="ma-3"),
        user=user,
        display_name="Ray",
        role=BoardRole.REPRESENTATIVE,
        term_start=datetime.date(2025, 1, 1),
    )
    return user


@pytest.fixture
def own_claim(lowell_group, rep_ma3) -> GroupClaim:
    Membership.objects.filter(group=lowell_group).delete()
    return services.claim_submit(user=rep_ma3, group=lowell_group, message="I will run it")


def _admin_decide(client, claim: GroupClaim, approve: bool):
    return client.post(
        reverse("admin:groups_groupclaim_changelist"),
        {"action": "approve_claims" if approve else "reject_claims", "_selected_action": [claim.pk], "index": 0},
        follow=True,
    )


def _members_csv_status(client, claim: GroupClaim) -> int:
    return client.get(reverse("groups:members_csv", args=[claim.group.slug])).status_code


@pytest.mark.parametrize("approve", [True, False])
def test_the_claimant_rep_cannot_decide_their_own_claim_in_the_admin(staff_client, own_claim, rep_ma3, approve):
    client = staff_client(rep_ma3)
    response = _admin_decide(client, own_claim, approve)
    assert "You cannot decide your own claim" in response.content.decode()
    own_claim.refresh_from_db()
    assert own_claim.status == ClaimStatus.PENDING and own_claim.decided_by is None
    assert not policy.is_organizer(rep_ma3, own_claim.group)
    assert _members_csv_status(client, own_claim) == 404


@pytest.mark.parametrize("approve", [True, False])
def test_the_claimant_rep_cannot_decide_their_own_claim_through_the_service(own_claim, rep_ma3, approve):
    with pytest.raises(services.GroupError, match="your own claim"):
        services.claim_decide(claim=own_claim, actor=rep_ma3, approve=approve)
    own_claim.refresh_from_db()
    assert own_claim.status == ClaimStatus.PENDING
    assert not Membership.objects.filter(group=own_claim.group, user=rep_ma3).exists()


def test_the_rep_of_another_district_cannot_decide_a_claim_through_the_service(own_claim, rep_ma5):
    with pytest.raises(services.GroupError):
        services.claim_decide(claim=own_claim, actor=rep_ma5, approve=True)
    own_claim.refresh_from_db()
    assert own_claim.status == ClaimStatus.PENDING


def test_one_refused_claim_does_not_stop_the_others_in_a_bulk_action(
    staff_client, make_group, own_claim, rep_ma3, activist
):
    other = make_group("Acton Action", ("Acton",))
    Membership.objects.filter(group=other).delete()
    someone_elses = services.claim_submit(user=activist, group=other)
    staff_client(rep_ma3).post(
        reverse("admin:groups_groupclaim_changelist"),
        {"action": "approve_claims", "_selected_action": [own_claim.pk, someone_elses.pk], "index": 0},
    )
    assert GroupClaim.objects.get(pk=own_claim.pk).status == ClaimStatus.PENDING
    assert GroupClaim.objects.get(pk=someone_elses.pk).status == ClaimStatus.APPROVED


# --- Controls: another rep of the district, or a coordinator, decides ----------------------------------


@pytest.mark.parametrize("decider", ["second_rep_ma3", "coordinator"])
def test_another_rep_of_the_district_or_a_coordinator_approves_the_claim(
    request, client, staff_client, own_claim, rep_ma3, decider
):
    _admin_decide(staff_client(request.getfixturevalue(decider)), own_claim, approve=True)
    own_claim.refresh_from_db()
    assert own_claim.status == ClaimStatus.APPROVED
    assert policy.is_organizer(rep_ma3, own_claim.group)
    client.force_login(rep_ma3)
    assert _members_csv_status(client, own_claim) == 200


def test_another_rep_of_the_district_may_decide_through_the_service(own_claim, second_rep_ma3):
    claim = services.claim_decide(claim=own_claim, actor=second_rep_ma3, approve=False, reason="Not yet")
    assert claim.status == ClaimStatus.REJECTED and claim.decided_by == second_rep_ma3
