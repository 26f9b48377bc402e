"""API_THROTTLE_RATE is read once, at the start: a value DRF could not read stops the start
naming it, instead of a 500 at the first API request."""

from __future__ import annotations

import pytest

from tests.foundation.test_settings import setup


@pytest.mark.parametrize("rate", ["lots", "300", "300/fortnight", "-5/min"])
def test_a_bad_throttle_rate_stops_the_start_naming_the_variable(rate):
    result = setup(API_THROTTLE_RATE=rate)
    assert result.returncode != 0
    assert f"ImproperlyConfigured: API_THROTTLE_RATE={rate!r} is not a rate" in result.stderr


@pytest.mark.parametrize("rate", ["60/min", "5/s", "1000/hour", "20000/day"])
def test_a_rate_drf_reads_starts(rate):
    result = setup(API_THROTTLE_RATE=rate)
    assert result.returncode == 0, result.stderr
