import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_page_has_the_place_form(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b'action="/find/"' in response.content


@pytest.mark.parametrize(
    ("query", "must_contain"),
    [
        ("Boston", ["MA-7", "MA-8", "split between 2 districts"]),
        ("01852", ["Lowell", "MA-3"]),
        ("Hyannis", ["Barnstable", "MA-9"]),
        ("Foxboro", ["Foxborough", "MA-4"]),
    ],
)
def test_find_page_shows_the_town_and_its_districts(client, query, must_contain):
    response = client.get("/find/", {"q": query})
    assert response.status_code == 200
    text = response.content.decode()
    for fragment in must_contain:
        assert fragment in text


def test_find_page_lists_the_primary_district_first_for_a_split_town(client):
    text = client.get("/find/", {"q": "Cambridge"}).content.decode()
    assert text.index("/districts/ma-7/") < text.index("/districts/ma-5/")


@pytest.mark.parametrize("query", ["Springfeld", "90210", "Narnia", "%00", "' OR 1=1 --", "x" * 500])
def test_an_unknown_place_gets_a_clear_message_never_a_500(client, query):
    response = client.get("/find/", {"q": query})
    assert response.status_code == 200
    text = response.content.decode()
    assert "not found in Massachusetts" in text or "Ensure this value has at most" in text


def test_a_misspelling_offers_a_link_to_the_near_spelling(client):
    text = client.get("/find/", {"q": "Springfeld"}).content.decode()
    assert "Did you mean" in text and "/find/?q=Springfield" in text


def test_empty_find_shows_the_form_only(client):
    response = client.get("/find/")
    assert response.status_code == 200
    assert b"not found" not in response.content


def test_district_list_shows_all_nine(client):
    text = client.get(reverse("districts:list")).content.decode()
    for n in range(1, 10):
        assert f'href="/districts/ma-{n}/"' in text


def test_district_page_shows_towns_and_current_board_reps(client, rep_ma3):
    text = client.get("/districts/ma-3/").content.decode()
    assert "Lowell" in text and "Fitchburg" in text
    assert rep_ma3.get_full_name() in text
    assert rep_ma3.email not in text


def test_a_board_seat_whose_term_ended_is_not_shown(client, rep_ma3):
    import datetime

    assert rep_ma3.get_full_name() in client.get("/districts/ma-3/").content.decode()  # control: a current seat
    rep_ma3.board_seats.update(term_end=datetime.date(2025, 6, 1))
    assert rep_ma3.get_full_name() not in client.get("/districts/ma-3/").content.decode()


def test_unknown_district_is_a_404(client):
    assert client.get("/districts/ma-10/").status_code == 404


def test_about_page_credits_the_data_sources(client):
    text = client.get("/about/").content.decode()
    assert "February 2020" in text
    assert "ZIP code locations from GeoNames, CC BY 4.0" in text


def test_signed_in_member_sees_their_profile_and_district(client, activist):
    client.force_login(activist)
    text = client.get("/accounts/profile/").content.decode()
    assert "Lowell" in text and "MA-3" in text


def test_profile_edit_with_an_unknown_town_changes_nothing(client, activist):
    client.force_login(activist)
    response = client.post("/accounts/profile/edit/", {"first_name": "Changed", "last_name": "", "home": "Narnia"})
    assert response.status_code == 200
    assert "not found in Massachusetts" in response.content.decode()
    activist.refresh_from_db()
    assert activist.first_name == "Alice" and activist.home_town.name == "Lowell"


def test_profile_edit_with_a_zip_sets_the_home_town(client, activist):
    client.force_login(activist)
    response = client.post("/accounts/profile/edit/", {"first_name": "Alice", "last_name": "B", "home": "02601"})
    assert response.status_code == 302
    activist.refresh_from_db()
    assert activist.home_town.name == "Barnstable"
