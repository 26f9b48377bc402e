"""The global send rate: messages per second across every worker process, surviving restarts.

A reservation scheme (the "theoretical arrival time" of GCRA): one shared number says when the
next message may leave. A worker reserves ``n`` messages by moving that number ``n / rate``
seconds forward and sleeps until its reservation starts. The number lives in Redis when there
is one (a Lua script makes the read-and-move atomic, with Redis' own clock so that workers on
different machines agree) and otherwise in a database row locked for the update.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import transaction

from newsletter.models import RateBucket

BUCKET = "newsletter-send"
# Seconds of sending that may be reserved ahead at once without waiting (a small burst).
BURST_SECONDS = 0.2

_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
redis.call('SET', KEYS[1], tostring(tat + tonumber(ARGV[1])), 'EX', 86400)
return tostring(tat - now)
"""


class RateLimiter:
    def __init__(self, rate_per_second: float) -> None:
        self.rate = rate_per_second

    @property
    def unlimited(self) -> bool:
        return self.rate <= 0

    def grant_size(self, most: int) -> int:
        """How many messages to reserve at once: about a tenth of a second's worth."""
        if self.unlimited:
            return most
        return max(1, min(most, int(self.rate / 10)))

    def reserve(self, count: int) -> float:
        """Reserve ``count`` messages; returns the seconds to wait before sending them."""
        if self.unlimited:
            return 0.0
        ahead = self._reserve(count / self.rate)
        return max(0.0, ahead - BURST_SECONDS)

    def _reserve(self, seconds: float) -> float:
        raise NotImplementedError


class RedisRateLimiter(RateLimiter):
    def __init__(self, rate_per_second: float, url: str) -> None:
        super().__init__(rate_per_second)
        import redis

        self.client = redis.Redis.from_url(url)
        self.script = self.client.register_script(_LUA)

    def _reserve(self, seconds: float) -> float:
        return float(self.script(keys=[f"imc:{BUCKET}"], args=[repr(seconds)]))


class DatabaseRateLimiter(RateLimiter):
    def _reserve(self, seconds: float) -> float:
        with transaction.atomic():
            bucket = RateBucket.objects.select_for_update().filter(name=BUCKET).first()
            if bucket is None:
                bucket, _ = RateBucket.objects.get_or_create(name=BUCKET)
            now = time.time()
            start = max(bucket.next_free, now)
            RateBucket.objects.filter(name=BUCKET).update(next_free=start + seconds)
            return start - now


def rate_limiter() -> RateLimiter:
    rate = settings.NEWSLETTER_RATE_PER_SECOND
    if settings.REDIS_URL:
        return RedisRateLimiter(rate, settings.REDIS_URL)
    return DatabaseRateLimiter(rate)
