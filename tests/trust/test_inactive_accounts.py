"""A deactivated account does nothing through the group services, whoever calls them.

A rep who deactivates an account expects it to stop acting: it cannot claim a listing (which would
mail the district's reps and could make it an organizer) nor offer to help a team (which the team
lead would see). Each refusal has a control showing the same call goes through while active.
"""

from __future__ import annotations

import pytest

from districts.models import Team
from groups import services as group_services
from groups.models import GroupClaim, Membership, TeamVolunteer


def _deactivate(user):
    user.is_active = False
    user.save(update_fields=["is_active"])


def test_a_deactivated_account_cannot_claim_a_group(lowell_group, organizer, activist, mailoutbox):
    Membership.objects.filter(group=lowell_group, user=organizer).delete()  # orphaned: claimable
    _deactivate(activist)
    with pytest.raises(group_services.GroupError):
        group_services.claim_submit(user=activist, group=lowell_group, message="Mine now.")
    assert not GroupClaim.objects.exists()
    assert mailoutbox == []
    activist.is_active = True
    activist.save(update_fields=["is_active"])
    group_services.claim_submit(user=activist, group=lowell_group, message="I run it now.")  # control
    assert GroupClaim.objects.filter(user=activist).exists()


@pytest.mark.django_db
def test_a_deactivated_account_cannot_volunteer_for_a_team(activist):
    team = Team.objects.create(name="Data Team", slug="data-team")
    _deactivate(activist)
    with pytest.raises(group_services.GroupError):
        group_services.team_volunteer(user=activist, team=team, message="Count me in.")
    assert not TeamVolunteer.objects.exists()
    activist.is_active = True
    activist.save(update_fields=["is_active"])
    group_services.team_volunteer(user=activist, team=team, message="Count me in.")  # control
    assert TeamVolunteer.objects.filter(user=activist, team=team).exists()
