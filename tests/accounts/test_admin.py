"""Accounts in the admin: coordinators manage them, reps never see them, superusers stay out of reach."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from accounts.models import Role, User
from outbox.models import OutboundEmail
from outbox.services import email_queue

pytestmark = pytest.mark.django_db


def _change_form(user: User, **changes) -> dict:
    data = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "home_town": user.home_town_id or "",
        "is_active": "on" if user.is_active else "",
        "is_staff": "on" if user.is_staff else "",
        "groups": [g.pk for g in user.groups.all()],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_a_coordinator_makes_a_member_a_district_rep(staff_client_factory, coordinator, activist):
    client = staff_client_factory(coordinator)
    assert activist.email in client.get("/admin/accounts/user/?q=alice").content.decode()
    reps = Group.objects.get(name=Role.DISTRICT_REP.value)
    response = client.post(
        f"/admin/accounts/user/{activist.pk}/change/", _change_form(activist, is_staff="on", groups=[reps.pk])
    )
    assert response.status_code == 302
    activist.refresh_from_db()
    assert activist.is_staff
    assert activist.is_district_rep


def test_a_coordinator_cannot_grant_superuser_status(staff_client_factory, coordinator, activist):
    client = staff_client_factory(coordinator)
    client.post(
        f"/admin/accounts/user/{activist.pk}/change/", _change_form(activist, is_superuser="on", last_name="Changed")
    )
    activist.refresh_from_db()
    assert activist.last_name == "Changed"  # control: the form was accepted, only the flag was not
    assert not activist.is_superuser
    coordinator.refresh_from_db()
    client.post(f"/admin/accounts/user/{coordinator.pk}/change/", _change_form(coordinator, is_superuser="on"))
    coordinator.refresh_from_db()
    assert not coordinator.is_superuser


def test_a_coordinator_cannot_change_or_delete_a_superuser(staff_client_factory, coordinator):
    root = User.objects.create_superuser("root@example.org", "root-password-123456")
    client = staff_client_factory(coordinator)
    assert client.post(f"/admin/accounts/user/{root.pk}/change/", _change_form(root, first_name="X")).status_code == 403
    assert client.post(f"/admin/accounts/user/{root.pk}/delete/", {"post": "yes"}).status_code == 403
    client.post("/admin/accounts/user/", {"action": "delete_selected", "_selected_action": [root.pk], "post": "yes"})
    assert User.objects.filter(pk=root.pk).exists()


def test_deleting_an_account_in_the_admin_forgets_its_mail(staff_client_factory, coordinator, activist):
    email_queue(kind="test.notice", to=activist.email, subject="Hi", body_text="x")
    client = staff_client_factory(coordinator)
    response = client.post(f"/admin/accounts/user/{activist.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=activist.pk).exists()
    assert not OutboundEmail.objects.filter(to=activist.email).exists()


def test_a_rep_sees_no_accounts(staff_client_factory, rep_ma3, activist):
    client = staff_client_factory(rep_ma3)
    assert client.get("/admin/accounts/user/").status_code == 403
    assert client.get(f"/admin/accounts/user/{activist.pk}/change/").status_code == 403
    assert "/admin/accounts/user/" not in client.get("/admin/").content.decode()
