"""Every account page (allauth's, restyled) renders inside the portal's own layout."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.test import Client
from django.urls import reverse

from accounts.mfa import totp_ensure
from tests.conftest import PASSWORD, STAFF_TOTP_SECRET

pytestmark = pytest.mark.django_db


def assert_styled(response, *, form: bool = True) -> str:
    assert response.status_code == 200, response
    page = response.content.decode()
    assert '<nav class="navbar navbar-expand-lg navbar-dark bg-imc" aria-label="Main">' in page
    assert "vendor/bootstrap/bootstrap.min.css" in page
    assert "allauth-page" in page
    assert "Indivisible Mass Coalition</title>" in page
    assert "Menu:" not in page  # allauth's bare default layout
    if form:
        assert "form-control" in page or "btn btn-" in page
    return page


def _member_client(user, *, reauthenticated: bool = False) -> Client:
    client = Client()
    assert client.post("/accounts/login/", {"login": user.email, "password": PASSWORD}).status_code == 302
    if reauthenticated:
        client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    return client


@pytest.mark.parametrize(
    "name",
    [
        "account_login",
        "account_signup",
        "account_reset_password",
        "account_reset_password_done",
        "account_email_verification_sent",
        "account_inactive",
    ],
)
def test_visitor_pages_render_styled(client, name):
    assert_styled(client.get(reverse(name)), form=name in {"account_login", "account_signup", "account_reset_password"})


def test_login_and_signup_forms_go_through_crispy_bootstrap(client):
    for name in ("account_login", "account_signup"):
        page = assert_styled(client.get(reverse(name)))
        assert "form-control" in page
        assert 'class="form-label' in page
        assert 'class="btn btn-primary"' in page


def test_the_confirm_email_page_renders_styled(client, activist):
    address = EmailAddress.objects.get(user=activist)
    address.verified = False
    address.save()
    key = EmailConfirmationHMAC(address).key
    page = assert_styled(client.get(reverse("account_confirm_email", args=[key])))
    assert activist.email in page


def test_an_invalid_reset_link_renders_styled(client):
    page = assert_styled(client.get("/accounts/password/reset/key/0-bad-key/", follow=True), form=False)
    assert "This link no longer works" in page


@pytest.mark.parametrize(
    "name",
    ["account_change_password", "account_email", "account_logout", "account_reauthenticate", "mfa_index"],
)
def test_member_pages_render_styled(activist, name):
    assert_styled(_member_client(activist).get(reverse(name)))


def test_the_authenticator_setup_page_renders_styled_with_its_qr_code(activist):
    page = assert_styled(_member_client(activist, reauthenticated=True).get(reverse("mfa_activate_totp")))
    assert 'src="data:image/svg+xml;base64,' in page


def test_the_pages_of_a_member_with_an_authenticator_render_styled(activist):
    totp_ensure(user=activist, secret=STAFF_TOTP_SECRET)
    client = Client()
    response = client.post("/accounts/login/", {"login": activist.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    assert_styled(client.get(reverse("mfa_authenticate")))


def test_mfa_management_pages_render_styled(staff_client_factory, activist):
    client = staff_client_factory(activist)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    RecoveryCodes.activate(activist)
    for name in ("mfa_index", "mfa_reauthenticate", "mfa_deactivate_totp", "mfa_view_recovery_codes"):
        assert_styled(client.get(reverse(name)))
