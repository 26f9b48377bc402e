"""Give the national-scale groups data a calendar: 5,000 published events hosted by its groups.

Run by bench/load/run.py with the benchmark's DATABASE_URL; idempotent.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imc.settings")

import django

django.setup()

from django.db import connection  # noqa: E402

SEED_EVENTS = 5_000

INSERT = """
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


def main() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM events_event WHERE slug LIKE 'load-%%'")
        if cursor.fetchone()[0] >= SEED_EVENTS:
            return
        cursor.execute("DELETE FROM events_event WHERE slug LIKE 'load-%%'")
        cursor.execute(INSERT, [SEED_EVENTS])
        # Fresh statistics, or the planner takes the new calendar for empty.
        cursor.execute("VACUUM ANALYZE")
    print(f"seeded {SEED_EVENTS} events")


if __name__ == "__main__":
    main()
