"""The API's one limit: requests per client address, the address every limit of the portal counts
(``imc.net.client_ip``, behind ``TRUSTED_PROXY_COUNT`` proxies), not DRF's own reading of
``X-Forwarded-For``, which a visitor could choose."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from imc.net import client_ip


class ClientAddressThrottle(SimpleRateThrottle):
    scope = "api"

    def get_rate(self) -> str:
        # Read at each request (not frozen into DRF's settings at import): a test, or a deployer
        # through API_THROTTLE_RATE, changes it in one place.
        return settings.API_THROTTLE_RATE

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request._request) or "unknown"}
