"""The cache of one pytest-xdist worker when the suite runs with Redis (see imc.settings_test).

The workers of the unit tier share the Redis database in REDIS_URL. Each keeps its keys under
its own prefix, and ``clear()`` (which tests call to reset rate limits) deletes only those: a
``flushdb`` would empty the other worker's cache in the middle of its test.
"""

from __future__ import annotations

from imc.cache import ResilientRedisCache


class WorkerRedisCache(ResilientRedisCache):
    def clear(self):
        def clear_prefix() -> bool:
            client = self._cache.get_client(None, write=True)
            keys = list(client.scan_iter(match=f"{self.key_prefix}:*", count=1000))
            if keys:
                client.delete(*keys)
            return True

        return self._attempt(clear_prefix, False)
