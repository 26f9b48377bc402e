from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()  # the relay's rate limits count in the cache
    yield
    cache.clear()
