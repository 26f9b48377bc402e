"""Newsletter send benchmark: the real pipeline against a plain smtplib loop, same server, same run.

    python bench/newsletter/run.py                 # N = 10,000 and 100,000
    python bench/newsletter/run.py --n 20000 --concurrency 2

Pipeline: PostgreSQL (database imc_bench_newsletter, recreated), Redis (database 9, flushed),
Celery worker processes (prefork), Django's SMTP backend, and Postfix's ``smtp-sink`` on loopback.
The clock runs from "Send now" until the issue is marked sent, so it includes writing the
delivery rows. Baseline: one ``smtplib`` connection sending the same pre-rendered message N
times to the same sink. Peak memory is the high-water mark (VmHWM) of every worker process.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import smtplib
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("BENCH_DB", "imc_bench_newsletter")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
SMTP_SINK = os.environ.get("SMTP_SINK", "/usr/sbin/smtp-sink")
LOAD_BEFORE = ""


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def database_backends_cpu() -> float:
    """CPU of the PostgreSQL backends serving the bench database, except this process's own."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return sum(cpu_seconds(pid) for (pid,) in cursor.fetchall())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def setup_environment() -> None:
    import psycopg2

    admin = psycopg2.connect(f"{PG}/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{DB_NAME}"')
    admin.close()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "imc.settings",
            "DATABASE_URL": f"{PG}/{DB_NAME}",
            "REDIS_URL": REDIS,
            # Production-like: no query log in the workers.
            "DEBUG": "false",
            "SECRET_KEY": "bench-only-not-secret",
            "ALLOWED_HOSTS": "localhost",
            "LOG_LEVEL": "WARNING",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import redis

    redis.Redis.from_url(REDIS).flushdb()


def start_sink(port: int) -> subprocess.Popen:
    command = [SMTP_SINK, "-u", "nobody", f"127.0.0.1:{port}", "256"]
    sink = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(50):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return sink
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("smtp-sink did not start")


def seed(n: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE newsletter_delivery, newsletter_sendchunk, newsletter_newsletter_districts, "
            "newsletter_newsletter, newsletter_subscriber RESTART IDENTITY CASCADE"
        )
        cursor.execute(
            """
            INSERT INTO newsletter_subscriber (email, name, status, suppressed, suppressed_reason,
                suppressed_detail, consent_at, consent_source, confirmed_at, created_at)
            SELECT 'reader' || g || '@bench.invalid', 'Reader ' || g, 'confirmed', false, '', '',
                   now(), 'import', now(), now()
            FROM generate_series(1, %s) AS g
            """,
            [n],
        )
        cursor.execute("ANALYZE newsletter_subscriber")


def bench_coordinator():
    """The coordinator who composes and sends (the services check their actor)."""
    from accounts.models import Role
    from accounts.services import user_ensure

    return user_ensure(email="coordinator@bench.invalid", password="bench-pass-2026", roles=(Role.COORDINATOR,))


def make_issue():
    from newsletter import services

    body = (Path(__file__).parent / "issue.md").read_text()
    return services.newsletter_save(
        by=bench_coordinator(),
        subject="Benchmark issue",
        preheader="What the coalition did this month",
        body_markdown=body,
        audience_all=True,
        districts=[],
        include_events=False,
    )


def baseline(n: int, port: int, sink_pid: int) -> tuple[float, float]:
    """A plain smtplib loop: the same pre-rendered message N times over one connection."""
    from django.conf import settings

    from newsletter import rendering
    from newsletter.services.messages import build_bulk_message

    issue = rendering.render_issue(make_issue())
    payload = (
        build_bulk_message(issue, to="reader1@bench.invalid", name="Reader 1", subscriber_id=1)
        .message()
        .as_bytes(linesep="\r\n")
    )
    sender = settings.NEWSLETTER_FROM_EMAIL
    client = smtplib.SMTP("127.0.0.1", port)
    cpu_before = time.process_time() + cpu_seconds(sink_pid)
    started = time.perf_counter()
    for i in range(n):
        client.sendmail(sender, [f"reader{i}@bench.invalid"], payload)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() + cpu_seconds(sink_pid) - cpu_before
    client.quit()
    return n / elapsed, cpu / n * 1000


class Workers:
    def __init__(self, port: int, concurrency: int, processes: int) -> None:
        self.port = port
        self.concurrency = concurrency
        self.processes = processes
        self.popen: list[subprocess.Popen] = []

    def start(self) -> None:
        env = {
            **os.environ,
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.port),
            # The limiter runs (Redis) but is set far above what the machine can do.
            "NEWSLETTER_RATE_PER_SECOND": os.environ.get("BENCH_RATE", "1000000"),
            # Persistent database connections, as in production.
            "CONN_MAX_AGE": "600",
        }
        from django.conf import settings

        # One worker takes both queues, as `make worker` does: the chunks run on the bulk queue.
        queues = f"{settings.CELERY_TASK_DEFAULT_QUEUE},{settings.BULK_QUEUE}"
        for i in range(self.processes):
            command = [
                sys.executable, "-m", "celery", "-A", "imc", "worker", "-Q", queues, "--loglevel=INFO",
                f"--concurrency={self.concurrency}", "--pool=prefork", "--without-gossip",
                "--without-mingle", "--without-heartbeat", f"--hostname=bench{i}-{os.getpid()}@%h",
            ]  # fmt: skip
            log = open(ROOT / f".bench-worker-{i}.log", "wb")  # noqa: SIM115 - lives as long as the worker
            self.popen.append(
                subprocess.Popen(
                    command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                )
            )
        # Wait until every worker says it is ready, so that start-up is not timed.
        deadline = time.monotonic() + 120
        for i in range(self.processes):
            log = ROOT / f".bench-worker-{i}.log"
            while b"ready." not in log.read_bytes():
                if time.monotonic() > deadline:
                    raise RuntimeError(log.read_text(errors="replace")[-2000:])
                time.sleep(0.2)

    def pids(self) -> list[int]:
        found = []
        groups = {p.pid for p in self.popen}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if os.getpgid(int(entry.name)) in groups:
                        found.append(int(entry.name))
                except (ProcessLookupError, PermissionError):
                    continue
        return found

    def peak_memory_mb(self) -> tuple[float, float]:
        """(largest single worker process, all worker processes together), peak RSS in MiB."""
        peaks = []
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks.append(int(line.split()[1]) / 1024)
            except OSError:
                continue
        return (max(peaks) if peaks else 0.0, sum(peaks))

    def stop(self) -> None:
        for process in self.popen:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for process in self.popen:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def pipeline(n: int, port: int, concurrency: int, processes: int, sink_pid: int) -> dict:
    from newsletter import services
    from newsletter.models import Delivery, DeliveryStatus, Newsletter, NewsletterStatus

    seed(n)
    coordinator = bench_coordinator()
    newsletter = make_issue()
    workers = Workers(port, concurrency, processes)
    workers.start()
    try:
        cpu_before = sum(cpu_seconds(pid) for pid in workers.pids()) + cpu_seconds(sink_pid) + database_backends_cpu()
        started = time.perf_counter()
        services.newsletter_send_now(newsletter=newsletter, by=coordinator)
        prepared_at = None
        while True:
            status, prepared = Newsletter.objects.filter(pk=newsletter.pk).values_list("status", "prepared").get()
            if prepared and prepared_at is None:
                prepared_at = time.perf_counter()
            if status == NewsletterStatus.SENT:
                break
            time.sleep(0.05)
        finished = time.perf_counter()
        cpu = sum(cpu_seconds(pid) for pid in workers.pids()) + cpu_seconds(sink_pid) + database_backends_cpu()
        peak_one, peak_all = workers.peak_memory_mb()
    finally:
        workers.stop()
    sent = Delivery.objects.filter(newsletter=newsletter, status=DeliveryStatus.SENT).count()
    assert sent == n, f"only {sent} of {n} deliveries sent"
    return {
        "rate": n / (finished - started),
        "send_rate": n / (finished - prepared_at),
        "prepare_seconds": prepared_at - started,
        "seconds": finished - started,
        "peak_one_mb": peak_one,
        "peak_all_mb": peak_all,
        "cpu_ms": (cpu - cpu_before) / n * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--concurrency", type=int, default=2, help="prefork pool size per worker")
    parser.add_argument("--processes", type=int, default=1, help="worker processes (each with its pool)")
    args = parser.parse_args()

    global LOAD_BEFORE
    LOAD_BEFORE = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    setup_environment()
    port = free_port()
    sink = start_sink(port)
    results = []
    try:
        for n in args.n:
            base, base_cpu = baseline(n, port, sink.pid)
            run = pipeline(n, port, args.concurrency, args.processes, sink.pid)
            run["base_cpu_ms"] = base_cpu
            results.append((n, base, run))
            print(
                f"N={n:>7}: baseline {base:7.0f} msg/s | pipeline {run['rate']:7.0f} msg/s end to end "
                f"({run['send_rate']:.0f} msg/s after {run['prepare_seconds']:.1f} s writing delivery rows) | "
                f"ratio {run['rate'] / base:.2f} | worker peak RSS {run['peak_one_mb']:.0f} MiB per process, "
                f"{run['peak_all_mb']:.0f} MiB all | CPU per message: baseline {base_cpu:.2f} ms, "
                f"pipeline {run['cpu_ms']:.2f} ms",
                flush=True,
            )
    finally:
        os.killpg(sink.pid, signal.SIGTERM)
    print()
    print(f"Machine: {platform.node()} · {os.cpu_count()} CPUs · {platform.platform()}")
    print(f"Python {platform.python_version()} · load average before the run: {LOAD_BEFORE}")
    print(f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · workers: {args.processes} x prefork {args.concurrency}")
    print()
    print(
        "| N | baseline smtplib msg/s | pipeline msg/s (end to end) | ratio | send phase msg/s "
        "| delivery rows written | worker peak RSS per process / all | CPU ms per message, baseline / pipeline |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for n, base, run in results:
        print(
            f"| {n:,} | {base:,.0f} | {run['rate']:,.0f} | {run['rate'] / base:.2f} | {run['send_rate']:,.0f} | "
            f"{run['prepare_seconds']:.1f} s | {run['peak_one_mb']:.0f} / {run['peak_all_mb']:.0f} MiB | "
            f"{run['base_cpu_ms']:.2f} / {run['cpu_ms']:.2f} |"
        )
    if results:
        n, base, run = results[-1]
        print(f"\nProjected 1,000,000-recipient send at the N={n:,} rate: {1_000_000 / run['rate'] / 60:.1f} minutes")
        cores = os.cpu_count() or 1
        print(
            f"CPU-bound ceiling of the pipeline on {cores} idle cores: {cores * 1000 / run['cpu_ms']:,.0f} msg/s "
            f"(1,000,000 in {1_000_000 / (cores * 1000 / run['cpu_ms']) / 60:.1f} minutes)"
        )
        if len(results) > 1:
            growth = results[-1][2]["peak_one_mb"] / results[0][2]["peak_one_mb"]
            print(f"Peak memory per worker process, N={results[-1][0]:,} / N={results[0][0]:,}: {growth:.2f}x")


if __name__ == "__main__":
    main()
