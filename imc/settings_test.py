"""Settings for the test suite: ``imc.settings`` with what only costs time in a test.

- Passwords are hashed with MD5: the cast signs in hundreds of times and the hasher's cost is
  not what those tests check. The one test that measures the production hasher
  (tests/accounts/test_signup_timing.py) sets PBKDF2 itself.
- The anonymous page cache is off: a stored page would hide what a test changed a moment
  before. The tests about the cache turn it on with the ``page_cache`` fixture or marker
  (tests/conftest.py).

Real-stack tests start Celery workers with ``imc.settings`` (tests/realstack.py), as a
deployment would.
"""

from imc.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

PAGE_CACHE_SECONDS = 0
