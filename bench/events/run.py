"""Events benchmark: the reminder beat tick and the event listing at two scales, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/imc_events REDIS_URL=redis://127.0.0.1:6379/4 \\
        .venv/bin/python bench/events/run.py          (or: make bench-events)

WARNING: it empties the events tables (events, RSVPs, reminders) of the database it is pointed
at, and adds users named bench-*@bench.invalid. Use a database of its own.

For each scale (1/100 first, then full: 50,000 events and 2,000,000 pending reminders, i.e.
1,000,000 RSVPs of 20 per event), in the same run:
- one beat tick that finds nothing due (median of 30);
- one beat tick that claims 1,000 due reminders (median of 5; each time 1,000 fresh rows are
  made due), handing the batches to Redis when REDIS_URL is set (purged afterwards), and the
  same without publishing (the database work alone);
- the query count and median time of GET /events/?zip=01852&distance=25 (Django test client,
  median of 30 after 3 warm-up requests).
Data is seeded with INSERT ... SELECT generate_series, not the ORM.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imc.settings")
# Measure the listing's rendering: the anonymous page cache (imc.pagecache) would answer from
# the cache instead.
os.environ["PAGE_CACHE_SECONDS"] = "0"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from events import reminders  # noqa: E402
from events.models import EventType  # noqa: E402

RSVPS_PER_EVENT = 20
EVENT_TYPES = "ARRAY[" + ",".join(f"'{t}'" for t in EventType.values) + "]"
LISTING_URL = "/events/?zip=01852&distance=25"


def sql(statement: str, params: tuple = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def scalar(statement: str, params: tuple = ()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchone()[0]


def reset() -> None:
    sql(
        "TRUNCATE events_reminder, events_rsvp, events_event_co_hosts, events_membercalendar, events_event, "
        "events_eventseries RESTART IDENTITY CASCADE"
    )
    sql("DELETE FROM accounts_user WHERE email LIKE 'bench-%%@bench.invalid'")


def seed(events: int, pending_reminders: int) -> None:
    rsvps = pending_reminders // 2
    per_event = rsvps // events
    users = max(per_event, rsvps // 50)  # each bench member RSVPs about 50 events
    # The rows are consistent by construction: skip the per-row foreign key triggers while seeding.
    sql("SET session_replication_role = replica")
    sql(
        "INSERT INTO accounts_user (password, is_superuser, first_name, last_name, is_staff, is_active, "
        "date_joined, email) SELECT '!', false, 'Bench', g::text, false, true, now(), "
        "'bench-' || g || '@bench.invalid' FROM generate_series(1, %s) g",
        (users,),
    )
    first_user = scalar("SELECT min(id) FROM accounts_user WHERE email LIKE 'bench-%%@bench.invalid'")
    # Events over the next year, in every town; 90% published, 5% drafts, 5% cancelled.
    sql(
        f"""
        WITH towns AS (
            SELECT array_agg(id ORDER BY id) AS ids, array_agg(primary_district_id ORDER BY id) AS districts,
                   count(*) AS n FROM districts_town
        ), rows AS (
            SELECT g, 1 + (g * 7919) %% towns.n AS t,
                   now() + interval '2 days' + ((g::bigint * 104729) %% 525600) * interval '1 minute' AS starts_at,
                   towns.ids, towns.districts
            FROM generate_series(1, %s) g, towns
        )
        INSERT INTO events_event (slug, title, event_type, starts_at, ends_at, is_online, join_url, venue, address,
            town_id, district_id, description, accessibility, accessibility_notes, capacity, status, sequence,
            remind_day_before, remind_two_hours, created_at, updated_at)
        SELECT 'bench-' || g, 'Bench event ' || g, ({EVENT_TYPES})[1 + g %% 10], starts_at,
            starts_at + interval '2 hours', g %% 7 = 0, '', 'Library', '', ids[t], districts[t], 'Bench.',
            CASE WHEN g %% 3 = 0 THEN '["wheelchair"]'::jsonb ELSE '[]'::jsonb END, '',
            CASE WHEN g %% 2 = 0 THEN 50 END,
            CASE WHEN g %% 20 = 0 THEN 'draft' WHEN g %% 20 = 1 THEN 'cancelled' ELSE 'published' END,
            0, true, true, now(), now()
        FROM rows
        """,
        (events,),
    )
    sql(
        """
        INSERT INTO events_rsvp (event_id, user_id, status, status_changed_at, created_at)
        SELECT e.id, %s + ((e.id * 7 + k) %% %s), 'going', now(), now()
        FROM events_event e, generate_series(0, %s - 1) k
        """,
        (first_user, users, per_event),
    )
    # Two pending reminders per RSVP, all due later (the day before, and two hours before).
    sql(
        """
        INSERT INTO events_reminder (rsvp_id, kind, due_at, status, skip_reason)
        SELECT r.id, kind, CASE kind WHEN 'day_before' THEN e.starts_at - interval '1 day'
                                     ELSE e.starts_at - interval '2 hours' END, 'pending', ''
        FROM events_rsvp r JOIN events_event e ON e.id = r.event_id,
             unnest(ARRAY['day_before', 'two_hours']) kind
        """
    )
    sql("SET session_replication_role = DEFAULT")
    sql("VACUUM ANALYZE events_event")
    sql("VACUUM ANALYZE events_rsvp")
    sql("VACUUM ANALYZE events_reminder")
    sql("ANALYZE accounts_user")


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def time_empty_tick(runs: int = 30) -> tuple[float, int]:
    samples, claimed = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        claimed += reminders.reminders_tick()
        samples.append(time.perf_counter() - started)
    return median_ms(samples), claimed


def time_due_tick(runs: int = 5, due: int = 1000, publish: bool = True) -> tuple[float, list[int]]:
    samples, claimed = [], []
    # The tick writes each reminder's email to the outbox; without publishing, no batch is queued.
    real_dispatch = reminders.emails_queue_batch
    if not publish:
        reminders.emails_queue_batch = lambda **kwargs: None
    for _ in range(runs):
        sql(
            "UPDATE events_reminder SET due_at = now() - interval '1 minute' WHERE id IN ("
            "SELECT id FROM events_reminder WHERE status = 'pending' ORDER BY id LIMIT %s)",
            (due,),
        )
        started = time.perf_counter()
        claimed.append(reminders.reminders_tick())
        samples.append(time.perf_counter() - started)
    reminders.emails_queue_batch = real_dispatch
    return median_ms(samples), claimed


def time_listing(runs: int = 30) -> tuple[float, int, int]:
    client = Client()
    for _ in range(3):
        client.get(LISTING_URL)
    samples, counts = [], set()
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(LISTING_URL)
            samples.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
        counts.add(len(queries))
    assert len(counts) == 1, counts
    from districts.selectors import place_lookup
    from events.selectors import EventFilters, event_search

    matching = event_search(EventFilters(towns=place_lookup("01852").towns, distance=25)).count()
    return median_ms(samples), counts.pop(), matching, min(samples) * 1000


def purge_broker() -> None:
    if settings.REDIS_URL:
        from imc.celery import app

        app.control.purge()


def measure(events: int, pending: int) -> dict:
    reset()
    started = time.perf_counter()
    seed(events, pending)
    seeded_in = time.perf_counter() - started
    counted = scalar("SELECT count(*) FROM events_reminder WHERE status = 'pending'")
    empty_ms, empty_claimed = time_empty_tick()
    due_ms, due_claimed = time_due_tick()
    claim_only_ms, _ = time_due_tick(publish=False)
    purge_broker()
    listing_ms, listing_queries, listing_results, listing_best = time_listing()
    return {
        "events": events,
        "pending": counted,
        "seeded_in": seeded_in,
        "empty_ms": empty_ms,
        "empty_claimed": empty_claimed,
        "due_ms": due_ms,
        "due_claimed": due_claimed,
        "claim_only_ms": claim_only_ms,
        "listing_ms": listing_ms,
        "listing_queries": listing_queries,
        "listing_results": listing_results,
        "listing_best": listing_best,
    }


def machine() -> str:
    from bench.common import machine as common_machine

    return common_machine(scalar("SHOW server_version"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--reminders", type=int, default=2_000_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("The events benchmark runs on PostgreSQL: set DATABASE_URL.")
    from districts.models import Town

    if Town.objects.count() != 351:
        from districts.loader import load_ma_data

        load_ma_data()
    if not settings.REDIS_URL:
        # Without a broker, tasks would run in-process and send mail: time the claim alone.
        reminders._dispatch = lambda ids: True
    dispatch = "published to Redis" if settings.REDIS_URL else "not published (no REDIS_URL)"
    small = measure(args.events // 100, args.reminders // 100)
    full = measure(args.events, args.reminders)
    reset()
    purge_broker()
    print(f"Machine: {machine()}")
    print(f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Batches {dispatch}.")
    print()
    print("| measure | 1/100 scale | full scale | ratio |")
    print("| --- | --- | --- | --- |")
    print(f"| events / pending reminders | {small['events']:,} / {small['pending']:,} | "
          f"{full['events']:,} / {full['pending']:,} | |")  # fmt: skip
    print(f"| seeding (s) | {small['seeded_in']:.1f} | {full['seeded_in']:.1f} | |")
    print(f"| empty beat tick, median of 30 (ms) | {small['empty_ms']:.2f} | {full['empty_ms']:.2f} | "
          f"{full['empty_ms'] / small['empty_ms']:.2f}x |")  # fmt: skip
    print(f"| tick claiming 1,000 due, median of 5 (ms) | {small['due_ms']:.1f} | {full['due_ms']:.1f} | "
          f"{full['due_ms'] / small['due_ms']:.2f}x |")  # fmt: skip
    print(f"| the same, without publishing to the broker (ms) | {small['claim_only_ms']:.1f} | "
          f"{full['claim_only_ms']:.1f} | {full['claim_only_ms'] / small['claim_only_ms']:.2f}x |")  # fmt: skip
    print(f"| rows claimed per due tick | {small['due_claimed']} | {full['due_claimed']} | |")
    print(f"| `{LISTING_URL}` queries | {small['listing_queries']} | {full['listing_queries']} | |")
    print(f"| `{LISTING_URL}` median of 30 (ms) | {small['listing_ms']:.1f} | {full['listing_ms']:.1f} | "
          f"{full['listing_ms'] / small['listing_ms']:.2f}x |")  # fmt: skip
    print(f"| the same, fastest of 30 (ms) | {small['listing_best']:.1f} | {full['listing_best']:.1f} | "
          f"{full['listing_best'] / small['listing_best']:.2f}x |")  # fmt: skip
    print(f"| events matching the listing | {small['listing_results']:,} | {full['listing_results']:,} | |")


if __name__ == "__main__":
    main()
