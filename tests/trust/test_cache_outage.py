"""With its Redis away, the cache reads as empty and the forms that count attempts in it still work.

These need no Redis at all: the cache points at a loopback port where nothing listens.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache

from outbox.models import OutboundEmail
from tests.conftest import PASSWORD
from tests.realstack import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def dead_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "imc.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def test_an_unreachable_cache_is_a_miss_not_an_error():
    assert cache.get("key", "fallback") == "fallback"
    assert cache.add("key", 1) is True  # allauth's lock must not spin
    assert cache.set("key", 1) is None
    assert cache.get_or_set("key", 5) == 5
    assert cache.incr("key") == 1
    assert cache.get_many(["a", "b"]) == {}
    assert cache.delete("key") is False


def test_sign_up_login_and_subscribe_work_while_the_cache_is_down(client, activist):
    signup = client.post(
        "/accounts/signup/", {"email": "newbie@example.org", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert signup.status_code == 302
    assert OutboundEmail.objects.filter(to="newbie@example.org").count() == 1
    login = client.post("/accounts/login/", {"login": activist.email, "password": PASSWORD})
    assert login.status_code == 302
    subscribe = client.post("/newsletter/", {"email": "reader@example.org", "source": "page"})
    assert subscribe.status_code == 302
    assert OutboundEmail.objects.filter(to="reader@example.org", kind="newsletter.confirm").count() == 1
