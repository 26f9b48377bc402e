"""Check-in benchmark: an event's check-in page and attendee CSV at 20 and at 2,000 RSVPs.

    .venv/bin/python bench/checkin/run.py [--small 20] [--large 2000] [--runs 30]

(``make bench-checkin`` does the same.) The database ``imc_bench_checkin`` (on the server of
``BENCH_DATABASE_URL``, default ``postgres://postgres@127.0.0.1:5432/imc_bench_checkin``) is
DROPPED and created again, migrated and loaded with the Massachusetts geography. One group and
its organizer host two events starting within the hour (check-in open), one with ``--small``
RSVPs and one with ``--large``: half members, half guests, one in ten on the waitlist, a third
checked in, some walk-ins (seeded with ``bulk_create``: setup, not the behaviour under test).

For each event and each page (``/events/<slug>/check-in/``, the same with a search,
``/events/<slug>/attendees.csv``), the organizer's GET through Django's test client with DEBUG
off and the page cache off: 3 warm-up requests, then the median of ``--runs``, and the SQL
queries of each request, which must be the same number at both sizes; also the CPU time the web
process spent (``time.process_time``), which waiting for a CPU on a shared machine does not
inflate (the database server's share is not in it). Goal: median under 50 ms at 2,000 RSVPs.
It prints a Markdown table for bench/RESULTS.md and exits non-zero if the query counts differ.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.common import machine as common_machine  # noqa: E402
from bench.common import recreate_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/imc_bench_checkin"
DOMAIN = "bench.invalid"
GOAL_MS = 50.0
PAGES = (("check-in page", "check-in/"), ("check-in search", "check-in/?q=guest 1"), ("attendee CSV", "attendees.csv"))


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)  # nothing here is queued: no broker needed
    os.environ["PAGE_CACHE_SECONDS"] = "0"  # time the pages, not a stored copy
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imc.settings")
    import django

    django.setup()


def seed(sizes: list[int]):
    """The organizer, their group, and one event per size; returns (organizer, events)."""
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from accounts.services import user_ensure
    from districts.models import Town
    from events.models import Event, EventStatus, Rsvp, RsvpStatus
    from groups.models import Group, GroupStatus, Membership, MembershipRole, MembershipStatus

    lowell = Town.objects.get(name="Lowell")
    start = timezone.now().replace(microsecond=0) + timedelta(minutes=45)
    with transaction.atomic():
        organizer = user_ensure(email=f"organizer@{DOMAIN}", password="bench-pass-2026", first_name="Olga")
        group = Group.objects.create(
            name="Bench Indivisible", slug="bench-indivisible", status=GroupStatus.APPROVED, home_town=lowell,
            district=lowell.primary_district,
        )  # fmt: skip
        Membership.objects.create(
            group=group, user=organizer, role=MembershipRole.ORGANIZER, status=MembershipStatus.ACTIVE
        )
        events = []
        for size in sizes:
            event = Event.objects.create(
                slug=f"bench-checkin-{size}", title=f"Check-in at {size}", host_group=group, starts_at=start,
                ends_at=start + timedelta(hours=2), town=lowell, district=lowell.primary_district,
                status=EventStatus.PUBLISHED, capacity=size,
            )  # fmt: skip
            members = User.objects.bulk_create(
                User(email=f"m{size}-{n}@{DOMAIN}", password="!", first_name=f"Member {n}", last_name="Bench")
                for n in range(size // 2)
            )
            rows = [
                Rsvp(
                    event=event,
                    user=members[n // 2] if n % 2 == 0 else None,
                    guest_name="" if n % 2 == 0 else f"Guest {n}",
                    guest_email="" if n % 2 == 0 or n % 11 == 1 else f"g{size}-{n}@{DOMAIN}",
                    walk_in=n % 2 == 1 and n % 11 == 1,
                    status=RsvpStatus.WAITLISTED if n % 10 == 9 else RsvpStatus.GOING,
                    attended=True if n % 3 == 0 or (n % 2 == 1 and n % 11 == 1) else None,
                    confirmed_at=start,
                )
                for n in range(size)
            ]
            Rsvp.objects.bulk_create(rows)
            events.append(event)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return organizer, events


def measure(client, url: str, runs: int) -> tuple[float, float, int, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        assert client.get(url).status_code == 200, url
    samples, cpu, counts = [], [], set()
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            if response.streaming:
                b"".join(response.streaming_content)
            samples.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        assert response.status_code == 200, (url, response.status_code)
        counts.add(len(queries))
    assert len(counts) == 1, (url, counts)
    return statistics.median(samples) * 1000, min(samples) * 1000, counts.pop(), statistics.median(cpu) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=20)
    parser.add_argument("--large", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        sys.exit("BENCH_DATABASE_URL must name a PostgreSQL database")
    recreate_database(url)
    setup_django(url)
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("migrate", verbosity=0)
    call_command("load_ma_data", verbosity=0)
    organizer, events = seed([args.small, args.large])
    client = Client()
    client.force_login(organizer)

    load_before = os.getloadavg()
    results = {
        (label, event.rsvps.count()): measure(client, f"/events/{event.slug}/{path}", args.runs)
        for event in events
        for label, path in PAGES
    }
    load_after = os.getloadavg()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    small, large = args.small, args.large
    print()
    print(f"Machine: {common_machine(version)}. Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.")
    print(
        f"Load average (1, 5, 15 min) before the timed runs: {', '.join(f'{x:.2f}' for x in load_before)}; "
        f"after: {', '.join(f'{x:.2f}' for x in load_after)}."
    )
    print()
    print(f"| page | queries at {small} / {large:,} | median at {small} (ms) | median at {large:,} (ms) "
          f"| fastest at {large:,} (ms) | web process CPU, median at {small} / {large:,} (ms) "
          f"| goal: median under {GOAL_MS:.0f} ms at {large:,} |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- |")
    same = True
    for label, _ in PAGES:
        s_median, _, s_queries, s_cpu = results[(label, small)]
        l_median, l_best, l_queries, l_cpu = results[(label, large)]
        same &= s_queries == l_queries
        met = "met" if l_median < GOAL_MS else "NOT met"
        print(
            f"| {label} | {s_queries} / {l_queries} | {s_median:.1f} | {l_median:.1f} | {l_best:.1f} "
            f"| {s_cpu:.1f} / {l_cpu:.1f} | {met} |"
        )
    if not same:
        sys.exit("The query count depends on the number of RSVPs.")


if __name__ == "__main__":
    main()
