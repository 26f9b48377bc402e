"""Every service that changes something checks its actor itself, whoever calls it.

An outsider calling the service directly (no view, no admin in front) is refused and nothing
changes; each refusal has a control showing the rightful actor gets through.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from districts.models import Town
from events import services as event_services
from events.models import Rsvp, RsvpStatus
from groups import services as group_services
from groups.models import Group, GroupStatus, Membership
from newsletter import services as newsletter_services
from newsletter.models import Newsletter, NewsletterStatus
from outbox.models import OutboundEmail


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


# --- the newsletter: every write a coordinator makes checks its actor -------------------------

ISSUE = {"preheader": "", "body_markdown": "Hello.", "audience_all": True, "districts": [], "include_events": False}
SOON = timezone.timedelta(hours=2)

# (name, the issue's status before, the call): each changes the issue, or sends mail, if allowed.
NEWSLETTER_WRITES = [
    ("compose", None, lambda issue, by: newsletter_services.newsletter_save(by=by, subject="New", **ISSUE)),
    ("edit", NewsletterStatus.DRAFT,
     lambda issue, by: newsletter_services.newsletter_save(newsletter=issue, by=by, subject="Changed", **ISSUE)),
    ("send a test copy", NewsletterStatus.DRAFT,
     lambda issue, by: newsletter_services.newsletter_send_test(newsletter=issue, by=by)),
    ("schedule", NewsletterStatus.DRAFT,
     lambda issue, by: newsletter_services.newsletter_schedule(newsletter=issue, by=by, when=timezone.now() + SOON)),
    ("unschedule", NewsletterStatus.SCHEDULED,
     lambda issue, by: newsletter_services.newsletter_unschedule(newsletter=issue, by=by)),
    ("send now", NewsletterStatus.DRAFT,
     lambda issue, by: newsletter_services.newsletter_send_now(newsletter=issue, by=by)),
    ("pause", NewsletterStatus.SENDING,
     lambda issue, by: newsletter_services.newsletter_pause(newsletter=issue, by=by)),
    ("resume", NewsletterStatus.PAUSED,
     lambda issue, by: newsletter_services.newsletter_resume(newsletter=issue, by=by)),
    ("cancel", NewsletterStatus.SCHEDULED,
     lambda issue, by: newsletter_services.newsletter_cancel(newsletter=issue, by=by)),
]  # fmt: skip


# A visitor's request, and a caller (a script, a task) that names nobody.
WITHOUT_AN_ACCOUNT = {"anonymous": AnonymousUser, "nobody": lambda: None}


def _issue_snapshot() -> list[tuple]:
    return list(Newsletter.objects.order_by("pk").values_list("pk", "subject", "status", "scheduled_at", "prepared"))


@pytest.mark.parametrize(("name", "status", "write"), NEWSLETTER_WRITES, ids=[w[0] for w in NEWSLETTER_WRITES])
@pytest.mark.parametrize("who", ["activist", "rep_ma3", "organizer", "anonymous", "nobody"])
def test_only_a_coordinator_composes_and_sends_the_newsletter(
    request, name, status, write, who, coordinator, django_capture_on_commit_callbacks
):
    issue = newsletter_services.newsletter_save(by=coordinator, subject="Spring", **ISSUE)
    if status is not None:
        Newsletter.objects.filter(pk=issue.pk).update(status=status, scheduled_at=timezone.now() + SOON)
        issue.refresh_from_db()
    outsider = WITHOUT_AN_ACCOUNT[who]() if who in WITHOUT_AN_ACCOUNT else request.getfixturevalue(who)
    before = _issue_snapshot()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
        write(issue, outsider)
    assert _issue_snapshot() == before
    assert not OutboundEmail.objects.exists() and mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        write(issue, coordinator)  # control: a coordinator gets through
    assert _issue_snapshot() != before or OutboundEmail.objects.filter(to=coordinator.email).exists()
