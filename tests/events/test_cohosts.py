"""Co-hosting: naming another group as co-host is an invitation its organizers answer.

The cast (tests/events/conftest.py, plus two here):
- ``other_organizer`` (Oscar) organizes ``worcester_group`` and hosts the event;
- ``organizer`` (Olga) organizes ``lowell_group``, the group he names as co-host;
- ``second_organizer`` (Sue) organizes ``lowell_group`` too; ``lowell_member`` only belongs to it;
- ``third_organizer`` (Tom) organizes ``pittsfield_group``, a bystander.

Nothing here imports the co-hosting code at module level, so that on code without invitations
the first test runs and fails on its assertion instead of the whole file failing to import.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.services import user_ensure
from districts.models import Town
from events import services
from events.models import Event, EventType
from groups.models import Membership, MembershipRole, MembershipStatus
from outbox.models import OutboundEmail
from tests.conftest import PASSWORD
from tests.events.conftest import make_event, make_group

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_organizer(lowell_group):
    user = user_ensure(email="sue@example.org", password=PASSWORD, first_name="Sue")
    Membership.objects.create(group=lowell_group, user=user, role=MembershipRole.ORGANIZER)
    return user


@pytest.fixture
def lowell_member(lowell_group):
    user = user_ensure(email="mel@example.org", password=PASSWORD, first_name="Mel")
    Membership.objects.create(group=lowell_group, user=user, role=MembershipRole.MEMBER)
    return user


@pytest.fixture
def third_organizer(db):
    return user_ensure(email="tom@example.org", password=PASSWORD, first_name="Tom")


@pytest.fixture
def pittsfield_group(third_organizer):
    return make_group("Indivisible Pittsfield", "Pittsfield", third_organizer)


def _form(**overrides) -> dict:
    start = (timezone.localtime() + timedelta(days=7)).replace(hour=19, minute=0, second=0, microsecond=0)
    data = {
        "title": "Worcester canvass",
        "event_type": EventType.CANVASS,
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "venue": "Main South",
        "town": Town.objects.get(name="Worcester").pk,
        "description": "",
        "capacity": "",
    }
    data.update(overrides)
    return data


def _invite_through_the_form(client, host, host_group, *co_hosts) -> Event:
    """Oscar names co-hosts on the event form and publishes: what any organizer can do."""
    client.force_login(host)
    response = client.post("/events/new/", _form(host_group=host_group.pk, co_hosts=[g.pk for g in co_hosts]))
    assert response.status_code == 302, response.context["form"].errors
    event = Event.objects.get()
    client.post(f"/events/{event.slug}/publish/")
    client.logout()
    return event


def _invitation(event, group):
    from events.models import CoHostInvitation

    return CoHostInvitation.objects.get(event=event, group=group)


def _shown_for(client, group, event) -> dict[str, bool]:
    """Where a co-hosted event would show for ``group``: its page, its feed, its directory card."""
    from events.selectors import next_event_by_group

    page = client.get(group.get_absolute_url()).content.decode()
    feed = client.get(f"/groups/{group.slug}/calendar.ics").content.decode()
    card = next_event_by_group([group.pk]).get(group.pk)
    return {"page": event.title in page, "feed": event.uid in feed, "card": card is not None and card.pk == event.pk}


NOWHERE = {"page": False, "feed": False, "card": False}
EVERYWHERE = {"page": True, "feed": True, "card": True}


def test_naming_another_group_as_co_host_does_not_put_the_event_on_its_page_feed_or_card(
    client, other_organizer, worcester_group, lowell_group
):
    event = _invite_through_the_form(client, other_organizer, worcester_group, lowell_group)
    assert _shown_for(client, lowell_group, event) == NOWHERE
    assert lowell_group not in event.co_hosts.all()
    # Control: the same three places do show it for the group that hosts it.
    assert _shown_for(client, worcester_group, event) == EVERYWHERE


def test_an_organizer_of_the_invited_group_accepts_and_the_event_appears(
    client, other_organizer, worcester_group, lowell_group, organizer
):
    event = _invite_through_the_form(client, other_organizer, worcester_group, lowell_group)
    invitation = _invitation(event, lowell_group)
    client.force_login(organizer)
    page = client.get(f"/events/co-hosting/{invitation.pk}/")
    assert page.status_code == 200 and event.title in page.content.decode()
    client.post(f"/events/co-hosting/{invitation.pk}/", {"answer": "accept"})
    client.logout()
    assert _invitation(event, lowell_group).status == "accepted"
    assert _shown_for(client, lowell_group, event) == EVERYWHERE
    assert "Lowell Indivisible" in client.get(event.get_absolute_url()).content.decode()


def test_declining_keeps_the_event_off_the_groups_page(
    client, other_organizer, worcester_group, lowell_group, organizer
):
    event = _invite_through_the_form(client, other_organizer, worcester_group, lowell_group)
    invitation = _invitation(event, lowell_group)
    client.force_login(organizer)
    client.post(f"/events/co-hosting/{invitation.pk}/", {"answer": "decline"})
    client.logout()
    assert _invitation(event, lowell_group).status == "declined"
    assert _shown_for(client, lowell_group, event) == NOWHERE


def test_a_co_host_can_later_stop_co_hosting(client, other_organizer, worcester_group, lowell_group, organizer):
    event = _invite_through_the_form(client, other_organizer, worcester_group, lowell_group)
    invitation = _invitation(event, lowell_group)
    services.cohost_accept(invitation=invitation, by=organizer)
    services.cohost_decline(invitation=invitation, by=organizer)
    assert _shown_for(client, lowell_group, event) == NOWHERE


@pytest.mark.parametrize("who", ["third_organizer", "lowell_member", "other_organizer", "coordinator", "activist"])
def test_only_an_organizer_of_the_invited_group_may_answer(
    client, request, who, other_organizer, worcester_group, lowell_group, pittsfield_group, lowell_member
):
    event = _invite_through_the_form(client, other_organizer, worcester_group, lowell_group)
    invitation = _invitation(event, lowell_group)
    outsider = request.getfixturevalue(who)
    client.force_login(outsider)
    assert client.get(f"/events/co-hosting/{invitation.pk}/").status_code == 404
    assert client.post(f"/events/co-hosting/{invitation.pk}/", {"answer": "accept"}).status_code == 404
    # The rule is the service's own, whoever calls it.
    with pytest.raises(PermissionDenied):
        services.cohost_accept(invitation=invitation, by=outsider)
    with pytest.raises(PermissionDenied):
        services.cohost_decline(invitation=invitation, by=outsider)
    assert _invitation(event, lowell_group).status == "pending"
    client.logout()
    assert _shown_for(client, lowell_group, event) == NOWHERE


def test_a_visitor_must_sign_in_to_answer(client, other_organizer, worcester_group, lowell_group):
    event = _invite_through_the_form(client, other_organizer, worcester_group, lowell_group)
    invitation = _invitation(event, lowell_group)
    response = client.post(f"/events/co-hosting/{invitation.pk}/", {"answer": "accept"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert _invitation(event, lowell_group).status == "pending"


def test_the_invitation_mail_reaches_the_invited_groups_organizers_and_nobody_else(
    client, other_organizer, worcester_group, lowell_group, organizer, second_organizer, lowell_member
):
    event = _invite_through_the_form(client, other_organizer, worcester_group, lowell_group)
    invitation = _invitation(event, lowell_group)
    mails = list(OutboundEmail.objects.filter(kind="events.cohost_invitation"))
    # One row per organizer, each addressed to that person alone.
    assert sorted(m.to for m in mails) == ["olga@example.org", "sue@example.org"]
    link = f"/events/co-hosting/{invitation.pk}/"
    for mail in mails:
        assert link in mail.body_text and link in mail.body_html
        assert "Indivisible Worcester" in mail.subject + mail.body_text
        assert "oscar@example.org" not in mail.body_text + mail.body_html + mail.reply_to
    # The inviter learns the invited group's name, never its organizers' addresses.
    client.force_login(other_organizer)
    for path in (event.get_absolute_url(), f"/events/{event.slug}/edit/"):
        body = client.get(path).content.decode()
        assert "Lowell Indivisible" in body  # control: the page does talk about the invitation
        assert "olga@example.org" not in body and "sue@example.org" not in body


def test_a_group_cannot_be_named_co_host_of_its_own_event(client, other_organizer, worcester_group):
    client.force_login(other_organizer)
    response = client.post("/events/new/", _form(host_group=worcester_group.pk, co_hosts=[worcester_group.pk]))
    assert response.status_code == 200 and "co_hosts" in response.context["form"].errors
    assert not Event.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_the_host_cannot_name_itself_through_the_service_either(other_organizer, worcester_group):
    event = make_event(host_group=worcester_group, town="Worcester")
    with pytest.raises(ValidationError):
        services.event_update(event=event, by=other_organizer, co_hosts=[worcester_group])
    assert not event.co_hosts.exists()


def test_the_hosts_organizers_withdraw_an_invitation(client, other_organizer, worcester_group, lowell_group, organizer):
    event = _invite_through_the_form(client, other_organizer, worcester_group, lowell_group)
    invitation = _invitation(event, lowell_group)
    client.force_login(other_organizer)
    edit = client.get(f"/events/{event.slug}/edit/")
    assert edit.context["form"]["co_hosts"].value() == [lowell_group.pk]  # the pending invitation is shown
    data = _form(title=event.title)
    data.pop("co_hosts", None)
    client.post(f"/events/{event.slug}/edit/", data)
    assert _invitation(event, lowell_group).status == "withdrawn"
    client.force_login(organizer)
    client.post(f"/events/co-hosting/{invitation.pk}/", {"answer": "accept"})
    with pytest.raises(ValidationError):
        services.cohost_accept(invitation=invitation, by=organizer)
    client.logout()
    assert _shown_for(client, lowell_group, event) == NOWHERE


def test_another_groups_organizer_cannot_withdraw(other_organizer, worcester_group, lowell_group, third_organizer):
    event = make_event(host_group=worcester_group, town="Worcester")
    services.event_update(event=event, by=other_organizer, co_hosts=[lowell_group])
    with pytest.raises(PermissionDenied):
        services.cohost_withdraw(invitation=_invitation(event, lowell_group), by=third_organizer)
    assert _invitation(event, lowell_group).status == "pending"


def test_a_declined_invitation_is_not_sent_again(client, other_organizer, worcester_group, lowell_group, organizer):
    event = _invite_through_the_form(client, other_organizer, worcester_group, lowell_group)
    services.cohost_decline(invitation=_invitation(event, lowell_group), by=organizer)
    sent = OutboundEmail.objects.count()
    client.force_login(other_organizer)
    response = client.post(f"/events/{event.slug}/edit/", _form(title=event.title, co_hosts=[lowell_group.pk]))
    assert response.status_code == 200 and "declined" in str(response.context["form"].errors["co_hosts"])
    assert OutboundEmail.objects.count() == sent
    assert _invitation(event, lowell_group).status == "declined"


def test_a_withdrawn_invitation_can_be_sent_again(other_organizer, worcester_group, lowell_group):
    event = make_event(host_group=worcester_group, town="Worcester")
    services.event_update(event=event, by=other_organizer, co_hosts=[lowell_group])
    services.cohost_withdraw(invitation=_invitation(event, lowell_group), by=other_organizer)
    services.event_update(event=event, by=other_organizer, co_hosts=[lowell_group])
    assert _invitation(event, lowell_group).status == "pending"
    assert OutboundEmail.objects.filter(kind="events.cohost_invitation", to="olga@example.org").count() == 2


def test_a_recurring_event_sends_one_mail_per_organizer(client, other_organizer, worcester_group, lowell_group):
    client.force_login(other_organizer)
    client.post(
        "/events/new/",
        _form(host_group=worcester_group.pk, co_hosts=[lowell_group.pk], recurrence="weekly", occurrences=3),
    )
    mail = OutboundEmail.objects.get(kind="events.cohost_invitation")
    for invitation in _invitations_of(lowell_group):
        assert f"/events/co-hosting/{invitation.pk}/" in mail.body_text


def _invitations_of(group):
    from events.models import CoHostInvitation

    return CoHostInvitation.objects.filter(group=group)


def test_the_groups_organizers_see_its_pending_invitations_on_its_page(
    client, other_organizer, worcester_group, lowell_group, organizer, lowell_member
):
    event = _invite_through_the_form(client, other_organizer, worcester_group, lowell_group)
    link = f"/events/co-hosting/{_invitation(event, lowell_group).pk}/"
    client.force_login(organizer)
    assert link in client.get(lowell_group.get_absolute_url()).content.decode()
    client.force_login(lowell_member)
    assert link not in client.get(lowell_group.get_absolute_url()).content.decode()


def test_existing_co_hostings_stay_only_where_the_groups_share_an_organizer(
    other_organizer, worcester_group, lowell_group, pittsfield_group
):
    """The data migration's rule, run on rows as the old code left them (no invitation)."""
    from importlib import import_module

    from django.apps import apps

    from events.models import CoHostInvitation

    migration = import_module("events.migrations.0004_existing_cohosts")
    # Oscar organizes Pittsfield too: naming it needed nobody else's consent.
    Membership.objects.create(
        group=pittsfield_group, user=other_organizer, role=MembershipRole.ORGANIZER, status=MembershipStatus.ACTIVE
    )
    event = make_event(host_group=worcester_group, town="Worcester")
    event.co_hosts.add(lowell_group, pittsfield_group)
    migration.invitations_for_existing_cohosts(apps, None)
    assert set(event.co_hosts.all()) == {pittsfield_group}
    statuses = dict(CoHostInvitation.objects.filter(event=event).values_list("group__slug", "status"))
    assert statuses == {pittsfield_group.slug: "accepted", lowell_group.slug: "pending"}
