"""/healthz tells a load balancer whether the database and the broker answer."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from tests import realstack

pytestmark = pytest.mark.django_db


@pytest.mark.realstack
def test_healthz_is_200_when_database_and_redis_answer(client, settings):
    settings.REDIS_URL = realstack.redis_url()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok", "failed": []}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_on_the_embedded_default_says_there_is_no_broker(client, settings):
    settings.REDIS_URL = None
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["broker"] == "eager (no broker configured)"


def test_healthz_is_503_naming_the_broker_when_redis_is_unreachable(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{realstack.free_port()}/0"  # nothing listens there
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "broker": "unreachable", "failed": ["broker"]}


class _BrokenConnection:
    def cursor(self):
        raise OperationalError("could not connect to server: Connection refused")


def test_healthz_is_503_naming_the_database_when_it_fails(client, settings, monkeypatch):
    settings.REDIS_URL = None
    monkeypatch.setattr("portal.views.connection", _BrokenConnection())
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["database"]
    assert body["database"] == "unreachable"
