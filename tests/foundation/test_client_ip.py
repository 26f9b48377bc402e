"""imc.net.client_ip: the address the rate limits count, behind proxies or not."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from imc.net import client_ip

factory = RequestFactory()


def _request(remote: str = "10.0.0.2", forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return factory.get("/", **extra)


def test_without_proxies_the_forwarded_header_is_a_visitors_claim_and_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request("198.51.100.7", forwarded="203.0.113.1")) == "198.51.100.7"


def test_behind_one_proxy_the_rightmost_entry_is_the_visitor(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The visitor wrote 6.6.6.6 themselves; the proxy appended the address it really saw.
    assert client_ip(_request(forwarded="6.6.6.6, 203.0.113.9")) == "203.0.113.9"


def test_behind_two_proxies_the_entry_two_from_the_right(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request(forwarded="6.6.6.6, 203.0.113.9, 10.0.0.5")) == "203.0.113.9"


@pytest.mark.parametrize("forwarded", [None, "", "not-an-address", "203.0.113.9"])
def test_a_missing_short_or_garbled_header_falls_back_to_the_connection(settings, forwarded):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request("10.0.0.2", forwarded=forwarded)) == "10.0.0.2"


def test_ipv6_addresses_are_normalised(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request(forwarded="2001:DB8:0:0::1")) == "2001:db8::1"


@pytest.mark.django_db
def test_visitors_behind_the_same_proxy_have_limits_of_their_own(client, settings):
    from django.core.cache import cache

    cache.clear()  # the limits count in the cache
    settings.TRUSTED_PROXY_COUNT = 1
    settings.NEWSLETTER_SUBSCRIBE_LIMIT_PER_IP = 2
    proxy = {"REMOTE_ADDR": "10.0.0.2"}

    def subscribe(n: int, visitor: str) -> int:
        data = {"email": f"reader{n}@example.org", "source": "page"}
        return client.post("/newsletter/", data, HTTP_X_FORWARDED_FOR=visitor, **proxy).status_code

    assert [subscribe(n, "203.0.113.1") for n in range(3)] == [302, 302, 429]
    assert subscribe(10, "203.0.113.2") == 302  # another visitor, same proxy: not limited
    # Spoofing the left of the header does not buy a new limit.
    assert subscribe(11, "1.2.3.4, 203.0.113.1") == 429
