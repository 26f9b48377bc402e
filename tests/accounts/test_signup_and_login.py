"""Sign-up, email confirmation, login, password reset and change, through the real allauth views.

Mail goes through the outbox: each test checks the OutboundEmail row and, with tasks run eagerly
after the commit, the message in django.core.mail.outbox.
"""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client

from accounts.models import User
from outbox.models import EmailStatus, OutboundEmail
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-long-passphrase-42"
# allauth's links are on SITE_URL (accounts.adapter), not on the host the request came to.
CONFIRM_LINK = re.compile(re.escape(settings.SITE_URL) + r"(/accounts/confirm-email/[^/\s]+/)")
RESET_LINK = re.compile(re.escape(settings.SITE_URL) + r"(/accounts/password/reset/key/[^/\s]+/)")


@pytest.fixture
def mail_after_commit(django_capture_on_commit_callbacks):
    """Run what the outbox queues after commit (eager tasks), as a real request would."""

    def post(client: Client, path: str, data: dict):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(path, data)

    return post


def signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def _sign_up(mail_after_commit, client, email="newbie@example.org", password=PASSWORD):
    return mail_after_commit(
        client, "/accounts/signup/", {"email": email, "password1": password, "password2": password}
    )


def test_signing_up_queues_a_confirmation_email_through_the_outbox(client, mail_after_commit):
    response = _sign_up(mail_after_commit, client)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    row = OutboundEmail.objects.get(to="newbie@example.org")
    assert row.kind == "account.email_confirmation_signup"
    assert row.status == EmailStatus.SENT
    assert [m.to for m in mail.outbox] == [["newbie@example.org"]]
    assert mail.outbox[0].extra_headers["X-IMC-Email-Id"] == str(row.pk)
    assert CONFIRM_LINK.search(mail.outbox[0].body)
    assert mail.outbox[0].body.startswith("Hello,")
    assert mail.outbox[0].subject == "[Indivisible Mass] Confirm your email address to finish signing up"
    assert not signed_in(client)


