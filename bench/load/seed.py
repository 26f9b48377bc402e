"""Give the national-scale groups data a calendar: 5,000 published events hosted by its groups.

Run by bench/load/run.py with the benchmark's DATABASE_URL; idempotent. The groups benchmark
seeds the same calendar (bench/common.py), so after it this does nothing.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imc.settings")

import django

django.setup()

from django.db import connection  # noqa: E402

from bench.common import EVENTS_PER_GROUP, NATIONAL_GROUPS, seed_events  # noqa: E402

SEED_EVENTS = round(NATIONAL_GROUPS * EVENTS_PER_GROUP)  # 5,000, as the groups benchmark seeds


def main() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM events_event WHERE slug LIKE 'load-%%'")
        if cursor.fetchone()[0] >= SEED_EVENTS:
            return
        seed_events(cursor, SEED_EVENTS)
        # Fresh statistics, or the planner takes the new calendar for empty.
        cursor.execute("VACUUM ANALYZE")
    print(f"seeded {SEED_EVENTS} events")


if __name__ == "__main__":
    main()
