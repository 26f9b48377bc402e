"""Counting attempts per key per hour in the cache: the one rate-limit rule of the portal's forms.

A key (an address, a client address) is stored only as a hash, so the cache holds nobody's
address. The window is the clock hour-long slot the attempt falls in; the first attempt of a slot
creates its counter with ``add`` (atomic on Redis and in local memory), later ones ``incr`` it.
Used by the newsletter's subscribe form (``newsletter.subscribe_limit``) and the guest RSVPs and
mailed links (``events.guest_limit``); each names its own limits.
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache

WINDOW_SECONDS = 3600


def hit(scope: str, key: str, limit: int) -> bool:
    """Count one attempt of ``key`` under ``scope``; False once it has used up ``limit`` attempts
    in the current hour."""
    digest = hashlib.sha256(key.strip().lower().encode()).hexdigest()[:32]
    cache_key = f"{scope}:{digest}:{int(time.time() // WINDOW_SECONDS)}"
    if cache.add(cache_key, 1, WINDOW_SECONDS):
        return limit >= 1
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, WINDOW_SECONDS)
        count = 1
    return count <= limit
