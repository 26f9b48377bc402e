"""Arbitrary input at every query parameter of the API: a 200 or a 400 that names the problem,
never a 500 (the strategies are the ones of tests/trust/test_fuzz_inputs.py)."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.trust.test_fuzz_inputs import ANY_TEXT, DATEISH, FUZZ, NUMBERISH

pytestmark = pytest.mark.django_db

NAMES = ["updated_since", "starts_after", "starts_before", "zip", "max_dist", "district", "group", "type",
         "accessibility", "online", "cursor", "per_page"]  # fmt: skip


@FUZZ
@given(
    values=st.fixed_dictionaries({name: st.one_of(ANY_TEXT, NUMBERISH, DATEISH) for name in NAMES}),
    accessibility=st.lists(ANY_TEXT, max_size=3),
)
@example(values=dict.fromkeys(NAMES, "\x00"), accessibility=["\x00"])
@example(values={**dict.fromkeys(NAMES, ""), "updated_since": "9" * 40, "starts_after": "99999-01-01",
                 "cursor": "WzEsMl0", "max_dist": "1e309", "per_page": "١٢"}, accessibility=["asl"])  # fmt: skip
@example(values={**dict.fromkeys(NAMES, ""), "cursor": "WyJub3QgYSBkYXRlIiwgMV0"}, accessibility=[])
def test_the_api_never_fails_whatever_the_query(client, settings, values, accessibility):
    settings.API_THROTTLE_RATE = "100000/min"
    params = {**values, "accessibility": accessibility}
    nul = any("\x00" in v for v in [*values.values(), *accessibility])
    for url in ("/api/v1/events/", "/api/v1/groups/", "/api/v1/teams/"):
        response = client.get(url, params)
        assert response.status_code in ((400,) if nul else (200, 400)), (url, params, response.content[:300])
