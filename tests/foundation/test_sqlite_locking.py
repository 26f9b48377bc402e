"""Two processes writing one SQLite file take turns instead of failing (the embedded default).

A transaction that reads before it writes (a beat tick claiming reminders, a worker leasing a
newsletter chunk) starts in SQLite as a reader. If another connection took the write lock in
the meantime, the reader can never become the writer without a deadlock, so SQLite answers
"database is locked" at once, whatever the busy timeout. That is how the broker-outage test
(tests/trust/test_broker_down.py) failed now and then on SQLite: its beat ticks in the test
process and its Celery worker process both write the test database. ``transaction_mode``
IMMEDIATE takes the write lock when the transaction begins, where SQLite does wait; WAL
lets readers go on while one connection writes.

On PostgreSQL (CI) none of this applies: row locks, no file lock.
"""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from django.contrib.sites.models import Site
from django.db import connection, transaction
from django.db.models import F

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's file lock only")


def _other_process_writes(path: str, started: threading.Event, outcome: list) -> None:
    """What the worker process does: one short write transaction of its own."""
    other = sqlite3.connect(path, timeout=20, isolation_level=None)
    try:
        started.set()
        other.execute("BEGIN")
        other.execute("UPDATE django_site SET name = name WHERE id = 1")
        other.execute("COMMIT")
        outcome.append("committed")
    except sqlite3.OperationalError as exc:
        outcome.append(str(exc))
    finally:
        other.close()


def test_a_transaction_that_reads_then_writes_waits_for_another_writer_instead_of_failing(transactional_db):
    path = connection.settings_dict["NAME"]
    assert path and "memory" not in str(path), "the test database must be a file another process can open"
    started = threading.Event()
    outcome: list = []
    with transaction.atomic():
        assert Site.objects.filter(pk=1).exists()  # this transaction reads first ...
        writer = threading.Thread(target=_other_process_writes, args=(str(path), started, outcome))
        writer.start()
        started.wait(5)
        time.sleep(0.5)  # ... the other connection asks for the write lock meanwhile ...
        Site.objects.filter(pk=1).update(name=F("name"))  # ... and then this one writes.
    writer.join(30)
    assert outcome == ["committed"]


def test_the_database_file_is_in_wal_mode(transactional_db):
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
