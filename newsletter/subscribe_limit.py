"""Limits of the subscribe form: attempts per IP address and per email address, per hour
(``NEWSLETTER_SUBSCRIBE_LIMIT_PER_IP``, ``..._PER_ADDRESS``), counted by ``imc.hourly_limit``."""

from __future__ import annotations

from imc import hourly_limit


def hit(kind: str, key: str, limit: int) -> bool:
    """Count one attempt; False when this key has used up its attempts in the current hour."""
    return hourly_limit.hit(f"newsletter:rl:{kind}", key, limit)
