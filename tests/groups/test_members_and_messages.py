"""Joining, member lists, the relay to organizers and team leads, claims, teams and panels."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.services import user_ensure
from districts.models import Team
from groups import services, tasks
from groups.models import (
    ClaimStatus,
    GroupClaim,
    Membership,
    MembershipRole,
    MembershipStatus,
    RelayMessage,
    TeamVolunteer,
)
from outbox.models import OutboundEmail
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_member_joins_with_one_click_leaves_with_one_and_sees_my_groups(client, activist, lowell_group):
    client.force_login(activist)
    client.post(reverse("groups:join", args=[lowell_group.slug]))
    assert Membership.objects.get(group=lowell_group, user=activist).status == MembershipStatus.ACTIVE
    profile = client.get(reverse("accounts:profile")).content.decode()
    assert "My groups" in profile and "Lowell Indivisible" in profile
    client.post(reverse("groups:leave", args=[lowell_group.slug]))
    assert not Membership.objects.filter(group=lowell_group, user=activist).exists()


def test_joining_needs_a_sign_in_and_a_post(client, lowell_group):
    assert client.get(reverse("groups:join", args=[lowell_group.slug])).status_code == 405
    response = client.post(reverse("groups:join", args=[lowell_group.slug]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_where_approval_is_required_organizers_decide_and_outsiders_cannot(
    client, make_group, organizer, activist, rep_ma3
):
    group = make_group("Closed Circle", organizer=organizer, requires_approval=True)
    client.force_login(activist)
    client.post(reverse("groups:join", args=[group.slug]))
    request = Membership.objects.get(group=group, user=activist)
    assert request.status == MembershipStatus.PENDING
    decide = reverse("groups:member_decide", args=[group.slug, request.pk])
    # The requester, and a rep (who moderates but does not organize), cannot decide.
    assert client.post(decide, {"decision": "approve"}).status_code == 404
    client.force_login(rep_ma3)
    assert client.post(decide, {"decision": "approve"}).status_code == 404
    request.refresh_from_db()
    assert request.status == MembershipStatus.PENDING
    client.force_login(organizer)
    client.post(decide, {"decision": "approve"})
    request.refresh_from_db()
    assert request.status == MembershipStatus.ACTIVE


def test_a_group_keeps_at_least_one_organizer(lowell_group, organizer):
    mine = Membership.objects.get(group=lowell_group, user=organizer)
    with pytest.raises(services.GroupError):
        services.membership_set_role(organizer=organizer, membership=mine, role=MembershipRole.MEMBER)


@pytest.mark.parametrize("who", ["anonymous", "activist", "member", "rep_ma3", "coordinator"])
def test_only_organizers_see_and_export_the_member_list(client, lowell_group, activist, who, request):
    url_list = reverse("groups:members", args=[lowell_group.slug])
    url_csv = reverse("groups:members_csv", args=[lowell_group.slug])
    if who == "member":
        services.membership_join(user=activist, group=lowell_group)
        client.force_login(activist)
    elif who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    for url in (url_list, url_csv):
        assert client.get(url).status_code in {302, 404}


def test_organizers_export_members_as_csv(client, lowell_group, organizer, activist):
    services.membership_join(user=activist, group=lowell_group)
    user_ensure(email="evil@example.org", password=PASSWORD, first_name="=HYPERLINK(1)")
    evil = user_ensure(email="evil@example.org", password=PASSWORD, first_name="=HYPERLINK(1)")
    services.membership_join(user=evil, group=lowell_group)
    client.force_login(organizer)
    response = client.get(reverse("groups:members_csv", args=[lowell_group.slug]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {r["email"] for r in rows} == {organizer.email, activist.email, evil.email}
    assert {r["first_name"] for r in rows if r["email"] == evil.email} == {"'=HYPERLINK(1)"}


def test_the_group_page_shows_organizers_first_names_and_never_their_addresses(client, lowell_group, organizer):
    html = client.get(lowell_group.get_absolute_url()).content.decode()
    assert "Olga" in html and organizer.email not in html
    assert organizer.last_name not in html


def test_a_contact_message_is_relayed_to_organizers_with_the_sender_as_reply_to(client, lowell_group, organizer):
    response = client.post(
        reverse("groups:contact", args=[lowell_group.slug]),
        {"name": "Sam", "email": "sam@example.net", "message": "Can I come on Tuesday?"},
    )
    assert response.status_code == 302
    email = OutboundEmail.objects.get(kind="groups.relay")
    assert email.to == organizer.email and email.reply_to == "sam@example.net"
    assert "Can I come on Tuesday?" in email.body_text
    assert RelayMessage.objects.get().group == lowell_group
    assert organizer.email not in client.get(response["Location"]).content.decode()


def test_contact_is_rate_limited_per_sender(client, lowell_group, settings):
    settings.GROUPS_RELAY_PER_SENDER_PER_HOUR = 2
    url = reverse("groups:contact", args=[lowell_group.slug])
    data = {"name": "Sam", "email": "sam@example.net", "message": "hello"}
    assert client.post(url, data, REMOTE_ADDR="10.0.0.1").status_code == 302
    assert client.post(url, data, REMOTE_ADDR="10.0.0.2").status_code == 302
    refused = client.post(url, {**data, "email": "SAM@example.net"}, REMOTE_ADDR="10.0.0.3")
    assert refused.status_code == 429 and "try again later" in refused.content.decode()
    assert RelayMessage.objects.count() == 2 and OutboundEmail.objects.filter(kind="groups.relay").count() == 2


def test_contact_is_rate_limited_per_ip(client, lowell_group, settings):
    settings.GROUPS_RELAY_PER_IP_PER_HOUR = 2
    url = reverse("groups:contact", args=[lowell_group.slug])
    for n in range(2):
        data = {"name": "Sam", "email": f"sam{n}@example.net", "message": "hello"}
        assert client.post(url, data, REMOTE_ADDR="10.0.0.9").status_code == 302
    data = {"name": "Sam", "email": "other@example.net", "message": "hello"}
    assert client.post(url, data, REMOTE_ADDR="10.0.0.9").status_code == 429
    assert client.post(url, data, REMOTE_ADDR="10.0.0.10").status_code == 302


def test_a_bad_contact_form_shows_errors(client, lowell_group):
    response = client.post(reverse("groups:contact", args=[lowell_group.slug]), {"name": "", "email": "nope"})
    assert response.status_code == 200 and response.context["form"].errors
    assert not RelayMessage.objects.exists()


def test_relay_messages_are_deleted_after_90_days(lowell_group):
    old = services.relay_send(group=lowell_group, sender_name="A", sender_email="a@x.org", body="b", ip_address=None)
    new = services.relay_send(group=lowell_group, sender_name="B", sender_email="b@x.org", body="b", ip_address=None)
    RelayMessage.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=91))
    assert tasks.purge_relay_messages.delay().get() == 1
    assert list(RelayMessage.objects.values_list("pk", flat=True)) == [new.pk]


def test_a_member_claims_an_orphaned_listing_and_the_rep_approves_it(
    client, staff_client, lowell_group, organizer, activist, rep_ma3
):
    Membership.objects.filter(group=lowell_group).delete()
    client.force_login(activist)
    response = client.post(reverse("groups:claim", args=[lowell_group.slug]), {"message": "I lead it now"})
    assert response.status_code == 302
    claim = GroupClaim.objects.get()
    assert OutboundEmail.objects.filter(kind="groups.claim", to=rep_ma3.email).exists()
    again = client.post(reverse("groups:claim", args=[lowell_group.slug]), {"message": "again"})
    assert again.status_code == 200 and GroupClaim.objects.count() == 1
    staff_client(rep_ma3).post(
        reverse("admin:groups_groupclaim_changelist"),
        {"action": "approve_claims", "_selected_action": [claim.pk], "index": 0},
    )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED
    assert Membership.objects.get(group=lowell_group, user=activist).role == MembershipRole.ORGANIZER


def test_a_group_with_an_organizer_cannot_be_claimed(client, lowell_group, activist):
    client.force_login(activist)
    response = client.post(reverse("groups:claim", args=[lowell_group.slug]), {"message": "mine"})
    assert response.status_code == 200 and not GroupClaim.objects.exists()


def test_the_rep_of_another_district_cannot_decide_a_claim(staff_client, lowell_group, activist, rep_ma5):
    Membership.objects.filter(group=lowell_group).delete()
    claim = services.claim_submit(user=activist, group=lowell_group)
    client = staff_client(rep_ma5)
    assert client.get(reverse("admin:groups_groupclaim_change", args=[claim.pk])).status_code == 404
    client.post(
        reverse("admin:groups_groupclaim_changelist"),
        {"action": "approve_claims", "_selected_action": [claim.pk], "index": 0},
    )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PENDING


@pytest.fixture
def team(coordinator):
    return Team.objects.create(name="Voting Rights", slug="voting-rights", description="Ballots", lead=coordinator)


def test_teams_are_listed_and_members_offer_help_which_only_the_lead_sees(client, team, activist, coordinator):
    assert "Voting Rights" in client.get(reverse("teams:list")).content.decode()
    client.force_login(activist)
    client.post(reverse("teams:volunteer", args=[team.slug]), {"message": "I can phone bank"})
    assert TeamVolunteer.objects.filter(team=team, user=activist).exists()
    page = client.get(reverse("teams:detail", args=[team.slug])).content.decode()
    assert "I can phone bank" not in page and "You said you want to help" in page
    client.force_login(coordinator)
    page = client.get(reverse("teams:detail", args=[team.slug])).content.decode()
    assert "I can phone bank" in page and activist.email in page


def test_a_message_to_a_team_reaches_its_lead_without_showing_the_address(client, team, coordinator):
    page = client.get(reverse("teams:detail", args=[team.slug])).content.decode()
    assert coordinator.email not in page
    client.post(
        reverse("teams:contact", args=[team.slug]), {"name": "Sam", "email": "sam@example.net", "message": "Hi"}
    )
    email = OutboundEmail.objects.get(kind="teams.relay")
    assert email.to == coordinator.email and email.reply_to == "sam@example.net"


def test_groups_appear_on_the_district_find_and_home_pages(client, lowell_group, make_group, activist):
    make_group("Framingham Forward", ("Framingham",))
    district = client.get("/districts/ma-3/").content.decode()
    assert "Lowell Indivisible" in district and "Framingham Forward" not in district
    find = client.get("/find/?q=01852").content.decode()
    assert "Groups for Lowell" in find and "Lowell Indivisible" in find
    client.force_login(activist)
    assert "Groups near Lowell" in client.get("/").content.decode()


def test_a_members_data_download_and_deletion_cover_their_groups_and_messages(client, lowell_group, activist):
    from accounts.selectors import user_data
    from imc.registry import Kind, contributions

    services.membership_join(user=activist, group=lowell_group)
    services.relay_send(
        group=lowell_group, sender_name="Alice", sender_email=activist.email, body="Hello there", ip_address=None
    )
    data = user_data(activist)["groups"]
    assert data["memberships"][0]["group"] == "Lowell Indivisible"
    assert data["messages_sent"][0]["body"] == "Hello there"
    for contribution in contributions(Kind.ERASE_USER_DATA):
        contribution.function(activist)
    assert not RelayMessage.objects.filter(sender_email=activist.email).exists()
