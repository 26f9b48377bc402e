"""Notification digest benchmark: the daily digest task for 6,000 groups on PostgreSQL.

    .venv/bin/python bench/notify/run.py [--groups 6000] [--requests 3] [--batch 200]

(``make bench-notify`` does the same.) The database ``imc_bench_notify`` (on the server of
``BENCH_DATABASE_URL``, default ``postgres://postgres@127.0.0.1:5432/imc_bench_notify``) is
DROPPED and created again, migrated and loaded with the Massachusetts geography. It is seeded
with plain SQL (``INSERT ... SELECT generate_series``): ``--groups`` approved groups, each with
one organizer who chose the daily digest for requests to join, and ``--requests`` pending
requests to join each (members of their own), each with its waiting ``NotificationItem``.

Then it runs the beat task's service (``groups.notifications.digests_send``) once, timed, with
the mails' batches published to Redis database 5 (``BENCH_REDIS_URL``; no worker takes them,
and that database is flushed before and after), and checks: exactly one digest mail per
organizer, every item marked sent, the number of SQL queries per batch (fixed reads plus one
insert per mail). A second run must write nothing. It prints a Markdown table for
bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.common import NATIONAL_GROUPS, recreate_database  # noqa: E402
from bench.common import machine as common_machine  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/imc_bench_notify"
DEFAULT_REDIS = "redis://127.0.0.1:6379/5"
DOMAIN = "bench.invalid"
GOAL_SECONDS = 60.0


def setup_django(url: str, redis_url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["REDIS_URL"] = redis_url
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imc.settings")
    import django

    django.setup()


def flush_redis(redis_url: str) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()


def sql(statement: str, params: list | None = None) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def seed(groups: int, requests: int) -> None:
    """Organizers org-<n>, groups bench-group-<n> (home towns walking the 351 towns), members
    member-<n>-<k> asking to join group n, and for each request its item for the organizer."""
    from django.db import transaction

    with transaction.atomic():
        sql(
            """
            INSERT INTO accounts_user (password, is_superuser, first_name, last_name, is_staff, is_active,
                                       date_joined, email)
            SELECT '!', false, 'Organizer', 'Number ' || n, false, true, now(), 'org-' || n || '@' || %s
            FROM generate_series(0, %s - 1) AS n
            """,
            [DOMAIN, groups],
        )
        sql(
            """
            INSERT INTO accounts_user (password, is_superuser, first_name, last_name, is_staff, is_active,
                                       date_joined, email)
            SELECT '!', false, 'Member ' || n || '-' || k, '', false, true, now(),
                   'member-' || n || '-' || k || '@' || %s
            FROM generate_series(0, %s - 1) AS n, generate_series(1, %s) AS k
            """,
            [DOMAIN, groups, requests],
        )
        sql(
            """
            WITH towns AS (SELECT id, name, primary_district_id, row_number() OVER (ORDER BY id) - 1 AS i
                           FROM districts_town)
            INSERT INTO groups_group (name, slug, status, home_town_id, district_id, description, meeting_pattern,
                website, facebook_url, instagram_url, bluesky_url, requires_approval, search_text, created_at,
                updated_at, approved_at, last_confirmed, is_stale)
            SELECT 'Indivisible ' || t.name || ' ' || n, 'bench-group-' || n, 'approved', t.id,
                   t.primary_district_id, '', '', '', '', '', '', true, '', now(), now(), now(), now(), false
            FROM generate_series(0, %s - 1) AS n JOIN towns t ON t.i = n %% 351
            """,
            [groups],
        )
        sql(
            """
            INSERT INTO groups_membership (group_id, user_id, role, status, created_at)
            SELECT g.id, u.id, 'organizer', 'active', now()
            FROM groups_group g JOIN accounts_user u ON u.email = 'org-' || substr(g.slug, 13) || '@' || %s
            """,
            [DOMAIN],
        )
        sql(
            """
            INSERT INTO groups_membership (group_id, user_id, role, status, created_at)
            SELECT g.id, u.id, 'member', 'pending', now()
            FROM groups_group g CROSS JOIN generate_series(1, %s) AS k
            JOIN accounts_user u ON u.email = 'member-' || substr(g.slug, 13) || '-' || k || '@' || %s
            """,
            [requests, DOMAIN],
        )
        sql(
            """
            INSERT INTO accounts_notificationpreference (user_id, kind, mode)
            SELECT m.user_id, 'join_request', 'digest' FROM groups_membership m WHERE m.role = 'organizer'
            """
        )
        sql(
            """
            INSERT INTO groups_notificationitem (recipient_id, kind, group_id, membership_id, created_at)
            SELECT o.user_id, 'join_request', p.group_id, p.id, now() - interval '1 hour'
            FROM groups_membership p JOIN groups_membership o ON o.group_id = p.group_id AND o.role = 'organizer'
            WHERE p.status = 'pending'
            """
        )
    sql("VACUUM ANALYZE")


def counts() -> dict[str, int]:
    from accounts.models import NotificationPreference
    from groups.models import Group, Membership, NotificationItem

    return {
        "groups": Group.objects.count(),
        "organizers": Membership.objects.organizers().count(),
        "pending requests": Membership.objects.filter(status="pending").count(),
        "digest choices": NotificationPreference.objects.count(),
        "waiting items": NotificationItem.objects.waiting().count(),
    }


def timed_run(batch: int) -> tuple[int, float, list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from groups.notifications import digests_send

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        written = digests_send(batch=batch)
        elapsed = time.perf_counter() - started
    return written, elapsed, [q["sql"] for q in queries.captured_queries]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--groups", type=int, default=NATIONAL_GROUPS)
    parser.add_argument("--requests", type=int, default=3, help="pending requests to join per group")
    parser.add_argument("--batch", type=int, default=200, help="recipients per transaction")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        sys.exit("BENCH_DATABASE_URL must name a PostgreSQL database")
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS)
    recreate_database(url)
    setup_django(url, redis_url)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("load_ma_data", verbosity=0)
    started = time.perf_counter()
    seed(args.groups, args.requests)
    seeded = counts()
    print(f"seeded in {time.perf_counter() - started:.0f} s: {seeded}", flush=True)
    assert seeded["groups"] == seeded["organizers"] == args.groups, seeded
    assert seeded["waiting items"] == args.groups * args.requests, seeded

    flush_redis(redis_url)
    load_before = os.getloadavg()
    written, elapsed, statements = timed_run(args.batch)
    load_after = os.getloadavg()

    from django.db.models import Count

    from groups.models import NotificationItem
    from groups.notifications import DIGEST_QUERIES_PER_BATCH
    from outbox.models import OutboundEmail

    per_address = OutboundEmail.objects.filter(kind="groups.digest").values("to").annotate(n=Count("pk"))
    assert written == args.groups, written
    assert per_address.count() == args.groups and all(row["n"] == 1 for row in per_address)
    assert set(per_address.values_list("to", flat=True)) == {f"org-{n}@{DOMAIN}" for n in range(args.groups)}
    assert not NotificationItem.objects.waiting().exists()
    sample = OutboundEmail.objects.filter(kind="groups.digest").first()
    assert sample is not None and sample.body_text.count("asks to join") == args.requests

    inserts = sum(1 for s in statements if s.startswith('INSERT INTO "outbox_outboundemail"'))
    transactions = sum(1 for s in statements if s in {"BEGIN", "COMMIT"})
    batches = -(-args.groups // args.batch)
    others = len(statements) - inserts - transactions

    assert others == batches * DIGEST_QUERIES_PER_BATCH + 1, others
    again_written, again_elapsed, again_statements = timed_run(args.batch)
    assert again_written == 0 and OutboundEmail.objects.filter(kind="groups.digest").count() == args.groups
    flush_redis(redis_url)

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    print()
    print(f"Machine: {common_machine(version)}. Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.")
    print(
        f"Load average (1, 5, 15 min) before the timed run: {', '.join(f'{x:.2f}' for x in load_before)}; "
        f"after: {', '.join(f'{x:.2f}' for x in load_after)}."
    )
    print(f"Seeded: {seeded}.")
    print()
    print("| measure | value |")
    print("| --- | --- |")
    print(
        f"| digest run for {args.groups:,} organizers ({seeded['waiting items']:,} items), wall time (s) "
        f"| {elapsed:.2f} |"
    )
    print(f"| goal | under {GOAL_SECONDS:.0f} s: {'met' if elapsed < GOAL_SECONDS else 'NOT met'} |")
    print(
        f"| digest mails written / distinct addresses / mails per organizer "
        f"| {written:,} / {per_address.count():,} / 1 |"
    )
    print(f"| batches of {args.batch} recipients | {batches} |")
    print(
        f"| SQL queries other than the mails' inserts, whole run | {others} ({batches} batches x "
        f"{DIGEST_QUERIES_PER_BATCH} + 1 final look: {batches * DIGEST_QUERIES_PER_BATCH + 1}) |"
    )
    print(f"| outbox inserts (one per mail) | {inserts:,} |")
    print(
        f"| second run: mails written, wall time (s), statements "
        f"| {again_written}, {again_elapsed:.3f}, {len(again_statements)} |"
    )


if __name__ == "__main__":
    main()
