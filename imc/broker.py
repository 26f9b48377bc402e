"""Publishing tasks without letting a broker outage reach the person at the keyboard.

The portal never trusts the broker to remember work: every unit of work is a database row first.
Publishing is only a nudge, so when Redis is away we skip it at once (a web request must not
wait seconds on redis-py's reconnect back-off) and the periodic sweepers queue the rows later.
"""

from __future__ import annotations

import logging
import socket
import time
from urllib.parse import urlparse

from celery import Task

logger = logging.getLogger(__name__)

# After a failed attempt, skip publishing for this long before trying the broker again.
DOWN_BACKOFF_SECONDS = 5.0
_down_until = 0.0


def _is_eager() -> bool:
    from imc.celery import app

    return bool(app.conf.task_always_eager)


def broker_reachable(timeout: float = 0.25) -> bool:
    """A cheap TCP check of the broker address (loopback or LAN: well under a millisecond)."""
    from imc.celery import app

    url = urlparse(app.conf.broker_url or "")
    if url.scheme not in {"redis", "rediss"}:
        return True
    try:
        with socket.create_connection((url.hostname or "127.0.0.1", url.port or 6379), timeout=timeout):
            return True
    except OSError:
        return False


def publish(task: Task, *args: object, **kwargs: object) -> bool:
    """Queue ``task`` with these arguments. Returns False, never raises, when the broker is away."""
    global _down_until
    if _is_eager():
        task.apply_async(args=args, kwargs=kwargs)
        return True
    if time.monotonic() < _down_until or not broker_reachable():
        _down_until = time.monotonic() + DOWN_BACKOFF_SECONDS
        logger.warning("Broker unreachable; %s%s left for the sweeper", task.name, args)
        return False
    try:
        task.apply_async(args=args, kwargs=kwargs)
    except Exception:  # any publish failure: the database row still holds the work
        _down_until = time.monotonic() + DOWN_BACKOFF_SECONDS
        logger.warning("Publishing %s%s failed; left for the sweeper", task.name, args, exc_info=True)
        return False
    return True


def reset_backoff() -> None:
    global _down_until
    _down_until = 0.0
