"""The admin opens to staff only after a second factor (TOTP) in this very session."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from accounts.mfa import totp_ensure
from tests.accounts.conftest import totp_code
from tests.conftest import PASSWORD, STAFF_TOTP_SECRET

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_a_visitor_is_sent_to_the_sites_login_not_the_admins(client):
    response = client.get("/admin/districts/district/")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=%2Fadmin%2Fdistricts%2Fdistrict%2F"


def test_the_admin_login_page_redirects_to_allauths_login_keeping_next(client):
    response = client.get("/admin/login/?next=/admin/outbox/")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=%2Fadmin%2Foutbox%2F"


def test_posting_a_password_to_the_admin_login_signs_nobody_in(client, coordinator):
    response = client.post("/admin/login/", {"username": coordinator.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert SESSION_KEY not in client.session


def test_the_admin_login_is_rate_limited_like_the_sites(client, coordinator):
    """Five wrong passwords for one address, then even the right one is refused for a while."""
    for _ in range(5):
        response = client.post(LOGIN, {"login": coordinator.email, "password": "wrong-password-123"})
        assert response.status_code == 200
    response = client.post(LOGIN, {"login": coordinator.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "Too many failed login attempts. Try again later." in response.content.decode()
    assert SESSION_KEY not in client.session


def test_a_member_who_is_not_staff_gets_no_admin(client, activist):
    client.force_login(activist)
    response = client.get("/admin/")
    assert response.status_code == 403
    assert "The admin is for district reps and coordinators." in response.content.decode()
    assert 'aria-label="Main"' in response.content.decode()  # the site's own 403 page
    assert client.get("/admin/accounts/user/").status_code == 403


def test_staff_without_an_authenticator_are_sent_to_set_one_up(client, rep_ma3):
    client.force_login(rep_ma3)
    response = client.get("/admin/", follow=False)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    page = client.get(response["Location"], follow=True)
    assert "must use two-factor authentication" in page.content.decode()


def test_staff_with_an_authenticator_but_no_code_this_session_are_asked_for_one(client, coordinator):
    totp_ensure(user=coordinator, secret=STAFF_TOTP_SECRET)
    client.force_login(coordinator)  # a session that never saw a TOTP code
    response = client.get("/admin/districts/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('mfa_reauthenticate')}?next=%2Fadmin%2Fdistricts%2F"


def test_after_a_password_and_a_totp_code_the_admin_opens(client, coordinator):
    totp_ensure(user=coordinator, secret=STAFF_TOTP_SECRET)
    response = client.post(LOGIN, {"login": coordinator.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    # Half-way through the login nothing opens yet.
    assert client.get("/admin/")["Location"].startswith(LOGIN)
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    assert SESSION_KEY not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(STAFF_TOTP_SECRET)})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_totp_code_on_the_reauthenticate_page_opens_the_admin(client, rep_ma3):
    totp_ensure(user=rep_ma3, secret=STAFF_TOTP_SECRET)
    client.force_login(rep_ma3)
    asked = client.get("/admin/")["Location"]
    response = client.post(asked, {"code": totp_code(STAFF_TOTP_SECRET)})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def _sign_in_and_open_totp_setup(client, user) -> None:
    response = client.post(LOGIN, {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302  # no authenticator yet: the password alone signs in
    assert client.get("/admin/")["Location"] == reverse("mfa_activate_totp")
    # allauth asks for the password once more before a second factor can be added.
    asked = client.get(reverse("mfa_activate_totp"))["Location"]
    assert asked.startswith(reverse("account_reauthenticate"))
    assert client.post(asked, {"password": PASSWORD})["Location"] == reverse("mfa_activate_totp")
    assert client.get(reverse("mfa_activate_totp")).status_code == 200


# allauth announces a new authenticator once its transaction commits: a real commit is needed.
@pytest.mark.django_db(transaction=True)
def test_setting_up_an_authenticator_counts_as_this_sessions_second_factor(client, rep_ma3):
    _sign_in_and_open_totp_setup(client, rep_ma3)
    secret = client.session[SECRET_SESSION_KEY]
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=rep_ma3, type=Authenticator.Type.TOTP).exists()
    assert client.get("/admin/").status_code == 200


def test_a_wrong_code_while_setting_up_keeps_the_admin_closed(client, rep_ma3):
    _sign_in_and_open_totp_setup(client, rep_ma3)
    response = client.post(reverse("mfa_activate_totp"), {"code": "123456"})
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert not Authenticator.objects.filter(user=rep_ma3).exists()
    assert client.get("/admin/")["Location"] == reverse("mfa_activate_totp")


@pytest.mark.parametrize("cast", ["coordinator", "rep_ma3"])
def test_the_staff_client_fixture_opens_the_admin(request, staff_client_factory, cast):
    client = staff_client_factory(request.getfixturevalue(cast))
    assert client.get("/admin/").status_code == 200


def test_the_staff_client_fixture_gives_a_member_no_admin(staff_client_factory, activist):
    assert staff_client_factory(activist).get("/admin/").status_code == 403


def test_signing_out_of_the_admin_is_allowed_without_a_second_factor(client, rep_ma3):
    client.force_login(rep_ma3)
    response = client.post("/admin/logout/")
    assert response.status_code in (200, 302)
    assert SESSION_KEY not in client.session