def test_a_new_member_cannot_sign_in_before_confirming_then_can(client, mail_after_commit):
    _sign_up(mail_after_commit, client)
    link = CONFIRM_LINK.search(mail.outbox[0].body).group(1)

    fresh = Client()
    response = fresh.post("/accounts/login/", {"login": "newbie@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert not signed_in(fresh)

    page = fresh.get(link)
    assert page.status_code == 200
    assert "newbie@example.org" in page.content.decode()
    response = fresh.post(link)
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="newbie@example.org").verified

    later = Client()
    response = later.post("/accounts/login/", {"login": "newbie@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    assert signed_in(later)
    assert later.get("/accounts/profile/").status_code == 200


def test_a_forged_confirmation_link_confirms_nothing(client, mail_after_commit):
    _sign_up(mail_after_commit, client)
    response = client.post("/accounts/confirm-email/not-a-real-key/")
    assert response.status_code in (200, 404)
    assert not EmailAddress.objects.get(email="newbie@example.org").verified


def test_password_reset_end_to_end(client, activist, mail_after_commit):
    response = mail_after_commit(client, "/accounts/password/reset/", {"email": activist.email})
    assert response["Location"] == "/accounts/password/reset/done/"
    row = OutboundEmail.objects.get(to=activist.email)
    assert row.kind == "account.password_reset_key"
    assert row.status == EmailStatus.SENT
    link = RESET_LINK.search(mail.outbox[0].body).group(1)

    set_password_page = client.get(link)
    assert set_password_page.status_code == 302  # allauth moves the key out of the address
    form_url = set_password_page["Location"]
    assert client.get(form_url).status_code == 200
    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/key/done/"

    assert not Client().login(email=activist.email, password=PASSWORD)
    fresh = Client()
    fresh.post("/accounts/login/", {"login": activist.email, "password": NEW_PASSWORD})
    assert signed_in(fresh)
    # The link works once.
    assert "This link no longer works" in client.get(link, follow=True).content.decode()


# --- Nothing tells a stranger which addresses have accounts -------------------------------------


def test_password_reset_answers_the_same_for_known_and_unknown_addresses(activist, mail_after_commit):
    known = mail_after_commit(Client(), "/accounts/password/reset/", {"email": activist.email})
    unknown = mail_after_commit(Client(), "/accounts/password/reset/", {"email": "nobody@example.org"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    # Both addresses get a mail; only the account holder's carries a reset link.
    assert sorted(row.to for row in OutboundEmail.objects.all()) == [activist.email, "nobody@example.org"]
    unknown_mail = next(m for m in mail.outbox if m.to == ["nobody@example.org"])
    assert not RESET_LINK.search(unknown_mail.body)


def test_signing_up_with_a_taken_address_looks_like_a_fresh_sign_up(activist, mail_after_commit):
    fresh = _sign_up(mail_after_commit, Client(), email="someone-new@example.org")
    taken = _sign_up(mail_after_commit, Client(), email=activist.email, password="yet-another-passphrase-9")
    assert (fresh.status_code, fresh["Location"]) == (taken.status_code, taken["Location"])
    assert User.objects.filter(email=activist.email).count() == 1
    # The holder of the taken address is told by mail, not the person at the keyboard.
    assert OutboundEmail.objects.get(to=activist.email).kind == "account.account_already_exists"


def test_login_fails_the_same_way_for_an_unknown_address_and_a_wrong_password(activist):
    wrong_password = Client().post("/accounts/login/", {"login": activist.email, "password": "not-the-password-1"})
    unknown = Client().post("/accounts/login/", {"login": "nobody@example.org", "password": "not-the-password-1"})
    assert wrong_password.status_code == unknown.status_code == 200
    assert wrong_password.context["form"].errors == unknown.context["form"].errors
    assert wrong_password.context["form"].errors["__all__"] == [
        "The email address and/or password you specified are not correct."
    ]


# --- Password rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short-pw1", "This password is too short. It must contain at least 10 characters."),
        ("password123", "This password is too common."),
        ("1234567890", "This password is entirely numeric."),
    ],
)
def test_weak_passwords_are_refused_at_sign_up(client, password, message):
    response = client.post(
        "/accounts/signup/", {"email": "weak@example.org", "password1": password, "password2": password}
    )
    assert response.status_code == 200
    assert message in response.context["form"].errors["password1"]
    assert not User.objects.filter(email="weak@example.org").exists()
    assert not OutboundEmail.objects.exists()


def test_a_weak_new_password_is_refused_on_change(client, activist):
    client.force_login(activist)
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": "password", "password2": "password"},
    )
    assert response.status_code == 200
    assert "This password is too short. It must contain at least 10 characters." in response.content.decode()
    activist.refresh_from_db()
    assert activist.check_password(PASSWORD)


# --- Sessions end on password change -----------------------------------------------------------


def _sign_in(email: str, password: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"login": email, "password": password})
    assert response.status_code == 302
    return client


def test_changing_the_password_ends_every_session(activist):
    laptop = _sign_in(activist.email, PASSWORD)
    phone = _sign_in(activist.email, PASSWORD)
    assert phone.get("/accounts/profile/").status_code == 200

    response = laptop.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302

    assert phone.get("/accounts/profile/")["Location"].startswith("/accounts/login/")
    assert laptop.get("/accounts/profile/")["Location"].startswith("/accounts/login/")  # LOGOUT_ON_PASSWORD_CHANGE
    assert _sign_in(activist.email, NEW_PASSWORD).get("/accounts/profile/").status_code == 200


def test_resetting_the_password_ends_other_sessions(activist, mail_after_commit):
    phone = _sign_in(activist.email, PASSWORD)
    stranger = Client()
    mail_after_commit(stranger, "/accounts/password/reset/", {"email": activist.email})
    form_url = stranger.get(RESET_LINK.search(mail.outbox[0].body).group(1))["Location"]
    stranger.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert phone.get("/accounts/profile/")["Location"].startswith("/accounts/login/")
