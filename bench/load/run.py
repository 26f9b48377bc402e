"""Load benchmark: the portal's pages against gunicorn with production settings on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/imc_bench_groups REDIS_URL=redis://127.0.0.1:6379/8 \
        .venv/bin/python bench/load/run.py [--seconds 60] [--connections 50]

(``make bench-load`` does the same.) The database must hold the national-scale data of the groups
benchmark (``make bench-groups`` seeds it). Against one gunicorn, each for the given time:

1. anonymous visitors: wrk rotating over the directory, an event page, a district page and the
   home page (each checked first to be served from the page cache);
2. the baseline: a minimal Django page doing one query;
3. signed-in members (``--members``, 200): sessions opened up front (bench/load/members.py), one
   wrk connection per thread walking each member's home, ``/groups/``, the event page and their
   profile; every answer is checked to be that member's own page (members.lua), a short control
   run with the cookies handed to the wrong members must fail every check, and the run fails if
   one real answer does not pass;

then, on a server with the page cache off, the anonymous pages rendered every time. Prints a
Markdown table with each target's rate against the baseline of the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def event_path(env: dict[str, str]) -> str:
    code = (
        "import django; django.setup(); from events.models import Event; "
        "e = Event.objects.filter(slug__startswith='load-').order_by('starts_at').last(); "
        "print(e.get_absolute_url() if e else '')"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""


def parse_wrk(output: str) -> dict[str, float]:
    def latency_ms(token: str) -> float:
        value, unit = re.match(r"([\d.]+)(us|ms|s)", token).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    # The latency distribution's own lines ("     99%   33.20ms"), not a "+/- Stdev" column
    # of the thread statistics that happens to end in 99%.
    p50 = latency_ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))
    p99 = latency_ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))
    total = int(re.search(r"(\d+) requests in", output).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = int(non2xx.group(1)) if non2xx else 0
    if socket_errors:
        errors += sum(int(x) for x in socket_errors.groups())
    return {"rps": rps, "p50": p50, "p99": p99, "requests": total, "errors": errors}


def run_wrk(url: str, paths: list[str], seconds: int, connections: int) -> dict[str, float]:
    env = {**os.environ, "PATHS": ",".join(paths)}
    command = [
        "wrk", f"-t{2}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency",
        "-s", str(ROOT / "bench/load/rotate.lua"), url,
    ]  # fmt: skip
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    return parse_wrk(output)


def run_wrk_members(
    url: str, paths: list[str], members: Path, seconds: int, connections: int, *, quiet: bool = False
) -> dict[str, float]:
    """wrk as the signed-in members of ``members`` (one connection per thread: see members.lua).

    Every answer is checked to be the page of the member who asked; one that is not counts as an
    error, and the run fails (see main)."""
    env = {**os.environ, "PATHS": ",".join(paths), "MEMBERS": str(members), "THREADS": str(connections)}
    command = [
        "wrk", f"-t{connections}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency",
        "-s", str(ROOT / "bench/load/members.lua"), url,
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    if not quiet:
        sys.stderr.write(done.stderr)
    result = parse_wrk(done.stdout)
    checks = re.search(r"member checks: (\d+) answers checked, (\d+) failed, (\d+) served stored", done.stdout)
    if checks is None:
        raise RuntimeError("wrk printed no member checks:\n" + done.stdout)
    result["checked"], result["wrong_member"], result["hits"] = (int(checks.group(i)) for i in (1, 2, 3))
    result["errors"] += result["wrong_member"]
    return result


class Server:
    """gunicorn with the production settings on a free port, for the length of a ``with`` block."""

    def __init__(self, env: dict[str, str], workers: int) -> None:
        self.env, self.workers = env, workers
        self.base = f"http://127.0.0.1:{free_port()}"

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "imc.wsgi", "--bind", self.base.removeprefix("http://"),
             "--workers", str(self.workers), "--log-level", "warning",
             "--env", "DJANGO_SETTINGS_MODULE=bench.load.settings"],
            env=self.env, cwd=ROOT,
        )  # fmt: skip
        for _ in range(100):
            try:
                urllib.request.urlopen(self.base + "/bench/one-query/", timeout=2)
                return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer")

    def warm(self, paths: list[str]) -> None:
        """Every worker's connections and template caches, and the page cache, before the clock."""
        for path in paths:
            for _ in range(self.workers * 2):
                urllib.request.urlopen(self.base + path, timeout=30).read()

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


