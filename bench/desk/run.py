"""Desk benchmark: a district's desk with about 700 groups, the statewide view, the weekly digest.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/imc_bench_desk \\
        .venv/bin/python bench/desk/run.py [--requests 50]

(``make bench-desk`` does the same.) Two databases, as in bench/groups: the one named in
DATABASE_URL (the groups benchmark's national scale: 6,000 groups, so about 700 on each district's
desk, each group serving its home town and the next) and the same name with ``_small`` (60
groups, a handful per desk). Both are seeded with the groups benchmark's SQL (members: 200,000
and 10,000, two memberships each) and, on top, what the desk reads: a rep's contact note for
nine groups in ten, 121 days of daily member counts per group, one request to join waiting for
two weeks in one group in twenty, one past event per group and the upcoming calendar of
bench/common.py. A rep sits on each district's seat; a coordinator sees the statewide view.

It checks that the desk's query count is the same at both scales (it must not grow with the
groups), then times ``--requests`` requests of the desk of the district with closest to 700 groups (as its rep) and of
the statewide view (as the coordinator) through Django's full stack, interleaving the scales in
blocks of 10, and the weekly digest of every rep once per scale (in a transaction rolled back,
so the run can be repeated). It prints a Markdown table for bench/RESULTS.md.
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
from bench.groups.run import (  # noqa: E402
    BENCH_EMAIL_DOMAIN,
    ensure_database,
    machine,
    percentile,
    reset,
    seed_groups,
    seed_memberships,
    seed_users,
    setup_django,
    sql,
    use_database,
)

SCALES = [(60, 10_000), (NATIONAL_GROUPS, 200_000)]
DESK_SIZE = 700  # the groups on the desk measured (at small scale: the closest, a handful)
DIGEST_LIMIT_S = 60
DESK_LIMIT_MS = 100
STATEWIDE_LIMIT_MS = 200
# The benchmark's staff never sign in with a password: the clients are signed in directly.
BENCH_PASSWORD = "bench-only-password-2026"


def seed_desk_rows() -> None:
    """Notes, daily counts, waiting requests and past events over the seeded groups."""
    sql(
        """
        INSERT INTO desk_contactnote (group_id, rep_id, contacted_on, method, note, next_check_in, created_at)
        SELECT g.id, s.user_id, current_date - (g.id %% 200)::int, 'call', 'Benchmark check-in.', NULL, now()
        FROM groups_group g JOIN districts_boardseat s ON s.district_id = g.district_id
        WHERE g.id %% 10 <> 0
        """
    )
    sql(
        """
        INSERT INTO desk_membercount (group_id, day, members)
        SELECT g.id, current_date - d, 20 + (g.id + d) %% 30
        FROM groups_group g, generate_series(0, 120) AS d
        """
    )
    sql(
        """
        INSERT INTO groups_membership (group_id, user_id, role, status, created_at)
        SELECT g.id, u.id, 'member', 'pending', now() - interval '14 days'
        FROM groups_group g
        JOIN LATERAL (SELECT id FROM accounts_user WHERE email LIKE %s ORDER BY id DESC LIMIT 1) u ON true
        WHERE g.id %% 20 = 1
        ON CONFLICT DO NOTHING
        """,
        [f"bench-%@{BENCH_EMAIL_DOMAIN}"],
    )
    sql(
        """
        INSERT INTO events_event (slug, title, event_type, starts_at, ends_at, is_online, join_url, venue,
            address, host_group_id, town_id, district_id, description, accessibility, accessibility_notes,
            capacity, status, sequence, remind_day_before, remind_two_hours, created_at, updated_at)
        SELECT 'past-' || g.id, 'Past meeting ' || g.id, 'meeting',
               now() - (g.id %% 300) * interval '1 day', now() - (g.id %% 300) * interval '1 day' + interval '2 hours',
               false, '', 'Library', '', g.id, g.home_town_id, g.district_id, 'Past.', '[]'::jsonb, '', NULL,
               'published', 0, false, false, now(), now()
        FROM groups_group g
        """
    )


def ensure_people():
    """A rep on each district's seat and a coordinator, each with a second factor (idempotent)."""
    import datetime as dt

    from accounts.models import Role
    from accounts.services import user_ensure
    from districts.models import BoardRole, BoardSeat, District

    reps = {}
    for district in District.objects.all():
        rep = user_ensure(
            email=f"rep-{district.slug}@bench-staff.invalid",
            password=BENCH_PASSWORD,
            first_name="Rep",
            roles=(Role.DISTRICT_REP,),
        )
        BoardSeat.objects.get_or_create(
            district=district,
            user=rep,
            defaults={"display_name": "Bench rep", "role": BoardRole.REPRESENTATIVE, "term_start": dt.date(2025, 1, 1)},
        )
        reps[district.slug] = rep
    coordinator = user_ensure(
        email="coordinator@bench-staff.invalid", password=BENCH_PASSWORD, first_name="Cora", roles=(Role.COORDINATOR,)
    )
    return reps, coordinator


def seed(groups: int, users: int) -> None:
    from django.db import connection, transaction

    from bench.common import seed_events

    reset()
    sql("DELETE FROM events_event WHERE slug LIKE 'past-%%'")
    sql("TRUNCATE desk_contactnote, desk_membercount, desk_weeklydigest CASCADE")
    ensure_people()
    with transaction.atomic():
        seed_groups(0, groups)
        seed_users(0, users)
        seed_memberships(users, groups)
        with connection.cursor() as cursor:
            seed_events(cursor, round(groups * EVENTS_PER_GROUP))
        seed_desk_rows()
    sql("VACUUM ANALYZE")


