"""Sign-up must not tell, by how long it takes, whether an address already has an account.

A new address costs one password hash (the new account's); a taken one used to cost none, so the
answer came three times faster (64-120 ms against 244-444 ms with PBKDF2). Both paths now hash the
submitted password once, with the same hasher.
"""

from __future__ import annotations

import statistics
import time
from unittest import mock

import pytest
from django.contrib.auth.hashers import get_hasher
from django.core.cache import cache
from django.test import Client

from accounts.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _sign_up(email: str) -> None:
    response = Client().post("/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD})
    # The same answer either way (tests/accounts/test_signup_and_login.py checks the mail).
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"


def _hashes_during(email: str) -> int:
    hasher = type(get_hasher())
    with mock.patch.object(hasher, "encode", autospec=True, side_effect=hasher.encode) as encode:
        _sign_up(email)
    return encode.call_count


def test_a_taken_address_costs_the_same_password_hashing_as_a_new_one(activist):
    new = _hashes_during("newcomer@example.org")
    taken = _hashes_during(activist.email)
    assert User.objects.filter(email="newcomer@example.org").exists()
    assert new == 1
    assert taken == new


def test_a_taken_address_costs_the_same_hashing_whatever_its_case(activist):
    assert _hashes_during(activist.email.upper()) == 1


def test_with_the_real_hasher_a_taken_and_a_new_address_take_about_as_long(settings, activist):
    """One modest timing check with the production hasher (PBKDF2): the medians of a few
    interleaved sign-ups are within 30% of each other (before the fix they were 3x apart)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    _sign_up("warm-up@example.org")  # the first request loads templates and URL patterns
    taken, new = [], []
    for n in range(5):
        cache.clear()  # allauth's sign-up rate limit counts per IP
        for email, times in ((activist.email, taken), (f"new-{n}@example.org", new)):
            start = time.perf_counter()
            _sign_up(email)
            times.append(time.perf_counter() - start)
    taken_median, new_median = statistics.median(taken), statistics.median(new)
    assert abs(taken_median - new_median) <= 0.3 * max(taken_median, new_median), (taken, new)
