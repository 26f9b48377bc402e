"""The profile's notification settings: each kind that can reach the member, as it happens (the
default) or in one daily digest, saved with the profile and refused whole when a value is wrong."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import NotificationKind, NotificationMode, NotificationPreference
from districts.models import Team

pytestmark = pytest.mark.django_db

EDIT = "/accounts/profile/edit/"


def _profile_post(user, **notify):
    data = {"first_name": user.first_name or "Someone", "last_name": "", "home": ""}
    data.update({f"notify-{kind}": mode for kind, mode in notify.items()})
    return data


def test_a_visitor_is_sent_to_sign_in_for_the_settings(client):
    response = client.post(EDIT, {"notify-join_request": "digest"})
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    assert not NotificationPreference.objects.exists()


def test_a_member_chooses_the_digest_for_join_requests(client, activist):
    client.force_login(activist)
    response = client.post(EDIT, _profile_post(activist, join_request="digest"))
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=activist, kind="join_request").mode == NotificationMode.DIGEST
    page = client.get("/accounts/profile/").content.decode()
    assert "Requests to join a group you organize" in page and "One daily digest" in page


def test_as_it_happens_is_the_default_shown_and_checked(client, activist):
    client.force_login(activist)
    html = client.get(EDIT).content.decode()
    assert re.search(r'name="notify-join_request" value="immediate"[^>]*checked', html)
    assert not re.search(r'name="notify-join_request" value="digest"[^>]*checked', html)
    assert "Each email as it happens" in client.get("/accounts/profile/").content.decode()


def test_only_the_kinds_that_can_reach_the_member_are_offered(client, activist, rep_ma3):
    Team.objects.create(name="Data", slug="data", lead=rep_ma3)
    client.force_login(activist)
    html = client.get(EDIT).content.decode()
    assert "notify-join_request" in html and "notify-team_offer" not in html and "notify-new_listing" not in html
    client.force_login(rep_ma3)
    html = client.get(EDIT).content.decode()
    assert all(f"notify-{kind}" in html for kind in NotificationKind.values)


def test_a_kind_not_offered_is_ignored(client, activist):
    client.force_login(activist)
    client.post(EDIT, _profile_post(activist, new_listing="digest"))
    assert not NotificationPreference.objects.filter(kind="new_listing").exists()


def test_a_mode_that_does_not_exist_is_a_form_error_and_nothing_is_saved(client, activist):
    client.force_login(activist)
    data = _profile_post(activist, join_request="hourly")
    data["first_name"] = "Changed"
    response = client.post(EDIT, data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    activist.refresh_from_db()
    assert activist.first_name == "Alice" and not NotificationPreference.objects.exists()


def test_the_profile_alone_keeps_the_settings(client, activist):
    NotificationPreference.objects.create(user=activist, kind="join_request", mode="digest")
    client.force_login(activist)
    assert client.post(EDIT, {"first_name": "Alicia", "last_name": "", "home": ""}).status_code == 302
    assert NotificationPreference.objects.get(user=activist).mode == "digest"


def test_the_service_refuses_an_unknown_setting_whole(activist):
    from accounts.services import notification_preferences_set

    with pytest.raises(ValueError):
        notification_preferences_set(user=activist, modes={"join_request": "digest", "join_request_x": "digest"})
    assert not NotificationPreference.objects.exists()
