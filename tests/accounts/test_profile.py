"""The member's profile: home town places them in a district."""

from __future__ import annotations

import pytest

from districts.models import Town

pytestmark = pytest.mark.django_db


def test_a_visitor_is_sent_to_sign_in_for_the_profile(client):
    for path in ("/accounts/profile/", "/accounts/profile/edit/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_the_profile_shows_the_members_town_and_district(client, activist):
    client.force_login(activist)
    page = client.get("/accounts/profile/").content.decode()
    assert activist.email in page
    assert "Lowell" in page
    assert 'href="/districts/ma-3/"' in page


@pytest.mark.parametrize(
    ("home", "town", "district"),
    [("01852", "Lowell", "ma-3"), ("Hyannis", "Barnstable", "ma-9"), ("foxboro", "Foxborough", "ma-4")],
)
def test_a_town_or_zip_sets_the_home_town_and_district(client, activist, home, town, district):
    client.force_login(activist)
    response = client.post("/accounts/profile/edit/", {"first_name": "Alicia", "last_name": "Smith", "home": home})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    activist.refresh_from_db()
    assert activist.first_name == "Alicia"
    assert activist.home_town.name == town
    assert activist.home_district.slug == district


def test_an_unknown_place_is_a_form_error_and_nothing_is_saved(client, activist):
    client.force_login(activist)
    response = client.post("/accounts/profile/edit/", {"first_name": "Changed", "last_name": "", "home": "Atlantis"})
    assert response.status_code == 200
    assert "was not found in Massachusetts" in response.context["form"].errors["home"][0]
    activist.refresh_from_db()
    assert activist.first_name == "Alice"
    assert activist.home_town == Town.objects.get(name="Lowell")


def test_a_zip_outside_massachusetts_is_refused(client, activist):
    client.force_login(activist)
    response = client.post("/accounts/profile/edit/", {"first_name": "Alice", "last_name": "", "home": "10001"})
    assert response.status_code == 200
    assert response.context["form"].errors["home"]


def test_an_empty_home_clears_it(client, activist):
    client.force_login(activist)
    client.post("/accounts/profile/edit/", {"first_name": "Alice", "last_name": "", "home": ""})
    activist.refresh_from_db()
    assert activist.home_town is None
