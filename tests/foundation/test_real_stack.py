"""The real parts work together: a Celery worker process on Redis, the outbox, SMTP on loopback."""

import pytest
from django.db import transaction

from imc.tasks import ping
from outbox.models import EmailStatus, OutboundEmail
from outbox.services import email_queue

pytestmark = pytest.mark.realstack


def test_a_real_worker_process_takes_a_task_from_redis_and_answers(worker_factory):
    worker_factory()
    result = ping.delay()
    assert result.get(timeout=60) == "pong"


def test_an_owed_email_is_a_row_first_and_the_worker_delivers_it_once(worker_factory, smtp_server):
    worker_factory(smtp_server)
    with transaction.atomic():
        email = email_queue(kind="test.hello", to="bob@example.org", subject="Hello", body_text="Hi Bob")
        assert OutboundEmail.objects.get(pk=email.pk).status == EmailStatus.QUEUED
    received = smtp_server.wait_for(1)
    assert [m.recipients for m in received] == [["bob@example.org"]]
    assert received[0].subject == "Hello"
    email.refresh_from_db()
    for _ in range(50):
        if email.status == EmailStatus.SENT:
            break
        import time

        time.sleep(0.1)
        email.refresh_from_db()
    assert email.status == EmailStatus.SENT
