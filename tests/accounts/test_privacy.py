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
from imc import hooks
from outbox.models import EmailStatus, OutboundEmail
from outbox.services import email_queue
from tests.conftest import PASSWORD, STAFF_TOTP_SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture
def bob(db):
    from accounts.services import user_ensure

    return user_ensure(email="bob@example.org", password="bobs-own-password-77", first_name="Bob")


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


def test_apps_add_their_part_to_the_export_and_deletion(client, activist, monkeypatch):
    """The hook that groups, events and newsletter use: ``export_user_data``/``erase_user_data``."""
    import sys
    import types

    erased = []
    module = types.ModuleType("fakeapp.panels")
    module.export_user_data = lambda user: {"memberships": [f"group of {user.email}"]}
    module.erase_user_data = lambda user: erased.append(user.email)
    monkeypatch.setitem(sys.modules, "fakeapp.panels", module)
    monkeypatch.setattr(hooks, "PANEL_MODULES", [*hooks.PANEL_MODULES, "fakeapp.panels"])

    client.force_login(activist)
    assert _export(client)["fakeapp"] == {"memberships": ["group of alice@example.org"]}
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
