"""A chunk's PostgreSQL session setting (``synchronous_commit`` off while it marks deliveries)
never stays behind on the worker's connection, however the chunk ends (``imc.db.session_setting``).
"""

from __future__ import annotations

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from imc.db import session_setting
from newsletter import services
from newsletter.models import Delivery, Newsletter, NewsletterStatus, SendChunk
from tests.newsletter.helpers import compose


def _show(name: str = "synchronous_commit") -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


def _prepared_statements() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        return cursor.fetchone()[0]


def _needs_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL session settings (CI runs this on PostgreSQL).")


class UnreachableBackend(BaseEmailBackend):
    """A mail backend that cannot even be made: the chunk fails before its first message."""

    def __init__(self, *args, **kwargs) -> None:
        raise ConnectionRefusedError("no mail server")


@pytest.mark.django_db(transaction=True)
def test_a_chunk_that_fails_leaves_its_connections_session_settings_as_they_were(bob, settings):
    """Autocommit, as on a Celery worker: the failure leaves the same connection at its defaults."""
    _needs_postgresql()
    assert _show() == "on"
    statements = _prepared_statements()
    newsletter = compose()
    Newsletter.objects.filter(pk=newsletter.pk).update(status=NewsletterStatus.SENDING, prepared=True)
    Delivery.objects.create(newsletter=newsletter, subscriber=bob, chunk=0)
    chunk = SendChunk.objects.create(newsletter=newsletter, number=0, size=1, queued_at=timezone.now())
    settings.EMAIL_BACKEND = f"{__name__}.UnreachableBackend"
    with pytest.raises(ConnectionRefusedError):
        services.chunk_send(chunk_id=chunk.pk)
    assert _show() == "on"
    assert _prepared_statements() == statements


@pytest.mark.django_db(transaction=True)
def test_an_error_inside_the_block_puts_the_setting_back_on_the_same_connection():
    _needs_postgresql()
    backend = connection.connection
    with pytest.raises(RuntimeError), session_setting("synchronous_commit", "off"):
        assert _show() == "off"
        raise RuntimeError("the work failed")
    assert _show() == "on" and connection.connection is backend
    # A database error inside the block too (autocommit: the connection stays usable).
    with (
        pytest.raises(Exception, match="division by zero"),
        session_setting("synchronous_commit", "off"),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT 1 / 0")
    assert _show() == "on" and connection.connection is backend


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_the_setting_lasts_for_the_block_and_never_past_the_transaction():
    _needs_postgresql()
    with transaction.atomic():
        with session_setting("synchronous_commit", "off"):
            assert _show() == "off"
        assert _show() == "on"  # the rest of the transaction runs with the default again
    with pytest.raises(RuntimeError), transaction.atomic(), session_setting("synchronous_commit", "off"):
        raise RuntimeError("rolled back")
    assert _show() == "on"


@pytest.mark.django_db
def test_on_sqlite_the_block_runs_without_touching_the_database():
    if connection.vendor == "postgresql":
        pytest.skip("The SQLite case.")
    with CaptureQueriesContext(connection) as queries, session_setting("synchronous_commit", "off"):
        pass
    assert len(queries) == 0
