"""The visitor's address, the one the rate limits count.

Behind ``TRUSTED_PROXY_COUNT`` reverse proxies (0 by default: the server faces the visitors),
``REMOTE_ADDR`` is the nearest proxy's address, and every visitor would share one limit. Each
proxy appends the address it got the request from to ``X-Forwarded-For``, so the visitor is the
entry that many places from the right; anything further left was written by the visitor and is
not believed. allauth's own limits (sign-in, sign-up) read the same setting
(``ALLAUTH_TRUSTED_PROXY_COUNT``), so all the portal's limits count the same address.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(address: str | None) -> str | None:
    if not address:
        return None
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    hops = settings.TRUSTED_PROXY_COUNT
    forwarded = request.headers.get("X-Forwarded-For", "")
    if hops > 0 and forwarded:
        entries = [entry.strip() for entry in forwarded.split(",")]
        if len(entries) >= hops:
            found = _valid(entries[-hops])
            if found:
                return found
    return _valid(request.META.get("REMOTE_ADDR"))
