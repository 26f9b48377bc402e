"""Every service that changes something checks its actor itself, whoever calls it.

An outsider calling the service directly (no view, no admin in front) is refused and nothing
changes; each refusal has a control showing the rightful actor gets through.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from districts.models import Town
from events import services as event_services
from events.models import Rsvp, RsvpStatus
from groups import services as group_services
from groups.models import Group, GroupStatus, Membership


@pytest.fixture
def pending_group(activist) -> Group:
    details = group_services.GroupDetails(name="Lowell Pending", home_town=Town.objects.get(name="Lowell"))
    return group_services.group_submit(submitter=activist, details=details)


DECISIONS = [
    ("approve", group_services.group_approve, {}),
    ("reject", group_services.group_reject, {"reason": "No."}),
    ("archive", group_services.group_archive, {}),
]


@pytest.mark.parametrize(("name", "service", "extra"), DECISIONS, ids=[d[0] for d in DECISIONS])
@pytest.mark.parametrize("who", ["activist", "organizer", "rep_ma5"])
def test_only_a_moderator_of_the_group_decides_on_it(request, name, service, extra, who, pending_group, rep_ma3):
    outsider = request.getfixturevalue(who)
    with pytest.raises(group_services.GroupError):
        service(group=pending_group, actor=outsider, **extra)
    pending_group.refresh_from_db()
    assert pending_group.status == GroupStatus.PENDING
    assert not pending_group.moderation_log.exclude(action="submitted").exists()
    service(group=pending_group, actor=rep_ma3, **extra)  # control: its district's rep decides
    pending_group.refresh_from_db()
    assert pending_group.status != GroupStatus.PENDING


def test_confirming_a_group_needs_its_mail_link_or_an_editor(lowell_group, activist, organizer, pending_group):
    stale_at = timezone.now() - timedelta(days=500)
    Group.objects.filter(pk=lowell_group.pk).update(last_confirmed=stale_at, is_stale=True)
    with pytest.raises(group_services.GroupError):
        group_services.group_confirm(group=lowell_group, actor=activist)
    with pytest.raises(group_services.GroupError):  # another group's link proves nothing here
        group_services.group_confirm(
            group=lowell_group, actor=None, token=group_services.confirmation_token(pending_group)
        )
    lowell_group.refresh_from_db()
    assert lowell_group.is_stale and lowell_group.last_confirmed == stale_at
    group_services.group_confirm(group=lowell_group, actor=None, token=group_services.confirmation_token(lowell_group))
    group_services.group_confirm(group=lowell_group, actor=organizer)
    lowell_group.refresh_from_db()
    assert not lowell_group.is_stale


def test_a_deactivated_account_cannot_join_a_group(lowell_group, activist):
    activist.is_active = False
    activist.save()
    with pytest.raises(group_services.GroupError):
        group_services.membership_join(user=activist, group=lowell_group)
    assert not Membership.objects.filter(user=activist).exists()


def test_nobody_cancels_another_persons_rsvp(lowell_group, activist, organizer, coordinator):
    start = timezone.now() + timedelta(days=3)
    (event,) = event_services.event_create(
        by=organizer, host_group=lowell_group, publish=True, title="Canvass", starts_at=start,
        ends_at=start + timedelta(hours=2), town=Town.objects.get(name="Lowell"),
    )  # fmt: skip
    rsvp = event_services.rsvp_create(event=event, user=activist)
    for outsider in (organizer, coordinator):
        with pytest.raises(PermissionDenied):
            event_services.rsvp_cancel(rsvp=rsvp, by=outsider)
    assert Rsvp.objects.get(pk=rsvp.pk).status == RsvpStatus.GOING
    event_services.rsvp_cancel(rsvp=rsvp, by=activist)
    assert Rsvp.objects.get(pk=rsvp.pk).status == RsvpStatus.CANCELLED


def test_an_outsider_cannot_create_or_change_a_groups_event(lowell_group, activist, organizer):
    start = timezone.now() + timedelta(days=3)
    values = {"title": "Canvass", "starts_at": start, "ends_at": start + timedelta(hours=2),
              "town": Town.objects.get(name="Lowell")}  # fmt: skip
    with pytest.raises(PermissionDenied):
        event_services.event_create(by=activist, host_group=lowell_group, **values)
    (event,) = event_services.event_create(by=organizer, host_group=lowell_group, **values)
    with pytest.raises(PermissionDenied):
        event_services.event_update(event=event, by=activist, title="Hijacked")
    event.refresh_from_db()
    assert event.title == "Canvass"
