"""Arbitrary text in the directory's filters and the submit form never gives a 500 or a half-write."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groups.models import Group

pytestmark = pytest.mark.django_db

ANY_TEXT = st.text(max_size=200)
# How many random inputs each test tries is the Hypothesis profile's (tests/conftest.py).
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(q=ANY_TEXT, town=ANY_TEXT, zip_code=ANY_TEXT, district=ANY_TEXT, page=ANY_TEXT)
def test_the_directory_never_fails_whatever_the_filters(client, lowell_group, q, town, zip_code, district, page):
    params = {"q": q, "town": town, "zip": zip_code, "district": district, "page": page}
    response = client.get("/groups/", params)
    # A NUL anywhere in an address is the one thing refused outright (imc.middleware), with a 400.
    assert response.status_code == (400 if any("\x00" in value for value in params.values()) else 200)


@FUZZ
@given(name=ANY_TEXT, description=ANY_TEXT, website=ANY_TEXT, home_town=ANY_TEXT)
def test_the_submit_form_never_fails_and_never_half_writes(client, activist, name, description, website, home_town):
    client.force_login(activist)
    before = Group.objects.count()
    response = client.post(
        "/groups/submit/", {"name": name, "description": description, "website": website, "home_town": home_town}
    )
    assert response.status_code in (200, 302)
    assert Group.objects.count() == before + (1 if response.status_code == 302 else 0)