CSRF_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def page_is_members(body: str, member: dict[str, str], profile: bool) -> str:
    """Why this page is not the one rendered for ``member`` ("" when it is): the same checks as
    members.lua makes under load."""
    token = re.search(r'name="csrfmiddlewaretoken" value="(\w{64})"', body)
    if token is None:
        return "no CSRF token in the page"
    mask, cipher = token.group(1)[:32], token.group(1)[32:]
    secret = "".join(
        CSRF_CHARS[(CSRF_CHARS.index(c) - CSRF_CHARS.index(m)) % 62] for m, c in zip(mask, cipher, strict=True)
    )
    if secret != member["csrf"]:
        return "the page carries another session's CSRF token"
    others = set(re.findall(r"bench-\d+@bench\.invalid", body)) - {member["email"]}
    if others:
        return f"the page shows {sorted(others)[0]}"
    if profile and member["email"] not in body:
        return "the profile does not show the member's own address"
    return ""


def member_sessions(env: dict[str, str], count: int, event: str) -> list[dict[str, str]]:
    slug = event.strip("/").rsplit("/", 1)[-1]
    out = subprocess.run(
        [sys.executable, "bench/load/members.py", "--count", str(count), "--event", slug],
        env=env, cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a signed-in page that redirects (to the sign-in) is a failure, not a page


def check_members(base: str, paths: list[str], members: list[dict[str, str]], profile: str) -> None:
    """Before the clock: each page, twice, for a few members in turn, must be that member's own."""
    opener = urllib.request.build_opener(NoRedirect)
    sample = members[:3] + members[:3]  # the second pass may be served from a cache
    for path in paths:
        for member in sample:
            request = urllib.request.Request(base + path, headers={"Cookie": member["cookie"]})
            try:
                with opener.open(request, timeout=30) as response:
                    body = response.read().decode()
            except urllib.error.HTTPError as exc:
                sys.exit(f"{path} for member {member['id']}: status {exc.code}")
            problem = page_is_members(body, member, path == profile)
            if problem:
                sys.exit(f"MEMBER CHECK FAILED before the run: member {member['id']} on {path}: {problem}")


def prove_checks(base: str, paths: list[str], members: list[dict[str, str]], members_file: Path) -> str:
    """The control: a short run in which each member sends the next member's cookies must fail
    the checks on every answer, or the checks could not see a page served to the wrong member."""
    swapped = Path(str(members_file) + ".swapped")
    cookies = [m["cookie"] for m in members]
    swapped.write_text(
        "".join(
            f"{m['id']}\t{m['email']}\t{m['csrf']}\t{cookies[(i + 1) % len(cookies)]}\n" for i, m in enumerate(members)
        )
    )
    try:
        result = run_wrk_members(base, paths, swapped, seconds=2, connections=4, quiet=True)
    finally:
        swapped.unlink()
    if result["checked"] == 0 or result["wrong_member"] != result["checked"]:
        sys.exit(
            f"The member checks are blind: {result['wrong_member']} of {result['checked']} swapped answers failed."
        )
    return f"{result['wrong_member']} of {result['checked']} answers failed the checks, as they must"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--members", type=int, default=200, help="signed-in members, each with a session")
    parser.add_argument(
        "--skip-uncached", action="store_true", help="leave out the last run (anonymous pages rendered every time)"
    )
    parser.add_argument("--skip-anonymous", action="store_true", help="only the signed-in members and the baseline")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to the PostgreSQL database seeded by the groups benchmark.")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.load.settings",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/8"),
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], env=env, cwd=ROOT, check=True)
    subprocess.run([sys.executable, "bench/load/seed.py"], env=env, cwd=ROOT, check=True)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], env=env, cwd=ROOT, check=True)
    event = event_path(env)
    paths = [p for p in ["/groups/", event, "/districts/ma-7/", "/"] if p]
    profile = "/accounts/profile/"
    member_paths = [p for p in ["/", "/groups/", event, profile] if p]
    members = member_sessions(env, args.members, event)
    members_file = Path(tempfile.mkstemp(prefix="bench-members-", suffix=".tsv")[1])
    members_file.write_text("".join(f"{m['id']}\t{m['email']}\t{m['csrf']}\t{m['cookie']}\n" for m in members))
    results = []
    try:
        with Server(env, args.workers) as server:
            for path in paths:  # the pages the load runs on must be the ones anonymous visitors get stored
                with urllib.request.urlopen(server.base + path, timeout=30) as response:
                    response.read()
                with urllib.request.urlopen(server.base + path, timeout=30) as response:
                    state = response.headers.get("X-Page-Cache")
                if state != "hit":
                    sys.exit(f"{path} is not served from the page cache (X-Page-Cache: {state})")
            check_members(server.base, member_paths, members, profile)
            control = prove_checks(server.base, member_paths, members, members_file)
            server.warm(paths)
            if not args.skip_anonymous:
                anonymous = run_wrk(server.base, paths, args.seconds, args.connections)
                results.append(("portal pages (rotating), as deployed", anonymous))
            baseline = run_wrk(server.base, ["/bench/one-query/"], args.seconds, args.connections)
            results.append(("baseline: one-query page", baseline))
            signed_in = run_wrk_members(server.base, member_paths, members_file, args.seconds, args.connections)
            results.append((f"signed-in members ({len(members)}, rotating), as deployed", signed_in))
    finally:
        members_file.unlink()
    if not args.skip_uncached and not args.skip_anonymous:
        with Server({**env, "PAGE_CACHE_SECONDS": "0"}, args.workers) as server:
            server.warm(paths)
            uncached = run_wrk(server.base, paths, args.seconds, args.connections)
            results.append(("portal pages rendered every time (page cache off)", uncached))
    print(f"Load benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, "
          f"load average before {load_before:.2f}, after {os.getloadavg()[0]:.2f}, "
          f"gunicorn {args.workers} sync workers, wrk {args.connections} connections x {args.seconds} s")  # fmt: skip
    print(f"Anonymous pages: {', '.join(paths)}")
    print(f"Signed-in pages: {', '.join(member_paths)}, as {len(members)} members in turn\n")
    print("| target | requests | errors | req/s | median ms | p99 ms | / baseline |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, r in results:
        print(
            f"| {name} | {r['requests']} | {r['errors']} | {r['rps']:.1f} | {r['p50']:.1f} | {r['p99']:.1f} "
            f"| {r['rps'] / baseline['rps']:.2f} |"
        )
    print()
    if not args.skip_anonymous:
        ratio = anonymous["rps"] / baseline["rps"]
        verdict = "met" if ratio >= 0.5 and anonymous["errors"] == 0 else "NOT met"
        print(f"Anonymous portal / baseline throughput: {ratio:.2f} (goal >= 0.5, zero errors: {verdict})")
    ratio = signed_in["rps"] / baseline["rps"]
    verdict = "met" if ratio >= 0.2 and signed_in["errors"] == 0 else "NOT met"
    print(
        f"Signed-in members / baseline throughput: {ratio:.2f} (goal >= 0.2, zero errors: {verdict}); "
        f"{signed_in['checked']} answers checked to be the asking member's page, {signed_in['wrong_member']} were not; "
        f"{signed_in['hits']} ({signed_in['hits'] / max(1, signed_in['checked']):.0%}) served from the members' cache"
    )
    print(f"Control, each member sending the next member's cookies for 2 s: {control}.")
    if signed_in["wrong_member"]:
        sys.exit(f"FAILED: {signed_in['wrong_member']} answers were not the page of the member who asked.")


if __name__ == "__main__":
    main()
