"""Reach out: a rep writes to the organizers of one, several or all of the district's groups.

Each organizer gets their own message through the outbox (no one sees another's address), the
reply goes to the rep, each group's contact log records it, and a rep may do it only so often a day.
"""

from __future__ import annotations

import pytest

from desk import services
from desk.models import ContactMethod, ContactNote, Outreach
from outbox.models import OutboundEmail
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/desk/ma-3/reach-out/"


def test_rep_writes_to_the_organizers_of_several_groups(rep_client, rep_ma3, lowell_group, make_group, organizer):
    second = factories.user("zed@example.org", first_name="Zed")
    acton = make_group("Acton Acts", ("Acton",), organizer=second)
    co = factories.user("co@example.org", first_name="Co")
    from groups.models import Membership, MembershipRole

    Membership.objects.create(group=acton, user=co, role=MembershipRole.ORGANIZER)
    make_group("Concord Quiet", ("Concord",))  # not chosen: not written to

    response = rep_client.post(
        URL, {"groups": [lowell_group.pk, acton.pk], "subject": "Spring meet-up", "body": "Shall we meet?"}
    )
    assert response.status_code == 302
    mails = OutboundEmail.objects.filter(kind="desk.outreach").order_by("to")
    assert [m.to for m in mails] == ["co@example.org", "olga@example.org", "zed@example.org"]
    for mail in mails:
        assert mail.reply_to == rep_ma3.email
        assert "Shall we meet?" in mail.body_text and "Spring meet-up" in mail.subject
        others = {"co@example.org", "olga@example.org", "zed@example.org"} - {mail.to}
        assert not any(o in mail.body_text or o in mail.body_html for o in others)
        assert mail.body_html.startswith("<!doctype html>")
    notes = ContactNote.objects.order_by("group__name")
    assert [(n.group.name, n.method, n.rep) for n in notes] == [
        ("Acton Acts", ContactMethod.EMAIL, rep_ma3),
        ("Lowell Indivisible", ContactMethod.EMAIL, rep_ma3),
    ]
    assert all(n.outreach_id == Outreach.objects.get().pk for n in notes)


def test_rep_writes_to_all_of_the_districts_groups(rep_client, lowell_group, make_group):
    make_group("Acton Acts", ("Acton",))
    make_group("Metro West", ("Framingham",))  # MA-5
    response = rep_client.post(URL, {"all_groups": "on", "subject": "Hello all", "body": "News"})
    assert response.status_code == 302
    assert ContactNote.objects.count() == 2
    assert set(ContactNote.objects.values_list("group__name", flat=True)) == {"Lowell Indivisible", "Acton Acts"}


def test_outreach_is_rate_limited_per_rep_per_day(rep_client, lowell_group, settings):
    settings.DESK_OUTREACH_PER_REP_PER_DAY = 2
    data = {"groups": [lowell_group.pk], "subject": "Hi", "body": "Hello"}
    assert rep_client.post(URL, data).status_code == 302
    assert rep_client.post(URL, data).status_code == 302
    response = rep_client.post(URL, data)
    assert response.status_code == 429
    assert "You have reached out 2 times today" in response.content.decode()
    assert Outreach.objects.count() == 2
    assert OutboundEmail.objects.filter(kind="desk.outreach").count() == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"subject": "Hi", "body": "Hello"}, "Choose at least one group"),
        ({"groups": ["999999"], "subject": "Hi", "body": "Hello"}, "Select a valid choice"),
        ({"groups": [str(2**70)], "subject": "Hi", "body": "Hello"}, "Select a valid choice"),
        ({"groups": ["abc"], "subject": "Hi", "body": "Hello"}, "is not a valid value"),
        ({"groups": "{pk}", "subject": "Two\nlines", "body": "Hello"}, "line"),
        ({"groups": "{pk}", "subject": "", "body": "Hello"}, "This field is required"),
        ({"groups": "{pk}", "subject": "Hi", "body": "x" * 5001}, "at most 5000 characters"),
        ({"groups": "{pk}", "subject": "Hi", "body": "a\x00b"}, "Null characters are not allowed"),
    ],
)
def test_a_bad_outreach_is_shown_again_with_a_clear_message_and_sends_nothing(rep_client, lowell_group, data, message):
    if data.get("groups") == "{pk}":
        data = {**data, "groups": [lowell_group.pk]}
    response = rep_client.post(URL, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Outreach.objects.exists() and not ContactNote.objects.exists()
    assert not OutboundEmail.objects.filter(kind="desk.outreach").exists()


def test_a_group_without_organizer_is_named_and_the_others_still_get_the_message(rep_ma3, lowell_group, make_group):
    from groups.models import Membership

    orphan = make_group("Acton Orphan", ("Acton",))
    Membership.objects.filter(group=orphan).delete()
    outreach, skipped = services.outreach_send(
        rep=rep_ma3, district=lowell_group.district, groups=[lowell_group, orphan], subject="Hi", body="Hello"
    )
    assert [g.name for g in skipped] == ["Acton Orphan"]
    assert list(ContactNote.objects.values_list("group__name", flat=True)) == ["Lowell Indivisible"]


def test_outreach_to_groups_that_nobody_can_receive_is_refused(rep_ma3, make_group):
    from groups.models import Membership

    orphan = make_group("Acton Orphan", ("Acton",))
    Membership.objects.filter(group=orphan).delete()
    with pytest.raises(services.DeskError):
        services.outreach_send(rep=rep_ma3, district=orphan.district, groups=[orphan], subject="Hi", body="Hello")
    assert not Outreach.objects.exists()


def test_the_service_refuses_another_districts_group(rep_ma3, lowell_group, ma5_group):
    with pytest.raises(services.DeskError):
        services.outreach_send(
            rep=rep_ma3, district=lowell_group.district, groups=[ma5_group], subject="Hi", body="Hello"
        )
    assert not OutboundEmail.objects.filter(kind="desk.outreach").exists()
