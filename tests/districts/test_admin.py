"""Coordinators manage districts, towns, board seats and teams in the admin; reps may only look."""

from __future__ import annotations

import pytest

from districts.models import BoardRole, BoardSeat, District, Team, Town

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "/admin/districts/district/",
    "/admin/districts/town/",
    "/admin/districts/zipcode/",
    "/admin/districts/boardseat/",
    "/admin/districts/team/",
]


@pytest.mark.parametrize("path", CHANGELISTS)
def test_a_coordinator_opens_every_districts_list(staff_client_factory, coordinator, path):
    assert staff_client_factory(coordinator).get(path).status_code == 200


def test_a_coordinator_edits_a_district_description(staff_client_factory, coordinator):
    client = staff_client_factory(coordinator)
    district = District.objects.get(slug="ma-3")
    response = client.post(
        f"/admin/districts/district/{district.pk}/change/",
        {
            "number": district.number,
            "slug": district.slug,
            "name": district.name,
            "description": "Merrimack Valley and Metrowest.",
            "major_towns": district.major_towns,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    district.refresh_from_db()
    assert district.description == "Merrimack Valley and Metrowest."


def test_a_coordinator_seats_a_rep_on_the_board(staff_client_factory, coordinator, activist):
    client = staff_client_factory(coordinator)
    response = client.post(
        "/admin/districts/boardseat/add/",
        {
            "district": District.objects.get(slug="ma-5").pk,
            "user": activist.pk,
            "display_name": "Alice A.",
            "role": BoardRole.ALTERNATE,
            "term_start": "2026-02-01",
            "term_end": "",
            "bio": "Organizer from Lowell.",
        },
    )
    assert response.status_code == 302
    seat = BoardSeat.objects.get(display_name="Alice A.")
    assert (seat.user, seat.district.slug, seat.role) == (activist, "ma-5", BoardRole.ALTERNATE)


def test_a_coordinator_finds_people_for_a_seat_by_autocomplete(staff_client_factory, coordinator, activist):
    client = staff_client_factory(coordinator)
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "districts", "model_name": "boardseat", "field_name": "user", "term": "alice"},
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == [activist.email]


def test_a_coordinator_creates_a_team(staff_client_factory, coordinator):
    client = staff_client_factory(coordinator)
    response = client.post(
        "/admin/districts/team/add/",
        {"name": "Immigration", "slug": "immigration", "description": "", "how_to_help": "", "lead": coordinator.pk},
    )
    assert response.status_code == 302
    assert Team.objects.get(slug="immigration").lead == coordinator


def test_a_coordinator_edits_a_town_with_its_district_links(staff_client_factory, coordinator):
    client = staff_client_factory(coordinator)
    town = Town.objects.get(name="Lowell")
    page = client.get(f"/admin/districts/town/{town.pk}/change/")
    assert page.status_code == 200
    assert "MA-3" in page.content.decode()


@pytest.mark.parametrize("path", CHANGELISTS)
def test_a_rep_may_look_but_not_change(staff_client_factory, rep_ma3, path):
    client = staff_client_factory(rep_ma3)
    assert client.get(path).status_code == 200
    assert client.get(f"{path}add/").status_code == 403


def test_a_rep_cannot_edit_a_district(staff_client_factory, rep_ma3):
    client = staff_client_factory(rep_ma3)
    district = District.objects.get(slug="ma-3")
    response = client.post(
        f"/admin/districts/district/{district.pk}/change/",
        {"number": 3, "slug": "ma-3", "name": "Hijacked", "description": "", "major_towns": ""},
    )
    assert response.status_code == 403  # refused, not merely an invalid form
    district.refresh_from_db()
    assert district.name != "Hijacked"
