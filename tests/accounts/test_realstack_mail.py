"""Account mail on the real stack: Redis, a Celery worker process, SMTP on loopback."""

from __future__ import annotations

import time

import pytest
from allauth.account.models import EmailAddress

from outbox.models import EmailStatus, OutboundEmail
from tests.accounts.test_signup_and_login import CONFIRM_LINK, RESET_LINK
from tests.conftest import PASSWORD

pytestmark = pytest.mark.realstack


def _wait_sent(count: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if OutboundEmail.objects.filter(status=EmailStatus.SENT).count() >= count:
            return
        time.sleep(0.1)
    raise AssertionError(list(OutboundEmail.objects.values("kind", "status", "last_error")))


def test_a_sign_up_confirmation_goes_through_a_real_worker_and_the_link_works(worker_factory, smtp_server, client):
    worker_factory(smtp_server)
    response = client.post(
        "/accounts/signup/", {"email": "newbie@example.org", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302
    [received] = smtp_server.wait_for(1)
    assert received.recipients == ["newbie@example.org"]
    link = CONFIRM_LINK.search(received.text()).group(1)
    _wait_sent(1)
    assert client.post(link).status_code == 302
    assert EmailAddress.objects.get(email="newbie@example.org").verified


def test_a_password_reset_mail_arrives_once(worker_factory, smtp_server, client, activist):
    worker_factory(smtp_server)
    client.post("/accounts/password/reset/", {"email": activist.email})
    [received] = smtp_server.wait_for(1)
    assert RESET_LINK.search(received.text())
    _wait_sent(1)
    time.sleep(1)
    assert len(smtp_server.messages) == 1
