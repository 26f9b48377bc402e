"""Groups benchmark: the directory and a district page at 60 groups and at national scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/imc_bench_groups \\
        .venv/bin/python bench/groups/run.py [--requests 200]

(``make bench-groups`` does the same.) The database is created if missing, migrated and EMPTIED
of groups and benchmark users, then seeded with plain SQL (``INSERT ... SELECT generate_series``):

1. small scale: 60 groups over the 351 towns, 10,000 members with 20,000 memberships;
2. national scale, in the same run: 6,000 groups, 1,000,000 members with 2,000,000 memberships.

At each scale it records, for each page, the number of SQL queries and the median and 95th
percentile wall time of ``--requests`` requests through Django's full stack (middleware,
templates) in this process, with production-like settings (DEBUG off). It prints a Markdown
table; paste it into bench/RESULTS.md. The database is left at national scale for bench/load.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

PAGES = ["/groups/", "/groups/?zip=01852", "/groups/?q=climate", "/districts/ma-7/"]
SCALES = [(60, 10_000, 20_000), (6_000, 1_000_000, 2_000_000)]
BENCH_EMAIL_DOMAIN = "bench.invalid"


def ensure_database(url: str) -> None:
    import psycopg2

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = psycopg2.connect(
        host=parsed.hostname, port=parsed.port or 5432, user=parsed.username, password=parsed.password, dbname="postgres"
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
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from districts.models import Town

    if Town.objects.count() != 351:
        call_command("load_ma_data", verbosity=0)


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


def grow_to(groups: int, users: int, have_groups: int, have_users: int) -> None:
    from django.db import transaction

    with transaction.atomic():
        seed_groups(have_groups, groups)
        seed_users(have_users, users)
        sql("DELETE FROM groups_membership")
        seed_memberships(users, groups)
    sql("ANALYZE")


def counts() -> dict[str, int]:
    from accounts.models import User
    from groups.models import Group, Membership

    return {
        "groups": Group.objects.count(),
        "members": User.objects.filter(email__endswith=f"@{BENCH_EMAIL_DOMAIN}").count(),
        "memberships": Membership.objects.count(),
    }


def measure(requests: int) -> dict[str, tuple[int, float, float]]:
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    results = {}
    for url in PAGES:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        query_count = len(queries)
        for _ in range(10):  # warm up caches and connections
            client.get(url)
        timings = []
        for _ in range(requests):
            started = time.perf_counter()
            client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            reset_queries()
        timings.sort()
        p95 = timings[max(0, int(round(0.95 * len(timings))) - 1)]
        results[url] = (query_count, statistics.median(timings), p95)
    return results


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = os.cpu_count()
    try:
        pg = subprocess.run(["psql", "--version"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pg = "PostgreSQL"
    return f"{cpu}, {cores} cores, Python {platform.python_version()}, {pg}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database for the benchmark, e.g. .../imc_bench_groups")
    ensure_database(url)
    setup_django(url)

    reset()
    have_groups = have_users = 0
    rows = []
    for groups, users, _memberships in SCALES:
        started = time.perf_counter()
        grow_to(groups, users, have_groups, have_users)
        have_groups, have_users = groups, users
        seeded = counts()
        print(f"seeded {seeded} in {time.perf_counter() - started:.0f} s", flush=True)
        for page, (queries, median, p95) in measure(args.requests).items():
            rows.append((seeded, page, queries, median, p95))
            print(f"  {page:24} {queries:3} queries  median {median:6.1f} ms  p95 {p95:6.1f} ms", flush=True)

    small = {r[1]: r for r in rows if r[0]["groups"] == SCALES[0][0]}
    large = {r[1]: r for r in rows if r[0]["groups"] == SCALES[1][0]}
    print()
    print(f"Machine: {machine()}. Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. {args.requests} requests per page.")
    print()
    print("| page | queries (60 / 6,000) | median ms (60) | p95 ms (60) | median ms (6,000) | p95 ms (6,000) | ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for page in PAGES:
        s, n = small[page], large[page]
        print(
            f"| `{page}` | {s[2]} / {n[2]} | {s[3]:.1f} | {s[4]:.1f} | {n[3]:.1f} | {n[4]:.1f} | {n[3] / s[3]:.2f}x |"
        )


if __name__ == "__main__":
    main()
