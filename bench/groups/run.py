"""Groups benchmark: the directory and a district page at 60 groups and at national scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/imc_bench_groups \\
        .venv/bin/python bench/groups/run.py [--requests 200]

(``make bench-groups`` does the same.) Two databases hold the two scales: the one named in
DATABASE_URL (national) and the same name with ``_small``. Each is created if missing, migrated,
and seeded with plain SQL (``INSERT ... SELECT generate_series``) unless it already holds exactly
the right counts (``--reseed`` forces it; seeding EMPTIES its groups and benchmark users):

1. small scale: 60 groups over the 351 towns, 10,000 members with 20,000 memberships;
2. national scale: 6,000 groups, 1,000,000 members with 2,000,000 memberships.

Both get the same calendar in proportion, five upcoming events for every six groups (50 and
5,000; bench/common.py), so that the cards show a next event at both scales alike.

In one run it records, for each page and scale, the number of SQL queries and the median and
95th percentile wall time of ``--requests`` requests through Django's full stack (middleware,
templates, in this process, DEBUG off). Blocks of 10 requests alternate between the scales so
that other processes' load on a shared machine falls on both alike. It prints a Markdown table
for bench/RESULTS.md. The national database is what bench/load expects.
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
from bench.common import machine as common_machine  # noqa: E402

PAGES = [
    "/groups/",
    "/groups/?zip=01852",
    "/groups/?q=climate",
    "/districts/ma-7/",
    # The state legislature (issue 14): a town in one district of each kind, a split town that asks
    # for the precinct and the answer to it, and a state district's page beside the congressional one.
    "/find/?q=Abington",
    "/find/?q=Boston",
    "/find/?q=Boston&ward=3&precinct=1",
    "/districts/state-senate/first-suffolk/",
]
SCALES = [(60, 10_000, 20_000), (NATIONAL_GROUPS, 1_000_000, 2_000_000)]
BENCH_EMAIL_DOMAIN = "bench.invalid"


def ensure_database(url: str) -> None:
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
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cursor.fetchone():
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imc.settings")
    # Measure rendering: the anonymous page cache (imc.pagecache) would answer from Redis.
    os.environ["PAGE_CACHE_SECONDS"] = "0"
    import django

    django.setup()


def sql(statement: str, params: list | None = None) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def reset() -> None:
    sql("TRUNCATE groups_group, groups_membership, groups_groupdistrict, groups_group_towns CASCADE")
    sql("DELETE FROM accounts_user WHERE email LIKE %s", [f"%@{BENCH_EMAIL_DOMAIN}"])


def seed_users(start: int, stop: int) -> None:
    """Members bench-<n>@bench.invalid for n in [start, stop), with an unusable password."""
    sql(
        """
        INSERT INTO accounts_user (password, is_superuser, first_name, last_name, is_staff, is_active,
                                   date_joined, email)
        SELECT '!', false, 'Member', 'Number ' || n, false, true, now(), 'bench-' || n || '@' || %s
        FROM generate_series(%s, %s - 1) AS n
        """,
        [BENCH_EMAIL_DOMAIN, start, stop],
    )


def seed_groups(start: int, stop: int) -> None:
    """Groups n in [start, stop): the home town walks the 351 towns; each serves the next town
    too; one in ten talks about climate; one in 25 is stale and one in 50 pending."""
    sql(
        """
        WITH towns AS (SELECT id, name, primary_district_id, row_number() OVER (ORDER BY id) - 1 AS i
                       FROM districts_town),
             n AS (SELECT n FROM generate_series(%s, %s - 1) AS n)
        INSERT INTO groups_group (name, slug, status, home_town_id, district_id, description, meeting_pattern,
            website, facebook_url, instagram_url, bluesky_url, requires_approval, search_text, created_at,
            updated_at, approved_at, last_confirmed, is_stale)
        SELECT 'Indivisible ' || t.name || ' ' || n.n || CASE WHEN n.n %% 10 = 0 THEN ' Climate Action' ELSE '' END,
               'bench-group-' || n.n,
               CASE WHEN n.n %% 50 = 7 THEN 'pending' ELSE 'approved' END,
               t.id, t.primary_district_id,
               'A benchmark group that meets to organise for democracy in ' || t.name || '.',
               'Second Tuesday', '', '', '', '', false,
               lower('Indivisible ' || t.name || ' ' || n.n
                     || CASE WHEN n.n %% 10 = 0 THEN ' Climate Action' ELSE '' END
                     || ' ' || t.name || ' a benchmark group that meets to organise for democracy in ' || t.name),
               now(), now(), now(), now(), n.n %% 25 = 3
        FROM n JOIN towns t ON t.i = n.n %% 351
        """,
        [start, stop],
    )
    sql(
        """
        INSERT INTO groups_group_towns (group_id, town_id)
        SELECT g.id, g.home_town_id FROM groups_group g
        WHERE g.slug LIKE 'bench-group-%%' AND substr(g.slug, 13)::int BETWEEN %s AND %s - 1
        UNION
        SELECT g.id, t2.id FROM groups_group g
        JOIN districts_town t1 ON t1.id = g.home_town_id
        JOIN districts_town t2 ON t2.name = (SELECT name FROM districts_town WHERE name > t1.name ORDER BY name LIMIT 1)
        WHERE g.slug LIKE 'bench-group-%%' AND substr(g.slug, 13)::int BETWEEN %s AND %s - 1
        """,
        [start, stop, start, stop],
    )
    sql(
        """
        INSERT INTO groups_groupdistrict (group_id, district_id)
        SELECT DISTINCT gt.group_id, t.primary_district_id
        FROM groups_group_towns gt JOIN districts_town t ON t.id = gt.town_id
        JOIN groups_group g ON g.id = gt.group_id
        WHERE substr(g.slug, 13)::int BETWEEN %s AND %s - 1
        ON CONFLICT DO NOTHING
        """,
        [start, stop],
    )


def seed_memberships(users: int, groups: int) -> None:
    """Each bench member belongs to two groups; the first member of each group organizes it."""
    sql(
        """
        WITH g AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i FROM groups_group),
             u AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i FROM accounts_user
                   WHERE email LIKE %s)
        INSERT INTO groups_membership (group_id, user_id, role, status, created_at)
        SELECT g.id, u.id, CASE WHEN u.i < %s THEN 'organizer' ELSE 'member' END, 'active', now()
        FROM u JOIN g ON g.i = u.i %% %s
        UNION ALL
        SELECT g.id, u.id, 'member', 'active', now()
        FROM u JOIN g ON g.i = (u.i * 7 + 13) %% %s
        WHERE (u.i * 7 + 13) %% %s <> u.i %% %s
        ON CONFLICT DO NOTHING
        """,
        [f"bench-%@{BENCH_EMAIL_DOMAIN}", groups, groups, groups, groups, groups],
    )


def seed(groups: int, users: int) -> None:
    from django.db import connection, transaction

    from bench.common import seed_events

    reset()
    with transaction.atomic():
        seed_groups(0, groups)
        seed_users(0, users)
        seed_memberships(users, groups)
        with connection.cursor() as cursor:
            seed_events(cursor, round(groups * EVENTS_PER_GROUP))
    # What autovacuum gives a live database: fresh statistics and the trigram index's pending
    # list merged (right after a bulk insert the planner would scan the table instead).
    sql("VACUUM ANALYZE")


def counts() -> dict[str, int]:
    from accounts.models import User
    from events.models import Event
    from groups.models import Group, Membership

    return {
        "groups": Group.objects.count(),
        "members": User.objects.filter(email__endswith=f"@{BENCH_EMAIL_DOMAIN}").count(),
        "memberships": Membership.objects.count(),
        "events": Event.objects.filter(slug__startswith="load-").count(),
    }


def use_database(name: str) -> None:
    """Point the default connection at one scale's database (connecting outside any timing)."""
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = name
    connection.ensure_connection()