def counts() -> dict[str, int]:
    from desk.models import ContactNote, MemberCount
    from groups.models import Group

    return {
        "groups": Group.objects.filter(slug__startswith="bench-group-").count(),
        "notes": ContactNote.objects.count(),
        "counts": MemberCount.objects.count(),
    }


def district_near(size: int) -> tuple[str, int]:
    """The district whose desk holds the number of groups closest to ``size`` (the towns are not
    spread evenly: MA-1's many small towns put far more groups on its desk than on MA-7's)."""
    from desk.policy import desk_groups
    from districts.models import District

    sizes = [(d.slug, desk_groups(d).count()) for d in District.objects.all()]
    return min(sizes, key=lambda x: abs(x[1] - size))


def staff_client(user):
    """A client signed in with its second factor passed, as the desk asks (tests/conftest.py)."""
    from tests.conftest import staff_client_for

    return staff_client_for(user)


def count_queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


def time_block(client, url: str, repeat: int) -> list[float]:
    from django.db import reset_queries

    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
        reset_queries()
    return timings


def time_digest() -> tuple[float, int]:
    from django.db import transaction

    from desk.services import digests_send_weekly

    with transaction.atomic():
        started = time.perf_counter()
        sent = digests_send_weekly()
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed, sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page and scale")
    parser.add_argument("--reseed", action="store_true", help="seed again even if the counts are right")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database for the benchmark, e.g. .../imc_bench_desk")
    large_name = urlparse(url).path.lstrip("/")
    names = {SCALES[0][0]: f"{large_name}_small", SCALES[1][0]: large_name}
    base = url.rsplit("/", 1)[0]
    for name in names.values():
        ensure_database(f"{base}/{name}")
    setup_django(url)
    from django.core.management import call_command

    state = {}
    for groups, users in SCALES:
        use_database(names[groups])
        call_command("migrate", verbosity=0)
        from districts.models import Town

        if Town.objects.count() != 351:
            call_command("load_ma_data", verbosity=0)
        if args.reseed or counts()["groups"] != groups:
            started = time.perf_counter()
            seed(groups, users)
            print(f"seeded {names[groups]} in {time.perf_counter() - started:.0f} s", flush=True)
        reps, coordinator = ensure_people()
        slug, on_desk = district_near(DESK_SIZE)
        state[groups] = {
            "desk": f"/desk/{slug}/",
            "on_desk": on_desk,
            "rep": staff_client(reps[slug]),
            "coordinator": staff_client(coordinator),
            "counts": counts(),
        }

    queries: dict[tuple[int, str], int] = {}
    for groups, _ in SCALES:
        use_database(names[groups])
        s = state[groups]
        queries[(groups, "desk")] = count_queries(s["rep"], s["desk"])
        queries[(groups, "statewide")] = count_queries(s["coordinator"], "/desk/statewide/")
    small, large = SCALES[0][0], SCALES[1][0]
    for page in ("desk", "statewide"):
        assert queries[(small, page)] == queries[(large, page)], ("query count grows with the groups", page, queries)

    timings: dict[tuple[int, str], list[float]] = {}
    for _ in range(max(1, args.requests // 10)):
        for groups, _ in SCALES:
            use_database(names[groups])
            s = state[groups]
            timings.setdefault((groups, "desk"), []).extend(time_block(s["rep"], s["desk"], 10))
            timings.setdefault((groups, "statewide"), []).extend(time_block(s["coordinator"], "/desk/statewide/", 10))

    digests = {}
    for groups, _ in SCALES:
        use_database(names[groups])
        digests[groups] = time_digest()

    print()
    print(f"Machine: {machine()}. Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.")
    for groups, _ in SCALES:
        s = state[groups]
        print(f"{names[groups]}: {s['counts']}; desk measured {s['desk']} with {s['on_desk']} groups.")
    print(f"{args.requests} timed requests per page and scale.")
    print()
    print(
        f"| page | queries ({small} / {large:,}) | median ms ({small}) | p95 ms ({small}) "
        f"| median ms ({large:,}) | p95 ms ({large:,}) | target |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for page, label, limit in (
        ("desk", f"district desk (`{state[large]['desk']}`, {state[large]['on_desk']} groups)", DESK_LIMIT_MS),
        ("statewide", "statewide view (`/desk/statewide/`)", STATEWIDE_LIMIT_MS),
    ):
        s_t, n_t = timings[(small, page)], timings[(large, page)]
        n_med = statistics.median(n_t)
        print(
            f"| {label} | {queries[(small, page)]} / {queries[(large, page)]} | {statistics.median(s_t):.1f} "
            f"| {percentile(s_t, 0.95):.1f} | {n_med:.1f} | {percentile(n_t, 0.95):.1f} "
            f"| median < {limit} ms: {'met' if n_med < limit else 'MISSED'} |"
        )
    (s_secs, s_sent), (n_secs, n_sent) = digests[small], digests[large]
    print(
        f"| weekly digest of every rep | | {s_secs:.2f} s ({s_sent} reps) | | {n_secs:.2f} s ({n_sent} reps) | "
        f"| < {DIGEST_LIMIT_S} s: {'met' if n_secs < DIGEST_LIMIT_S else 'MISSED'} |"
    )


if __name__ == "__main__":
    main()
