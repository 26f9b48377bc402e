"""Property-based tests: arbitrary strings at every query parameter and form never give a 500."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

ANY_TEXT = st.text(max_size=300)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(q=ANY_TEXT)
def test_find_never_fails_whatever_the_query(client, q):
    response = client.get("/find/", {"q": q})
    assert response.status_code == 200


@FUZZ
@given(home=ANY_TEXT, first=ANY_TEXT)
def test_profile_form_never_fails_and_never_half_saves(client, activist, home, first):
    client.force_login(activist)
    before = (activist.first_name, activist.home_town_id)
    response = client.post("/accounts/profile/edit/", {"first_name": first, "last_name": "", "home": home})
    assert response.status_code in (200, 302)
    activist.refresh_from_db()
    if response.status_code == 200:
        assert (activist.first_name, activist.home_town_id) == before
    else:
        activist.first_name, activist.home_town_id = before
        activist.save()
