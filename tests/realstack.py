"""Real parts for the tests that need them: an SMTP server on loopback and Celery worker processes.

These tests run on SQLite (test database on disk) or PostgreSQL, and need Redis (REDIS_URL). On a
laptop without Redis they are skipped; under CI (CI=true) a missing piece fails the run instead,
so a skip can never hide a failure there.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def require(condition: bool, reason: str) -> None:
    """Skip on a laptop, fail under CI."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must run this test, but: {reason}")
    pytest.skip(reason)


def redis_url() -> str:
    url = settings.REDIS_URL or ""
    require(bool(url), "REDIS_URL is not set")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as exc:
        require(False, f"Redis at {url} does not answer: {exc}")
    return url


@dataclass
class ReceivedMail:
    envelope_from: str
    recipients: list[str]
    message: Message

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    def header(self, name: str) -> str:
        return str(self.message[name] or "")

    def text(self) -> str:
        parts = []
        for part in self.message.walk():
            if part.get_content_maintype() == "text":
                payload = part.get_payload(decode=True)
                if payload:
                    parts.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
        return "\n".join(parts)


@dataclass
class SmtpSink:
    """Collects every message an aiosmtpd server on loopback accepts."""

    host: str = "127.0.0.1"
    port: int = 0
    messages: list[ReceivedMail] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Addresses the server refuses with a permanent 550, to test suppression.
    refuse: set[str] = field(default_factory=set)
    # Addresses the server defers with a temporary 451 (greylisting, a full mailbox ...).
    defer: set[str] = field(default_factory=set)
    # Seconds the server takes over each message before it answers (a slow or distant server).
    # The message counts as received once the wait is over, whether or not the client still reads.
    delay: float = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 No such user here"
        if address.lower() in self.defer:
            return "451 4.7.1 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        mail = ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), message_from_bytes(envelope.content))
        with self.lock:
            self.messages.append(mail)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[ReceivedMail]:
        with self.lock:
            return [m for m in self.messages if address.lower() in (r.lower() for r in m.recipients)]

    def wait_for(self, count: int, timeout: float = 60.0) -> list[ReceivedMail]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.1)
        with self.lock:
            return list(self.messages)


def start_smtp_sink(delay: float = 0.0) -> tuple[SmtpSink, Controller]:
    sink = SmtpSink(port=free_port(), delay=delay)
    controller = Controller(sink, hostname=sink.host, port=sink.port, ready_timeout=10)
    controller.start()
    return sink, controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url_for_subprocess() -> str:
    """The address of the database this test runs on, for a worker process to share."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        name = str(db["NAME"])
        require(name != ":memory:" and "mode=memory" not in name, "SQLite test database is in memory")
        return f"sqlite:///{name}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


class CeleryWorker:
    """A real ``celery worker`` process against the test database, Redis and the SMTP sink."""

    def __init__(
        self,
        smtp: SmtpSink | None,
        extra_env: dict[str, str] | None = None,
        concurrency: int = 1,
        queues: tuple[str, ...] | None = None,
    ):
        from django.conf import settings

        self.smtp = smtp
        self.extra_env = extra_env or {}
        self.concurrency = concurrency
        # Like `make worker QUEUES=...` and the compose file's two workers; by default one worker
        # takes both queues, as a small deployment may.
        self.queues = queues or (settings.CELERY_TASK_DEFAULT_QUEUE, settings.BULK_QUEUE)
        self.process: subprocess.Popen | None = None
        self.log_path = ROOT / f".worker-{os.getpid()}-{id(self)}.log"

    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "imc.settings",
            "DATABASE_URL": database_url_for_subprocess(),
            "REDIS_URL": redis_url(),
            "PYTHONUNBUFFERED": "1",
        }
        if self.smtp is not None:
            env.update(
                {
                    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                    "EMAIL_HOST": self.smtp.host,
                    "EMAIL_PORT": str(self.smtp.port),
                }
            )
        env.update(self.extra_env)
        return env

    def start(self) -> CeleryWorker:
        command = [
            sys.executable, "-m", "celery", "-A", "imc", "worker",
            "--loglevel=INFO", f"--concurrency={self.concurrency}", "--pool=prefork", "-Q", ",".join(self.queues),
            "--without-gossip", "--without-mingle", "--without-heartbeat",
            f"--hostname=test-{os.getpid()}-{id(self)}@%h",
        ]  # fmt: skip
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Celery worker exited early:\n{self.log()}")
            if b"ready." in self.log_path.read_bytes():
                return
            time.sleep(0.2)
        raise RuntimeError(f"Celery worker not ready after {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and its children), as a crash would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def pause(self) -> None:
        """SIGSTOP the whole worker, as a stalled machine or a long garbage-collection pause would:
        it holds its sockets and database connection but does nothing until ``resume``."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        self.resume()  # a stopped process would never act on the SIGTERM
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.log_path.exists():
            self.log_path.unlink()
