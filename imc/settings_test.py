"""Settings for the test suite: ``imc.settings`` with what only costs time in a test.

- Passwords are hashed with MD5: the cast signs in hundreds of times and the hasher's cost is
  not what those tests check. The one test that measures the production hasher
  (tests/accounts/test_signup_timing.py) sets PBKDF2 itself.
- SQLite does not wait for the disk at each commit (``synchronous=OFF``).
- The anonymous page cache is off: a stored page would hide what a test changed a moment
  before. The tests about the cache turn it on with the ``page_cache`` fixture or marker
  (tests/conftest.py).

Real-stack tests start Celery workers with ``imc.settings`` (tests/realstack.py), as a
deployment would.
"""

import os

from imc.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

PAGE_CACHE_SECONDS = 0

# A test database is thrown away: SQLite need not wait for the disk at every commit (the
# migrations, each transactional test and its flush commit; on a busy laptop each fsync waits).
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    _options = DATABASES["default"]["OPTIONS"]  # noqa: F405
    _options["init_command"] = f"{_options.get('init_command', '')};PRAGMA synchronous=OFF".lstrip(";")

# Under pytest-xdist the unit tier's workers share the Redis database of REDIS_URL: each keeps its
# cache keys apart, and clearing the cache clears only its own (tests/cache.py).
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if _XDIST_WORKER and CACHES["default"]["BACKEND"] == "imc.cache.ResilientRedisCache":  # noqa: F405
    CACHES["default"] = {  # noqa: F405
        **CACHES["default"],  # noqa: F405
        "BACKEND": "tests.cache.WorkerRedisCache",
        "KEY_PREFIX": f"test-{_XDIST_WORKER}",
    }
