"""Rate limits of guest RSVPs and of the mailed links: per address and per client address.

One person could otherwise fill an event with strangers' addresses (each stranger mailed a link
they never asked for) or mail one stranger again and again. Counted per hour by ``imc.hourly_limit``
(no address is stored in the cache). Hitting a limit says only that: the same
answer whether or not the address has an account or an RSVP.
"""

from __future__ import annotations

from imc import hourly_limit

PER_ADDRESS = 3  # mails to one address an hour
PER_CLIENT = 10  # guest requests from one client address an hour


def hit(kind: str, key: str, limit: int) -> bool:
    """Count one attempt (``imc.hourly_limit``); False once this key has used up its attempts in
    the current hour."""
    return hourly_limit.hit(f"events:guest-rl:{kind}", key, limit)


def allowed(*, email: str, client: str | None) -> bool:
    """One guest request (or link request): both the address and the client must have room.

    The client is counted first, so a client over its limit does not use up the address's.
    """
    if client and not hit("client", client, PER_CLIENT):
        return False
    return hit("address", email, PER_ADDRESS)
