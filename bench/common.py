"""What more than one benchmark needs: the calendar they seed on top of the groups data."""

from __future__ import annotations

# Published town halls hosted by the approved groups in turn, one an hour from tomorrow on, each
# in a town of its own; slugs load-<n>. One parameter: how many.
EVENTS_INSERT = """
    WITH g AS (SELECT array_agg(id ORDER BY id) ids, array_agg(district_id ORDER BY id) ds, count(*) n
               FROM groups_group WHERE status = 'approved'),
         t AS (SELECT array_agg(id ORDER BY id) ids, count(*) n FROM districts_town)
    INSERT INTO events_event (slug, title, event_type, starts_at, ends_at, is_online, join_url, venue,
        address, host_group_id, town_id, district_id, description, accessibility, accessibility_notes,
        capacity, status, sequence, remind_day_before, remind_two_hours, created_at, updated_at)
    SELECT 'load-' || i, 'Town hall ' || i, 'town_hall',
           now() + interval '1 day' + (i %% 2000) * interval '1 hour',
           now() + interval '1 day' + (i %% 2000) * interval '1 hour' + interval '2 hours',
           false, '', 'Public library', '', g.ids[1 + i %% g.n], t.ids[1 + i %% t.n], g.ds[1 + i %% g.n],
           'A **load test** event.', '[]'::jsonb, '', 100, 'published', 0, true, true, now(), now()
    FROM generate_series(1, %s) i, g, t
"""

# The national scale of the groups benchmark, on whose database bench/load runs.
NATIONAL_GROUPS = 6_000

# Five events for every six groups: 5,000 at national scale (6,000 groups), 50 at 60 groups.
EVENTS_PER_GROUP = 5 / 6


def seed_events(cursor, count: int) -> None:
    """Replace the benchmark calendar by ``count`` events (events of other origins are kept)."""
    cursor.execute("DELETE FROM events_event WHERE slug LIKE 'load-%%'")
    cursor.execute(EVENTS_INSERT, [count])


def machine(database_version: str | None = None) -> str:
    """One line on what ran the benchmark: OS, CPU model and count, Python, load, PostgreSQL."""
    import os
    import platform
    from pathlib import Path

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    parts = [
        f"{platform.system()} {platform.release()}",
        f"{cpu}, {os.cpu_count()} CPUs",
        f"Python {platform.python_version()}",
        f"load average {os.getloadavg()[0]:.2f} when this line was written",
    ]
    if database_version:
        parts.append(f"PostgreSQL {database_version}")
    return ", ".join(parts)


def recreate_database(url: str) -> None:
    """Drop the PostgreSQL database ``url`` names and create it empty (a benchmark's own)."""
    from urllib.parse import urlparse

    import psycopg2

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = psycopg2.connect(
        host=parsed.hostname,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
