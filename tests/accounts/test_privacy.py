"""A member downloads all the portal holds about them and deletes their account."""

from __future__ import annotations

import json

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.test import Client

from accounts.mfa import totp_ensure
from accounts.models import User
from accounts.services import user_ensure
from districts.models import Team
from groups.models import RelayMessage
from imc import registry
from newsletter.models import ConsentSource, Subscriber, SubscriberStatus
from outbox.models import EmailStatus, OutboundEmail
from outbox.services import email_queue
from tests.conftest import PASSWORD, STAFF_TOTP_SECRET
from tests.events.conftest import make_group

pytestmark = pytest.mark.django_db


@pytest.fixture
def bob(db):
    return user_ensure(email="bob@example.org", password="bobs-own-password-77", first_name="Bob")


VERA = "vera@example.org"


@pytest.fixture
def vera(db):
    """Somebody who never signed up: a newsletter subscriber with mail queued for her, who once
    wrote to a group through its contact form."""
    subscriber = Subscriber.objects.create(
        email=VERA, name="Vera Quist", status=SubscriberStatus.CONFIRMED, consent_source=ConsentSource.PAGE
    )
    queued = email_queue(kind="test.notice", to=VERA, subject="Vera's notice", body_text="x")
    return {"subscriber": subscriber, "queued": queued}


def _add_address(client: Client, email: str) -> None:
    """What a member does at /accounts/email/: add an address (allauth mails it a link, which
    only its owner can follow)."""
    response = client.post("/accounts/email/", {"action_add": "", "email": email})
    assert response.status_code == 302, response.content.decode()[:500]