def query_counts() -> dict[str, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client, found = Client(), {}
    for url in PAGES:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        found[url] = len(queries)
    return found


def time_block(url: str, repeat: int) -> list[float]:
    from django.db import reset_queries
    from django.test import Client

    client = Client()
    client.get(url)  # warm: connection, template and URL caches
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        reset_queries()
    return timings


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(share * len(ordered))) - 1)]


def machine() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return common_machine(cursor.fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page and scale")
    parser.add_argument("--reseed", action="store_true", help="seed again even if the counts are right")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database for the benchmark, e.g. .../imc_bench_groups")
    large_name = urlparse(url).path.lstrip("/")
    names = {SCALES[0][0]: f"{large_name}_small", SCALES[1][0]: large_name}
    base = url.rsplit("/", 1)[0]
    for name in names.values():
        ensure_database(f"{base}/{name}")
    setup_django(url)
    from django.core.management import call_command

    seeded = {}
    for groups, users, memberships in SCALES:
        use_database(names[groups])
        call_command("migrate", verbosity=0)
        from districts.models import Precinct, Town

        if Town.objects.count() != 351 or not Precinct.objects.exists():
            call_command("load_ma_data", verbosity=0)
        want = {
            "groups": groups,
            "members": users,
            "memberships": memberships,
            "events": round(groups * EVENTS_PER_GROUP),
        }
        if args.reseed or counts() != want:
            started = time.perf_counter()
            seed(groups, users)
            print(f"seeded {names[groups]} in {time.perf_counter() - started:.0f} s", flush=True)
        else:
            sql("VACUUM ANALYZE groups_group")  # cheap; the state autovacuum keeps a live table in
        seeded[groups] = counts()
        assert seeded[groups] == want, seeded[groups]

    queries = {}
    for groups, _, _ in SCALES:
        use_database(names[groups])
        queries[groups] = query_counts()

    # Interleaved: blocks of 10 requests alternate between the scales, so that the load of other
    # processes on this shared machine falls on both alike.
    timings: dict[tuple[int, str], list[float]] = {}
    for _ in range(max(1, args.requests // 10)):
        for groups, _, _ in SCALES:
            use_database(names[groups])
            for page in PAGES:
                timings.setdefault((groups, page), []).extend(time_block(page, 10))

    small, large = SCALES[0][0], SCALES[1][0]
    print()
    print(f"Machine: {machine()}. Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.")
    print(f"Small: {seeded[small]}. National: {seeded[large]}. {args.requests} timed requests per page and scale.")
    print()
    print("| page | queries (60 / 6,000) | median ms (60) | p95 ms (60) | median ms (6,000) | p95 ms (6,000) | ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for page in PAGES:
        s_t, n_t = timings[(small, page)], timings[(large, page)]
        s_med, n_med = statistics.median(s_t), statistics.median(n_t)
        print(
            f"| `{page}` | {queries[small][page]} / {queries[large][page]} | {s_med:.1f} | {percentile(s_t, 0.95):.1f} "
            f"| {n_med:.1f} | {percentile(n_t, 0.95):.1f} | {n_med / s_med:.2f}x |"
        )


if __name__ == "__main__":
    main()
