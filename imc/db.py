"""Database helpers below every app: PostgreSQL run-time settings held for one block of work.

A worker's database connection outlives the task that used it (Django keeps it, and a pooler in
front of PostgreSQL hands it on), so a setting changed for one job must never stay behind on it:
``session_setting`` puts it back however the block ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections


@contextmanager
def session_setting(name: str, value: str, *, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Run the block with the PostgreSQL setting ``name`` at ``value``; elsewhere, do nothing.

    Inside a transaction the setting is ``SET LOCAL``: it can never outlive that transaction,
    committed or rolled back, and is put back at the end of the block when the block ends
    normally (after an error the transaction is rolled back anyway). Outside one (autocommit, as
    in a Celery task) it is set for the session and put back to its previous value in
    ``finally``; if even that fails (the connection broke), the connection is closed, so that
    nothing reuses it with the setting still on.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    local = connection.in_atomic_block
    with connection.cursor() as cursor:
        # set_config takes parameters, unlike SET; its third argument is SET LOCAL's "local".
        cursor.execute("SELECT current_setting(%s), set_config(%s, %s, %s)", [name, name, value, local])
        previous = cursor.fetchone()[0]
    if local:
        yield
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, true)", [name, previous])
        return
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, %s, false)", [name, previous])
        except Exception:
            connection.close()
            raise