def _export(client: Client) -> dict:
    response = client.get("/accounts/data/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="indivisible-mass-my-data.json"'
    return json.loads(response.content)


# --- Export -------------------------------------------------------------------------------------


def test_a_visitor_is_sent_to_sign_in_for_export_and_delete(client):
    for path in ("/accounts/data/", "/accounts/delete/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={path}"
    assert client.post("/accounts/delete/", {"password": PASSWORD})["Location"].startswith("/accounts/login/")


def test_the_export_holds_the_account_profile_and_mail_log(client, activist):
    totp_ensure(user=activist, secret=STAFF_TOTP_SECRET)
    email_queue(kind="test.notice", to=activist.email, subject="Your group met", body_text="secret link")
    client.force_login(activist)
    data = _export(client)
    assert data["account"]["email"] == "alice@example.org"
    assert data["account"]["first_name"] == "Alice"
    assert data["account"]["email_addresses"] == [{"email": "alice@example.org", "verified": True, "primary": True}]
    assert [f["type"] for f in data["account"]["two_factor"]] == ["totp"]
    assert data["profile"] == {"home_town": "Lowell", "county": "Middlesex", "districts": ["MA-3"]}
    assert [(e["kind"], e["subject"], e["status"]) for e in data["emails"]] == [
        ("test.notice", "Your group met", "queued")
    ]
    text = json.dumps(data)
    assert "secret link" not in text  # bodies carry one-time links
    assert "secret" not in json.dumps(data["account"]["two_factor"])  # never the TOTP secret
    assert PASSWORD not in text and "pbkdf2" not in text and "md5" not in text


def test_a_member_exports_only_their_own_data(client, activist, bob):
    email_queue(kind="test.notice", to=bob.email, subject="For Bob", body_text="x")
    client.force_login(activist)
    text = json.dumps(_export(client))
    assert "bob@example.org" not in text
    assert "For Bob" not in text
    client.force_login(bob)
    assert _export(client)["account"]["email"] == "bob@example.org"


def test_a_relay_message_appears_in_the_writers_download_without_the_recipients_addresses(client, activist):
    organizer = user_ensure(email="olga@example.org", password=PASSWORD, first_name="Olga")
    lead = user_ensure(email="lena@example.org", password=PASSWORD, first_name="Lena")
    group = make_group("Lowell Indivisible", "Lowell", organizer)
    team = Team.objects.create(name="Voting Rights", slug="voting-rights", description="x", how_to_help="x", lead=lead)
    client.force_login(activist)
    form = {"name": "Alice", "email": activist.email}
    assert client.post(f"/groups/{group.slug}/contact/", {**form, "message": "To the group"}).status_code == 302
    assert client.post(f"/teams/{team.slug}/contact/", {**form, "message": "To the team"}).status_code == 302
    assert OutboundEmail.objects.filter(reply_to=activist.email).count() == 2  # the relay wrote its mail

    data = _export(client)
    text = json.dumps(data)
    assert "olga@example.org" not in text
    assert "lena@example.org" not in text
    # The mail log holds mail to her, not the relay's mail to the organizers and the lead.
    assert data["emails"] == []
    sent = sorted(data["groups"]["messages_sent"], key=lambda m: m["body"])
    assert [(m["group"], m["team"], m["subject"], m["body"], m["reply_to"]) for m in sent] == [
        ("Lowell Indivisible", None, "Message for Lowell Indivisible from Alice", "To the group", activist.email),
        (None, "Voting Rights", "Message for Voting Rights from Alice", "To the team", activist.email),
    ]
    assert all(m["at"] for m in sent)

    # The organizer's own download holds the mail she received, without the writer's address.
    client.force_login(organizer)
    data = _export(client)
    assert [(e["kind"], e["to"]) for e in data["emails"]] == [("groups.relay", "olga@example.org")]
    assert activist.email not in json.dumps(data)


def test_a_relay_message_sent_under_somebody_elses_address_does_not_show_that_address(client, activist, bob):
    organizer = user_ensure(email="olga@example.org", password=PASSWORD, first_name="Olga")
    group = make_group("Lowell Indivisible", "Lowell", organizer)
    client.force_login(activist)
    post = {"name": "Alice", "email": bob.email, "message": "Reply to Bob"}
    assert client.post(f"/groups/{group.slug}/contact/", post).status_code == 302

    data = _export(client)
    assert [(m["body"], m["reply_to"]) for m in data["groups"]["messages_sent"]] == [("Reply to Bob", None)]
    assert bob.email not in json.dumps(data)


def test_the_verified_addresses_are_the_confirmed_ones_of_the_account(activist, bob):
    from accounts.selectors import user_verified_addresses

    EmailAddress.objects.create(user=activist, email="Alice.Old@Example.org", verified=True)
    EmailAddress.objects.create(user=activist, email="vera@example.org", verified=False)
    assert user_verified_addresses(activist) == {"alice@example.org", "alice.old@example.org"}
    # A login address nobody confirmed (an account made in the shell, say) opens nothing.
    EmailAddress.objects.filter(user=bob).update(verified=False)
    assert user_verified_addresses(bob) == set()


def test_an_unverified_address_does_not_open_its_owners_data(client, activist, vera):
    RelayMessage.objects.create(
        group=make_group("Lowell Indivisible", "Lowell"), sender_name="Vera", sender_email=VERA, body="Vera wrote"
    )
    client.force_login(activist)
    _add_address(client, VERA)
    assert EmailAddress.objects.get(email=VERA).user == activist
    assert not EmailAddress.objects.get(email=VERA).verified

    data = _export(client)
    text = json.dumps(data)
    assert VERA not in text
    assert "Vera" not in text
    assert data["newsletter"]["subscriptions"] == []
    assert data["groups"]["messages_sent"] == []
    assert [e["to"] for e in data["emails"]] == []
    # The address she added is counted, not named: it may be somebody else's.
    assert data["account"]["email_addresses"] == [{"email": activist.email, "verified": True, "primary": True}]
    assert data["account"]["unverified_addresses"] == 1


def test_a_second_address_opens_its_data_once_verified(client, activist, vera):
    """The control for the test above: the same rows do show once the address is confirmed hers."""
    EmailAddress.objects.create(user=activist, email=VERA, verified=True)
    client.force_login(activist)
    data = _export(client)
    assert [s["email"] for s in data["newsletter"]["subscriptions"]] == [VERA]
    assert [e["subject"] for e in data["emails"]] == ["Vera's notice"]


def test_deleting_an_account_leaves_the_data_of_an_unverified_address_alone(client, activist, vera):
    message = RelayMessage.objects.create(
        group=make_group("Lowell Indivisible", "Lowell"), sender_name="Vera", sender_email=VERA, body="Vera wrote"
    )
    client.force_login(activist)
    _add_address(client, VERA)

    assert client.post("/accounts/delete/", {"password": PASSWORD}).status_code == 302
    assert not User.objects.filter(pk=activist.pk).exists()
    assert Subscriber.objects.filter(pk=vera["subscriber"].pk, status=SubscriberStatus.CONFIRMED).exists()
    assert OutboundEmail.objects.filter(pk=vera["queued"].pk, status=EmailStatus.QUEUED).exists()
    assert RelayMessage.objects.filter(pk=message.pk).exists()


def test_apps_add_their_part_to_the_export_and_deletion(client, activist, monkeypatch):
    """What groups, events and newsletter do: ``Kind.EXPORT_USER_DATA`` / ``Kind.ERASE_USER_DATA``
    contributions (here an app that gives none today, outbox, is made to give both)."""
    erased = []
    Kind = registry.Kind

    def export(user):
        return {"memberships": [f"group of {user.email}"]}

    extra = {
        Kind.EXPORT_USER_DATA: registry.Contribution(kind=Kind.EXPORT_USER_DATA, app_label="outbox", function=export),
        Kind.ERASE_USER_DATA: registry.Contribution(
            kind=Kind.ERASE_USER_DATA, app_label="outbox", function=lambda user: erased.append(user.email)
        ),
    }
    for kind, contribution in extra.items():
        monkeypatch.setitem(registry._registered, kind, [*registry._registered[kind], contribution])

    client.force_login(activist)
    assert _export(client)["outbox"] == {"memberships": ["group of alice@example.org"]}
    client.post("/accounts/delete/", {"password": PASSWORD})
    assert erased == ["alice@example.org"]


# --- Deletion -----------------------------------------------------------------------------------


def test_the_delete_page_asks_for_the_password(client, activist):
    client.force_login(activist)
    page = client.get("/accounts/delete/")
    assert page.status_code == 200
    assert 'name="password"' in page.content.decode()
    assert "Indivisible Mass" in page.content.decode()


def test_a_wrong_password_deletes_nothing(client, activist):
    client.force_login(activist)
    response = client.post("/accounts/delete/", {"password": "not-my-password-0"})
    assert response.status_code == 200
    assert response.context["form"].errors["password"] == ["That is not your password."]
    assert User.objects.filter(pk=activist.pk).exists()
    assert SESSION_KEY in client.session


def test_another_members_password_deletes_nobody(client, activist, bob):
    client.force_login(bob)
    response = client.post("/accounts/delete/", {"password": PASSWORD})  # Alice's password
    assert response.status_code == 200
    assert User.objects.filter(pk__in=[activist.pk, bob.pk]).count() == 2


def test_deleting_the_account_removes_the_member_and_every_trace_of_their_address(client, activist, bob):
    totp_ensure(user=activist, secret=STAFF_TOTP_SECRET)
    EmailAddress.objects.create(user=activist, email="Alice.Old@Example.org", verified=True)
    email_queue(kind="account.email_confirmation", to=activist.email, subject="Confirm", body_text="x")
    email_queue(kind="test.notice", to="alice.old@example.org", subject="Old", body_text="x")
    email_queue(kind="groups.relay", to="organizer@example.org", reply_to=activist.email, subject="Hi", body_text="x")
    kept = email_queue(kind="test.notice", to=bob.email, subject="For Bob", body_text="x")
    OutboundEmail.objects.filter(to=activist.email).update(status=EmailStatus.SENT)
    client.force_login(activist)

    response = client.post("/accounts/delete/", {"password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert SESSION_KEY not in client.session
    assert not User.objects.filter(pk=activist.pk).exists()
    assert not EmailAddress.objects.filter(email__iexact="alice@example.org").exists()
    assert not Authenticator.objects.filter(user_id=activist.pk).exists()
    assert list(OutboundEmail.objects.all()) == [kept]
    assert User.objects.filter(pk=bob.pk).exists()
    # Nothing anywhere in the database still names her addresses.
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM outbox_outboundemail WHERE LOWER(\"to\") LIKE '%%alice%%'")
        assert cursor.fetchone()[0] == 0
    assert client.get("/accounts/profile/").status_code == 302


def test_a_deleted_member_can_no_longer_sign_in(client, activist):
    client.force_login(activist)
    client.post("/accounts/delete/", {"password": PASSWORD})
    response = Client().post("/accounts/login/", {"login": activist.email, "password": PASSWORD})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_the_export_shows_the_subscribe_requests_made_for_the_address_but_not_where_from(client, activist):
    """The subscribe form takes posts from anywhere (CSRF-exempt), so a request for Alice's address
    may be somebody else's: she sees what was asked, not the address it was posted from."""
    from newsletter.services.subscribers import subscriber_request

    subscriber_request(email=activist.email, name="Forged Name", town=None, source="home", ip="203.0.113.77")
    client.force_login(activist)
    data = _export(client)
    [subscription] = data["newsletter"]["subscriptions"]
    assert [(r["name"], r["status"]) for r in subscription["requests"]] == [("Forged Name", "open")]
    assert "203.0.113.77" not in json.dumps(data)
