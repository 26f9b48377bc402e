"""Who opens the desk: the permission walk over every page and POST of the desk, with the cast.

Visitors are sent to sign in; members and organizers are refused (403); a rep opens their own
districts only (another district's desk, its group logs and its outreach are 404); coordinators
open everything, the statewide view included. Every refusal of a GET is also a refusal of a POST.
"""

from __future__ import annotations

import pytest
from django.test import Client

from desk.models import ContactNote
from outbox.models import OutboundEmail
from tests.conftest import staff_client_for

LOGIN = "login"


def _outcome(response) -> str:
    if response.status_code in (301, 302):
        return LOGIN if response["Location"].startswith("/accounts/login/") else "→" + response["Location"]
    return str(response.status_code)


@pytest.fixture
def cast(activist, organizer, rep_ma3, rep_ma5, coordinator, lowell_group, ma5_group):
    clients = {"anonymous": Client()}
    for name, user in (("activist", activist), ("organizer", organizer)):
        clients[name] = Client()
        clients[name].force_login(user)
    for name, user in (("rep_ma3", rep_ma3), ("rep_ma5", rep_ma5), ("coordinator", coordinator)):
        clients[name] = staff_client_for(user)
    return clients


ROLES = ("anonymous", "activist", "organizer", "rep_ma3", "rep_ma5", "coordinator")


def _row(*outcomes: str) -> dict[str, str]:
    return dict(zip(ROLES, outcomes, strict=True))


# url -> expected answer to a GET, per role. {lowell} / {metro} are the groups' slugs.
TABLE = {
    "/desk/": _row(LOGIN, "403", "403", "200", "200", "200"),
    "/desk/ma-3/": _row(LOGIN, "403", "403", "200", "404", "200"),
    "/desk/ma-5/": _row(LOGIN, "403", "403", "404", "200", "200"),
    "/desk/ma-3/groups/{lowell}/": _row(LOGIN, "403", "403", "200", "404", "200"),
    "/desk/ma-5/groups/{metro}/": _row(LOGIN, "403", "403", "404", "200", "200"),
    # A group is reached through a district it serves, nowhere else.
    "/desk/ma-3/groups/{metro}/": _row(LOGIN, "403", "403", "404", "404", "404"),
    "/desk/ma-3/reach-out/": _row(LOGIN, "403", "403", "200", "404", "200"),
    "/desk/ma-5/reach-out/": _row(LOGIN, "403", "403", "404", "200", "200"),
    "/desk/statewide/": _row(LOGIN, "403", "403", "403", "403", "200"),
    "/desk/statewide/health.csv": _row(LOGIN, "403", "403", "403", "403", "200"),
    "/desk/no-such-district/": _row(LOGIN, "403", "403", "404", "404", "404"),
}


def test_every_desk_page_answers_each_member_of_the_cast_as_the_table_says(cast, lowell_group, ma5_group):
    mismatches = []
    for template, expected in TABLE.items():
        url = template.format(lowell=lowell_group.slug, metro=ma5_group.slug)
        for role, want in expected.items():
            got = _outcome(cast[role].get(url))
            if got != want:
                mismatches.append(f"GET {url} as {role}: {got}, expected {want}")
            if want in {LOGIN, "403", "404"}:
                # A refused GET is a refused POST, with a form that would otherwise be valid.
                data = {
                    "contacted_on": "2026-01-05",
                    "method": "call",
                    "note": "x",
                    "groups": [lowell_group.pk],
                    "subject": "Hello",
                    "body": "Hi",
                }
                got = _outcome(cast[role].post(url, data))
                if got != want:
                    mismatches.append(f"POST {url} as {role}: {got}, expected {want}")
    assert not mismatches, "\n".join(mismatches)
    # The refused POSTs above wrote nothing and sent nothing.
    assert not ContactNote.objects.exists()
    assert not OutboundEmail.objects.filter(kind="desk.outreach").exists()


def test_rep_of_another_district_cannot_write_a_note_on_a_group_of_mine(cast, lowell_group):
    url = f"/desk/ma-3/groups/{lowell_group.slug}/"
    response = cast["rep_ma5"].post(url, {"contacted_on": "2026-01-05", "method": "call", "note": "sneaky"})
    assert response.status_code == 404
    assert not ContactNote.objects.exists()


def test_rep_cannot_reach_out_to_another_districts_group_through_their_own_desk(cast, ma5_group):
    response = cast["rep_ma3"].post(
        "/desk/ma-3/reach-out/", {"groups": [ma5_group.pk], "subject": "Hello", "body": "Hi there"}
    )
    assert response.status_code == 200  # the form again, with the choice refused
    assert "Select a valid choice" in response.content.decode()
    assert not OutboundEmail.objects.filter(kind="desk.outreach").exists()


def test_staff_without_a_second_factor_is_asked_for_one_before_the_desk_opens(client, rep_ma3):
    client.force_login(rep_ma3)
    response = client.get("/desk/ma-3/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/")


def test_a_rep_whose_term_has_ended_has_no_desk(rep_ma3, staff_client_factory):
    import datetime

    from districts.models import BoardSeat

    BoardSeat.objects.filter(user=rep_ma3).update(term_end=datetime.date(2025, 12, 31))
    assert staff_client_factory(rep_ma3).get("/desk/ma-3/").status_code == 403
