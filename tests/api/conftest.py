"""The API's cast: a few published events around Lowell and Worcester, and the secrets the API
must never give away (tests/api/test_privacy.py)."""

from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_throttle():
    """The throttle counts requests per client address in the cache: each test starts at zero."""
    cache.clear()
    yield
    cache.clear()
