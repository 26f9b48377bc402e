"""One admin base for role scoping (``districts.admin_base.RoleScopedAdmin``), one rule set for all.

Every model admin scoped by role alone uses it; each says only who reads and what coordinators
may write. An outsider (a signed-in member, made staff or not) never sees these models; a staff
account that was deactivated sees none of them either (the districts' old base asked only
``is_staff``).
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from accounts.services import user_ensure
from districts.admin_base import Readers, RoleScopedAdmin
from tests.conftest import PASSWORD

ACTIONS = ("view", "add", "change", "delete")
# model label: (who reads, what coordinators write)
SCOPED = {
    "districts.district": (Readers.STAFF, {"add", "change", "delete"}),
    "districts.town": (Readers.STAFF, {"add", "change", "delete"}),
    "districts.zipcode": (Readers.STAFF, {"add", "change", "delete"}),
    "districts.boardseat": (Readers.STAFF, {"add", "change", "delete"}),
    "districts.team": (Readers.STAFF, {"add", "change", "delete"}),
    "events.rsvp": (Readers.COORDINATORS, set()),
    "events.reminder": (Readers.COORDINATORS, set()),
    "groups.relaymessage": (Readers.COORDINATORS, {"delete"}),
    "groups.teamvolunteer": (Readers.COORDINATORS, {"delete"}),
    "newsletter.newsletter": (Readers.COORDINATORS, set()),
    "newsletter.subscriber": (Readers.COORDINATORS, set()),
    "newsletter.delivery": (Readers.COORDINATORS, set()),
}


def _admin_for(label: str):
    for model, model_admin in admin.site._registry.items():
        if model._meta.label_lower == label:
            return model_admin
    raise AssertionError(f"{label} is not in the admin")


def _may(model_admin, user, action: str) -> bool:
    request = RequestFactory().get("/admin/")
    request.user = user
    if action == "add":
        return model_admin.has_add_permission(request)
    method = getattr(model_admin, f"has_{action}_permission")
    return method(request) and (action != "view" or model_admin.has_module_permission(request))


@pytest.fixture
def outsider_staff(db):
    """Staff without a role: neither a rep nor a coordinator."""
    user = user_ensure(email="stan@example.org", password=PASSWORD, first_name="Stan")
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def deactivated_rep(rep_ma3):
    rep_ma3.is_active = False
    rep_ma3.save()
    return rep_ma3


@pytest.mark.parametrize("label", SCOPED)
def test_each_role_scoped_admin_uses_the_one_base(label):
    assert isinstance(_admin_for(label), RoleScopedAdmin)


@pytest.mark.parametrize("label", SCOPED)
def test_coordinators_do_what_the_model_allows_and_reps_at_most_look(label, coordinator, rep_ma3, activist):
    readers, writes = SCOPED[label]
    model_admin = _admin_for(label)
    for action in ACTIONS:
        assert _may(model_admin, coordinator, action) == (action == "view" or action in writes), action
        assert _may(model_admin, rep_ma3, action) == (action == "view" and readers == Readers.STAFF), action
        assert not _may(model_admin, activist, action), action


@pytest.mark.parametrize("label", SCOPED)
def test_a_deactivated_staff_account_sees_none_of_them(label, deactivated_rep):
    model_admin = _admin_for(label)
    assert not any(_may(model_admin, deactivated_rep, action) for action in ACTIONS)


def test_staff_without_a_role_reads_reference_data_only(outsider_staff):
    for label, (readers, _writes) in SCOPED.items():
        assert _may(_admin_for(label), outsider_staff, "view") == (readers == Readers.STAFF), label
        assert not any(_may(_admin_for(label), outsider_staff, a) for a in ("add", "change", "delete")), label


def test_a_misspelt_write_is_refused_when_the_admin_is_defined():
    with pytest.raises(TypeError):
        type("Typo", (RoleScopedAdmin,), {"coordinator_writes": frozenset({"edit"})})
