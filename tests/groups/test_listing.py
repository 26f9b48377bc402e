"""Listing a group, moderating it, keeping it fresh: the services and the pages around them."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from districts.models import Town
from groups import services, tasks
from groups.models import (
    Group,
    GroupDistrict,
    GroupStatus,
    Membership,
    MembershipRole,
    ModerationAction,
    ModerationLogEntry,
)
from outbox.models import OutboundEmail

pytestmark = pytest.mark.django_db


def _details(name="Acton Action", towns=("Acton",), **extra):
    town_objs = [Town.objects.get(name=t) for t in towns]
    return services.GroupDetails(name=name, home_town=town_objs[0], other_towns=town_objs[1:], **extra)


def test_a_submitted_listing_waits_for_its_reps_and_the_submitter_organizes_it(activist, rep_ma3, rep_ma5):
    group = services.group_submit(submitter=activist, details=_details())
    assert group.status == GroupStatus.PENDING
    assert group.district.slug == "ma-3"
    assert Membership.objects.get(group=group, user=activist).role == MembershipRole.ORGANIZER
    assert ModerationLogEntry.objects.filter(group=group, action=ModerationAction.SUBMITTED).count() == 1
    notices = OutboundEmail.objects.filter(kind="groups.pending_listing")
    assert [e.to for e in notices] == [rep_ma3.email]
    assert reverse("admin:groups_group_change", args=[group.pk]) in notices[0].body_text


def test_a_group_belongs_to_its_first_towns_district_and_is_served_in_both(activist, rep_ma3, rep_ma5):
    group = services.group_submit(submitter=activist, details=_details(towns=("Lowell", "Arlington")))
    assert group.district.slug == "ma-3"
    served = set(GroupDistrict.objects.filter(group=group).values_list("district__slug", flat=True))
    assert served == {"ma-3", "ma-5"}
    assert set(OutboundEmail.objects.filter(kind="groups.pending_listing").values_list("to", flat=True)) == {
        rep_ma3.email,
        rep_ma5.email,
    }


def test_the_submit_page_creates_a_pending_listing_for_a_signed_in_member(client, activist, rep_ma3):
    client.force_login(activist)
    acton = Town.objects.get(name="Acton")
    response = client.post(
        reverse("groups:submit"),
        {"name": "Acton Action", "home_town": acton.pk, "description": "Hi", "website": "example.org"},
    )
    group = Group.objects.get(name="Acton Action")
    assert response.status_code == 302 and response["Location"] == group.get_absolute_url()
    assert group.status == GroupStatus.PENDING and group.website == "https://example.org"
    # Pending: invisible in the directory, visible to its organizer.
    assert "Acton Action" not in client.get(reverse("groups:directory")).content.decode()
    assert client.get(group.get_absolute_url()).status_code == 200


def test_bad_submissions_show_errors_and_write_nothing(client, activist):
    client.force_login(activist)
    response = client.post(reverse("groups:submit"), {"name": "!!!", "home_town": "999999", "website": "not a url"})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() >= {"name", "home_town", "website"}
    assert not Group.objects.exists()


def test_the_submit_page_needs_a_signed_in_member(client):
    response = client.get(reverse("groups:submit"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_pending_listing_is_a_404_to_outsiders(client, make_group, activist):
    group = make_group("Secret Pending", status=GroupStatus.PENDING)
    assert client.get(group.get_absolute_url()).status_code == 404
    client.force_login(activist)
    assert client.get(group.get_absolute_url()).status_code == 404


def test_approval_and_rejection_are_logged_and_emailed_to_the_submitter(activist, rep_ma3):
    group = services.group_submit(submitter=activist, details=_details())
    with pytest.raises(services.GroupError):
        services.group_reject(group=group, actor=rep_ma3, reason="  ")
    services.group_reject(group=group, actor=rep_ma3, reason="Please add a description.")
    email = OutboundEmail.objects.get(kind="groups.decision")
    assert email.to == activist.email and "Please add a description." in email.body_text
    services.group_approve(group=group, actor=rep_ma3, reason="Thanks!")
    services.group_approve(group=group, actor=rep_ma3, reason="double click")
    group.refresh_from_db()
    assert group.status == GroupStatus.APPROVED and group.last_confirmed is not None
    assert OutboundEmail.objects.filter(kind="groups.decision").count() == 2
    log = list(group.moderation_log.values_list("action", "actor", "reason"))
    assert log[0] == (ModerationAction.APPROVED, rep_ma3.pk, "Thanks!")
    assert log[1] == (ModerationAction.REJECTED, rep_ma3.pk, "Please add a description.")


def test_slugs_are_unique_and_a_renamed_group_keeps_its_old_address(client, make_group, organizer):
    first = make_group("Lowell Indivisible", organizer=organizer)
    second = make_group("Lowell Indivisible")
    reserved = make_group("Submit")
    assert first.slug == "lowell-indivisible" and second.slug == "lowell-indivisible-2"
    assert reserved.slug == "submit-2"
    details = _details(name="Greater Lowell Indivisible", towns=("Lowell",))
    services.group_update(group=first, actor=organizer, details=details)
    first.refresh_from_db()
    assert first.slug == "greater-lowell-indivisible"
    response = client.get("/groups/lowell-indivisible/")
    assert response.status_code == 301 and response["Location"] == "/groups/greater-lowell-indivisible/"
    # The old slug stays taken: a new group cannot steal the old address.
    third = make_group("Lowell Indivisible")
    assert third.slug not in {"lowell-indivisible", "lowell-indivisible-2"}


def test_organizers_edit_their_listing_and_others_cannot(client, lowell_group, organizer, activist):
    url = reverse("groups:edit", args=[lowell_group.slug])
    client.force_login(activist)
    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "Hijacked", "home_town": lowell_group.home_town_id}).status_code == 404
    client.force_login(organizer)
    assert client.get(url).status_code == 200
    westford = Town.objects.get(name="Westford")
    response = client.post(
        url,
        {"name": "Lowell Indivisible", "home_town": westford.pk, "meeting_pattern": "Mondays", "description": "x"},
    )
    assert response.status_code == 302
    lowell_group.refresh_from_db()
    assert lowell_group.meeting_pattern == "Mondays" and lowell_group.home_town == westford
    assert set(lowell_group.towns.values_list("name", flat=True)) == {"Westford"}


def test_descriptions_are_sanitised(client, make_group):
    evil = (
        "Hello <script>alert(1)</script> [click](javascript:alert(2)) "
        '<img src=x onerror="alert(3)"> <a href="https://ok.example" onclick="alert(4)">ok</a>'
    )
    group = make_group("Evil Group", description=evil)
    html = client.get(group.get_absolute_url()).content.decode()
    body = html.split('class="group-description')[1].split("</section>")[0]
    assert "<script" not in body and "javascript:" not in body
    assert "onerror" not in body and "onclick" not in body
    assert 'href="https://ok.example"' in body


def test_yearly_confirmation_is_asked_once_and_confirms_with_one_click(client, lowell_group, organizer):
    a_year_ago = timezone.now() - datetime.timedelta(days=370)
    Group.objects.filter(pk=lowell_group.pk).update(last_confirmed=a_year_ago)
    assert tasks.request_confirmation.delay().get() == 1
    assert services.groups_request_confirmation() == 0
    email = OutboundEmail.objects.get(kind="groups.confirm")
    assert email.to == organizer.email
    url = email.body_text.split("one click:")[1].split()[0].replace("http://127.0.0.1:8000", "")
    assert client.get(url).status_code == 200
    lowell_group.refresh_from_db()
    assert lowell_group.last_confirmed == a_year_ago  # a GET (a mail scanner) confirms nothing
    assert client.post(url).status_code == 302
    lowell_group.refresh_from_db()
    assert lowell_group.last_confirmed > a_year_ago
    assert client.get("/groups/confirm/not-a-token/").status_code == 400


def test_a_group_unconfirmed_for_15_months_is_stale_hidden_by_default_and_still_reachable(client, make_group):
    make_group("Fresh Group")
    stale = make_group("Sleepy Group")
    Group.objects.filter(pk=stale.pk).update(last_confirmed=timezone.now() - datetime.timedelta(days=460))
    assert tasks.mark_stale.delay().get() == 1
    assert services.groups_mark_stale() == 0
    stale.refresh_from_db()
    assert stale.is_stale
    assert stale.moderation_log.filter(action=ModerationAction.MARKED_STALE).exists()
    default = client.get(reverse("groups:directory")).content.decode()
    assert "Fresh Group" in default and "Sleepy Group" not in default
    assert "Sleepy Group" in client.get(reverse("groups:directory") + "?stale=1").content.decode()
    page = client.get(stale.get_absolute_url())
    assert page.status_code == 200 and "not confirmed its listing" in page.content.decode()
    services.group_confirm(group=stale, actor=None, token=services.confirmation_token(stale))
    stale.refresh_from_db()
    assert not stale.is_stale
