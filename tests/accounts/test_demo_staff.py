"""The demo staff accounts of seed_demo come with the TOTP secret the README gives."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, demo_email
from accounts.models import User
from tests.accounts.conftest import totp_code

pytestmark = pytest.mark.django_db


def test_every_demo_staff_account_has_one_totp_authenticator_even_after_two_runs():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    staff = User.objects.filter(email__endswith="@" + settings.DEMO_EMAIL_DOMAIN, is_staff=True)
    assert staff.count() == 10  # the coordinator and nine reps
    for user in staff:
        assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).count() == 1
    assert not Authenticator.objects.filter(user__email=demo_email("activist")).exists()


def test_the_demo_coordinator_opens_the_admin_with_the_readme_secret():
    call_command("seed_demo", stdout=io.StringIO())
    assert DEMO_TOTP_SECRET in (Path(__file__).resolve().parents[2] / "README.md").read_text()
    client = Client()
    response = client.post("/accounts/login/", {"login": demo_email("coordinator"), "password": DEMO_PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    client.post(reverse("mfa_authenticate"), {"code": totp_code(DEMO_TOTP_SECRET)})
    assert client.get("/admin/").status_code == 200


def test_the_demo_totp_command_prints_the_current_code():
    out = io.StringIO()
    before = totp_code(DEMO_TOTP_SECRET)
    call_command("demo_totp", stdout=out)
    assert out.getvalue().split()[0] in {before, totp_code(DEMO_TOTP_SECRET)}  # a period may end between
