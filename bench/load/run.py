"""Load benchmark: the portal's pages against gunicorn with production settings on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/imc_bench_groups REDIS_URL=redis://127.0.0.1:6379/8 \
        .venv/bin/python bench/load/run.py [--seconds 60] [--connections 50]

The database must hold the national-scale data of the groups benchmark (bench/groups). Runs wrk
for the given time against the directory, an event page, a district page and the home page, then
the same server on a minimal Django page doing one query, and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import secrets
import socket
import subprocess
import sys
import time
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument(
        "--skip-uncached", action="store_true", help="leave out the third run (pages rendered every time)"
    )
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
    paths = ["/groups/", event_path(env), "/districts/ma-7/", "/"]
    paths = [p for p in paths if p]
    results = []
    with Server(env, args.workers) as server:
        for path in paths:  # the pages the load runs on must be the ones anonymous visitors get stored
            with urllib.request.urlopen(server.base + path, timeout=30) as response:
                response.read()
            with urllib.request.urlopen(server.base + path, timeout=30) as response:
                state = response.headers.get("X-Page-Cache")
            if state != "hit":
                sys.exit(f"{path} is not served from the page cache (X-Page-Cache: {state})")
        server.warm(paths)
        results.append(
            ("portal pages (rotating), as deployed", run_wrk(server.base, paths, args.seconds, args.connections))
        )
        results.append(
            ("baseline: one-query page", run_wrk(server.base, ["/bench/one-query/"], args.seconds, args.connections))
        )
    if not args.skip_uncached:
        with Server({**env, "PAGE_CACHE_SECONDS": "0"}, args.workers) as server:
            server.warm(paths)
            uncached = run_wrk(server.base, paths, args.seconds, args.connections)
            results.append(("portal pages rendered every time (page cache off)", uncached))
    portal, baseline = results[0][1], results[1][1]
    ratio = portal["rps"] / baseline["rps"]
    print(f"Load benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, "
          f"load average before {load_before:.2f}, gunicorn {args.workers} sync workers, "
          f"wrk {args.connections} connections x {args.seconds} s")  # fmt: skip
    print(f"Pages: {', '.join(paths)}\n")
    print("| target | requests | errors | req/s | median ms | p99 ms | / baseline |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, r in results:
        print(
            f"| {name} | {r['requests']} | {r['errors']} | {r['rps']:.1f} | {r['p50']:.1f} | {r['p99']:.1f} "
            f"| {r['rps'] / baseline['rps']:.2f} |"
        )
    verdict = "met" if ratio >= 0.5 and portal["errors"] == 0 else "NOT met"
    print(f"\nPortal / baseline throughput: {ratio:.2f} (goal >= 0.5, zero errors: {verdict})")


if __name__ == "__main__":
    main()
