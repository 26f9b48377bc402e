"""The cache must not take the site down with Redis.

Production keeps the cache, the Celery broker and the newsletter's rate limiter in one Redis. When
it is away, Django's own Redis cache raises on every call, so sign-up, login and the subscribe
form (whose rate limits count attempts in the cache) would answer 500 while the rest of the
portal, whose work is recorded in PostgreSQL, could carry on. This backend turns a Redis failure
into a cache miss instead.

The trade-off we accept: while Redis is away, the limits counted in the cache (allauth's login and
sign-up limits, the subscribe form's) are not enforced, and ``add`` reports success so that
allauth's short cache lock cannot spin. An outage of minutes is better served open than shut;
the relay form's limits count database rows and hold throughout.
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

FAILURES = (RedisConnectionError, RedisTimeoutError, OSError)
# After a failure, skip Redis for this long: a blackholed host would cost a connect timeout per call.
DOWN_BACKOFF_SECONDS = 5.0


class ResilientRedisCache(RedisCache):
    _down_until = 0.0

    def _attempt(self, call, fallback):
        if time.monotonic() < self._down_until:
            return fallback
        try:
            return call()
        except FAILURES as exc:
            self._down_until = time.monotonic() + DOWN_BACKOFF_SECONDS
            logger.warning("Cache unreachable, serving without it for %ss: %s", DOWN_BACKOFF_SECONDS, exc)
            return fallback

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt(lambda: super(ResilientRedisCache, self).add(key, value, timeout, version), True)

    def get(self, key, default=None, version=None):
        return self._attempt(lambda: super(ResilientRedisCache, self).get(key, default, version), default)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt(lambda: super(ResilientRedisCache, self).set(key, value, timeout, version), None)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt(lambda: super(ResilientRedisCache, self).touch(key, timeout, version), False)

    def delete(self, key, version=None):
        return self._attempt(lambda: super(ResilientRedisCache, self).delete(key, version), False)

    def get_many(self, keys, version=None):
        return self._attempt(lambda: super(ResilientRedisCache, self).get_many(keys, version), {})

    def has_key(self, key, version=None):
        return self._attempt(lambda: super(ResilientRedisCache, self).has_key(key, version), False)

    def incr(self, key, delta=1, version=None):
        # The first of a count: the callers (rate limits) then allow the attempt.
        return self._attempt(lambda: super(ResilientRedisCache, self).incr(key, delta, version), delta)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt(lambda: super(ResilientRedisCache, self).set_many(data, timeout, version), [])

    def delete_many(self, keys, version=None):
        return self._attempt(lambda: super(ResilientRedisCache, self).delete_many(keys, version), None)

    def clear(self):
        return self._attempt(lambda: super(ResilientRedisCache, self).clear(), False)
