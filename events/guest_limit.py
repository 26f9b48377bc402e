"""Rate limits of guest RSVPs and of the mailed links: per address and per client address.

One person could otherwise fill an event with strangers' addresses (each stranger mailed a link
they never asked for) or mail one stranger again and again. Counted in the cache, per hour, by a
hash of the key (no address is stored in the cache). Hitting a limit says only that: the same
answer whether or not the address has an account or an RSVP.
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache

WINDOW_SECONDS = 3600
PER_ADDRESS = 3  # mails to one address an hour
PER_CLIENT = 10  # guest requests from one client address an hour


def hit(kind: str, key: str, limit: int) -> bool:
    """Count one attempt; False once this key has used up its attempts in the current hour."""
    digest = hashlib.sha256(key.strip().lower().encode()).hexdigest()[:32]
    cache_key = f"events:guest-rl:{kind}:{digest}:{int(time.time() // WINDOW_SECONDS)}"
    if cache.add(cache_key, 1, WINDOW_SECONDS):
        return limit >= 1
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, WINDOW_SECONDS)
        count = 1
    return count <= limit


def allowed(*, email: str, client: str | None) -> bool:
    """One guest request (or link request): both the address and the client must have room.

    The client is counted first, so a client over its limit does not use up the address's.
    """
    if client and not hit("client", client, PER_CLIENT):
        return False
    return hit("address", email, PER_ADDRESS)
