"""Cache-based limits for the subscribe form: per IP address and per email address, per hour."""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache

WINDOW_SECONDS = 3600


def hit(kind: str, key: str, limit: int) -> bool:
    """Count one attempt; False when this key has used up its attempts in the current window."""
    digest = hashlib.sha256(key.strip().lower().encode()).hexdigest()[:32]
    cache_key = f"newsletter:rl:{kind}:{digest}:{int(time.time() // WINDOW_SECONDS)}"
    if cache.add(cache_key, 1, WINDOW_SECONDS):
        return limit >= 1
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, WINDOW_SECONDS)
        count = 1
    return count <= limit
