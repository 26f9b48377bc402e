"""API benchmark: ``/api/v1/events/?zip=01852&max_dist=25`` and ``/api/v1/groups/`` at the groups
benchmark's two scales, rendered and answered ``304``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/imc_bench_api .venv/bin/python bench/api/run.py

(``make bench-api`` does the same.) Two databases hold the two scales: the one named in
DATABASE_URL (national: 6,000 groups, 5,000 events) and the same name with ``_small`` (60
groups, 50 events). Each is created if missing, migrated and seeded with the groups benchmark's
own SQL (``bench.groups.run.seed_groups``, ``bench.common.seed_events``) unless it already holds
the right counts; ``--reseed`` forces it, and seeding EMPTIES its groups and events. The API reads
no member, so unlike bench/groups no member is seeded (pass the groups benchmark's databases in
DATABASE_URL to run on those instead: their counts are the same).

For each address and scale it records the SQL queries of one request (and fails if the two
scales differ), the median and 95th percentile of ``--requests`` rendered answers through
Django's whole stack (middleware, throttle, serializer, ETag; DEBUG off, one process) and of as
many conditional requests (``If-None-Match`` with the ETag just served) answered ``304``. Blocks
of 10 requests alternate between the scales, so other processes' load on a shared machine falls
on both alike. Goals (issue 13): the same query count at both scales, a national median under
30 ms rendered and a ``304`` under 5 ms; the run exits 1 if one is missed. It prints a Markdown
table for bench/RESULTS.md, with the empty teams list as a baseline of the stack's own cost.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.common import EVENTS_PER_GROUP, NATIONAL_GROUPS  # noqa: E402
from bench.groups.run import ensure_database, machine, percentile, setup_django, sql, use_database  # noqa: E402

GOALS = ["/api/v1/events/?zip=01852&max_dist=25", "/api/v1/groups/"]
# The cost of the stack itself, for reading the others on a loaded machine: the teams list (no
# team is seeded, so an empty page: middleware, throttle, one query, the ETag).
BASELINE = "/api/v1/teams/"
ADDRESSES = [*GOALS, BASELINE]
SCALES = [60, NATIONAL_GROUPS]
RENDERED_GOAL_MS = 30.0
NOT_MODIFIED_GOAL_MS = 5.0


def counts() -> dict[str, int]:
    from events.models import Event
    from groups.models import Group

    return {"groups": Group.objects.count(), "events": Event.objects.filter(slug__startswith="load-").count()}


def seed(groups: int) -> None:
    from django.db import connection, transaction

    from bench.common import seed_events
    from bench.groups.run import seed_groups

    sql("DELETE FROM events_event WHERE slug LIKE 'load-%%'")
    sql("TRUNCATE groups_group, groups_membership, groups_groupdistrict, groups_group_towns CASCADE")
    with transaction.atomic():
        seed_groups(0, groups)
        with connection.cursor() as cursor:
            seed_events(cursor, round(groups * EVENTS_PER_GROUP))
    sql("VACUUM ANALYZE")


def client():
    from django.test import Client

    # One client address far from any other use of the throttle, which stays on (it is part of
    # every request's cost); its rate is raised above the benchmark's own pace in main().
    return Client(REMOTE_ADDR="198.51.100.7")


def query_count(url: str) -> tuple[int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client().get(url)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return len(queries), len(response.json()["data"])


def time_block(url: str, repeat: int) -> tuple[list[float], list[float], list[float], list[float]]:
    """(rendered ms, 304 ms, rendered CPU ms, 304 CPU ms) of ``repeat`` requests each. The CPU
    time is this process's own (PostgreSQL's work is not in it): on a machine whose other jobs
    take the CPUs, it says what a request costs where wall time says mostly how long it waited."""
    from django.db import reset_queries

    browser = client()
    etag = browser.get(url)["ETag"]  # warm: connection, templates, URL and schema caches
    rendered, not_modified, rendered_cpu, not_modified_cpu = [], [], [], []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        response = browser.get(url)
        rendered.append((time.perf_counter() - started) * 1000)
        rendered_cpu.append((time.process_time() - cpu) * 1000)
        assert response.status_code == 200
        etag = response["ETag"]
        reset_queries()
    # Then a client that holds the answer asks again, as a mirror polling the address does.
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        response = browser.get(url, HTTP_IF_NONE_MATCH=etag)
        not_modified.append((time.perf_counter() - started) * 1000)
        not_modified_cpu.append((time.process_time() - cpu) * 1000)
        assert response.status_code == 304, response.status_code
    return rendered, not_modified, rendered_cpu, not_modified_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per address, scale and kind")
    parser.add_argument("--reseed", action="store_true", help="seed again even if the counts are right")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database for the benchmark, e.g. .../imc_bench_api")
    large_name = urlparse(url).path.lstrip("/")
    names = {SCALES[0]: f"{large_name}_small", SCALES[1]: large_name}
    base = url.rsplit("/", 1)[0]
    for name in names.values():
        ensure_database(f"{base}/{name}")
    os.environ["API_THROTTLE_RATE"] = "1000000/min"
    setup_django(url)
    from django.core.management import call_command

    seeded = {}
    for groups in SCALES:
        use_database(names[groups])
        call_command("migrate", verbosity=0)
        from districts.models import Town

        if Town.objects.count() != 351:
            call_command("load_ma_data", verbosity=0)
        want = {"groups": groups, "events": round(groups * EVENTS_PER_GROUP)}
        if args.reseed or counts() != want:
            started = time.perf_counter()
            seed(groups)
            print(f"seeded {names[groups]} in {time.perf_counter() - started:.0f} s", flush=True)
        seeded[groups] = counts()
        assert seeded[groups] == want, seeded[groups]

    queries: dict[tuple[int, str], tuple[int, int]] = {}
    for groups in SCALES:
        use_database(names[groups])
        for address in ADDRESSES:
            queries[(groups, address)] = query_count(address)

    rendered: dict[tuple[int, str], list[float]] = {}
    not_modified: dict[tuple[int, str], list[float]] = {}
    cpu: dict[tuple[str, int, str], list[float]] = {}
    for _ in range(max(1, args.requests // 10)):
        for groups in SCALES:
            use_database(names[groups])
            for address in ADDRESSES:
                full, short, full_cpu, short_cpu = time_block(address, 10)
                rendered.setdefault((groups, address), []).extend(full)
                not_modified.setdefault((groups, address), []).extend(short)
                cpu.setdefault(("200", groups, address), []).extend(full_cpu)
                cpu.setdefault(("304", groups, address), []).extend(short_cpu)

    small, large = SCALES
    print()
    print(f"Machine: {machine()}. Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.")
    print(
        f"Small: {seeded[small]}. National: {seeded[large]}. {args.requests} timed requests per address, scale, kind."
    )
    print()
    print(
        "| address | queries (60 / 6,000) | rows | 200 median ms (60) | 200 p95 (60) | 200 median ms (6,000) "
        "| 200 p95 (6,000) | 304 median ms (60) | 304 median ms (6,000) | 304 p95 (6,000) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    missed = []
    for address in ADDRESSES:
        (q_small, rows_small), (q_large, rows_large) = queries[(small, address)], queries[(large, address)]
        s_full, n_full = rendered[(small, address)], rendered[(large, address)]
        s_short, n_short = not_modified[(small, address)], not_modified[(large, address)]
        print(
            f"| `{address}` | {q_small} / {q_large} | {rows_small} / {rows_large} "
            f"| {statistics.median(s_full):.1f} | {percentile(s_full, 0.95):.1f} "
            f"| {statistics.median(n_full):.1f} | {percentile(n_full, 0.95):.1f} "
            f"| {statistics.median(s_short):.2f} | {statistics.median(n_short):.2f} | {percentile(n_short, 0.95):.2f} |"
        )
        if address not in GOALS:
            continue
        if q_small != q_large:
            missed.append(f"{address}: {q_small} queries at 60 groups, {q_large} at 6,000")
        if statistics.median(n_full) >= RENDERED_GOAL_MS:
            missed.append(f"{address}: national median {statistics.median(n_full):.1f} ms rendered")
        if statistics.median(n_short) >= NOT_MODIFIED_GOAL_MS:
            missed.append(f"{address}: national 304 median {statistics.median(n_short):.2f} ms")
    print()
    print("Python CPU time of the same requests, median ms (PostgreSQL's share not included):")
    print()
    print("| address | 200 (60) | 200 (6,000) | 304 (60) | 304 (6,000) |")
    print("| --- | --- | --- | --- | --- |")
    for address in ADDRESSES:
        row = [statistics.median(cpu[(kind, groups, address)]) for kind in ("200", "304") for groups in SCALES]
        print(f"| `{address}` | " + " | ".join(f"{value:.1f}" for value in row) + " |")
    if missed:
        print("\nMissed: " + "; ".join(missed))
        sys.exit(1)


if __name__ == "__main__":
    main()
