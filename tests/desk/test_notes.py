"""The contact log: a rep records a check-in; the district's reps and coordinators read it, and
nobody else: not the group, its members, the public, nor the organizer's data download."""

from __future__ import annotations

import datetime
import json

import pytest
from django.utils import timezone

from desk import services
from desk.models import ContactMethod, ContactNote

pytestmark = pytest.mark.django_db

SECRET = "Treasurer seems burnt out"


def _url(group, district="ma-3"):
    return f"/desk/{district}/groups/{group.slug}/"


def _valid(**changes):
    today = timezone.localdate()
    data = {
        "contacted_on": today.isoformat(),
        "method": "call",
        "note": SECRET,
        "next_check_in": (today + datetime.timedelta(days=30)).isoformat(),
    }
    data.update(changes)
    return data


def test_rep_records_a_check_in_and_sees_it_on_the_groups_log(rep_client, rep_ma3, lowell_group):
    response = rep_client.post(_url(lowell_group), _valid())
    assert response.status_code == 302
    note = ContactNote.objects.get()
    assert (note.rep, note.group, note.method, note.note) == (rep_ma3, lowell_group, ContactMethod.CALL, SECRET)
    page = rep_client.get(_url(lowell_group)).content.decode()
    assert SECRET in page and "Phone call" in page


def test_another_rep_of_a_district_the_group_serves_and_a_coordinator_read_the_log(
    staff_client_factory, rep_ma3, coordinator, make_group
):
    shared = make_group("Billerica Together", ("Billerica", "Wilmington"))  # MA-3 and MA-6
    rep_ma6 = factories_user_rep("sam@example.org", "ma-6")
    services.contact_note_add(
        rep=rep_ma3, group=shared, contacted_on=timezone.localdate(), method=ContactMethod.CALL, note=SECRET
    )
    assert SECRET in staff_client_factory(rep_ma6).get(_url(shared, "ma-6")).content.decode()
    assert SECRET in staff_client_factory(coordinator).get(_url(shared, "ma-3")).content.decode()


def factories_user_rep(email: str, district: str):
    from accounts.models import Role
    from tests import factories
    from tests.conftest import _seat

    user = factories.user(email, first_name="Sam", roles=(Role.DISTRICT_REP,))
    _seat(user, district)
    return user


def test_notes_are_never_shown_to_the_group_its_members_or_the_public(
    client, rep_ma3, organizer, activist, lowell_group
):
    services.contact_note_add(
        rep=rep_ma3, group=lowell_group, contacted_on=timezone.localdate(), method=ContactMethod.CALL, note=SECRET
    )
    pages = [lowell_group.get_absolute_url(), "/groups/", "/districts/ma-3/", "/", "/embed/"]
    assert SECRET not in "".join(client.get(p).content.decode() for p in pages)
    for person in (organizer, activist):
        client.force_login(person)
        for path in [lowell_group.get_absolute_url(), "/accounts/profile/", f"/groups/{lowell_group.slug}/members/"]:
            assert SECRET not in client.get(path).content.decode()


def test_the_organizers_data_download_holds_no_note_about_their_group(client, rep_ma3, organizer, lowell_group):
    services.contact_note_add(
        rep=rep_ma3, group=lowell_group, contacted_on=timezone.localdate(), method=ContactMethod.CALL, note=SECRET
    )
    client.force_login(organizer)
    download = client.get("/accounts/data/")
    assert download.status_code == 200
    body = b"".join(download.streaming_content) if download.streaming else download.content
    assert SECRET not in body.decode()


def test_the_writing_reps_data_download_holds_the_notes_they_wrote(rep_ma3, lowell_group):
    from accounts.selectors import user_data

    services.contact_note_add(
        rep=rep_ma3, group=lowell_group, contacted_on=timezone.localdate(), method=ContactMethod.CALL, note=SECRET
    )
    data = json.loads(json.dumps(user_data(rep_ma3), default=str))
    assert data["desk"]["contact_notes"][0]["note"] == SECRET
    assert data["desk"]["contact_notes"][0]["group"] == "Lowell Indivisible"


def test_the_notes_go_with_the_writing_reps_account(rep_ma3, lowell_group):
    from accounts.services import user_delete

    services.contact_note_add(
        rep=rep_ma3, group=lowell_group, contacted_on=timezone.localdate(), method=ContactMethod.CALL, note=SECRET
    )
    user_delete(user=rep_ma3)
    assert not ContactNote.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"method": "carrier-pigeon"}, "Select a valid choice"),
        ({"contacted_on": "not a date"}, "Enter a valid date"),
        ({"contacted_on": "9999-12-31"}, "cannot be in the future"),
        ({"contacted_on": "1899-01-01"}, "too long ago"),
        ({"next_check_in": "2000-01-01"}, "after the check-in"),
        ({"note": "x" * 1001}, "at most 1000 characters"),
        ({"note": "bad\x00byte"}, "Null characters are not allowed"),
        ({"contacted_on": ""}, "This field is required"),
    ],
)
def test_a_bad_note_is_shown_again_with_a_clear_message_and_writes_nothing(rep_client, lowell_group, changes, message):
    response = rep_client.post(_url(lowell_group), _valid(**changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ContactNote.objects.exists()


def test_the_service_refuses_a_rep_of_another_district(rep_ma5, lowell_group):
    with pytest.raises(services.DeskError):
        services.contact_note_add(
            rep=rep_ma5, group=lowell_group, contacted_on=timezone.localdate(), method=ContactMethod.CALL, note="x"
        )
    assert not ContactNote.objects.exists()
