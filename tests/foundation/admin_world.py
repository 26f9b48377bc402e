"""The admin pages each member of the staff cast may open, derived from the admin site itself.

The list comes from ``admin.site._registry`` and each model admin's own permission methods, so a
model admin added later is covered without editing the tests that use it
(``test_admin_links.py``, the crawler; ``test_admin_accessibility.py``, axe). The objects are the
permission walk's world (``tests/trust/test_permissions.build_world``): one row of every model.
"""

from __future__ import annotations

from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

# Staff of the cast whose admin pages are walked. Organizers and members are not staff: every
# admin URL answers them 403 (the permission walk checks that), so they open no admin page.
ADMIN_ROLES = ("rep", "coordinator")


def _request_as(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def admin_pages(user, objects: dict) -> list[str]:
    """The admin's index, and for every model this person may look at: its app's index, its
    changelist, its add form if they may add, and the change (or view) form of one object.

    ``objects`` maps a model label (``groups.group``) to the object to open; a model without one,
    or whose object this person may not see, is opened with the first object its admin shows
    them. A model they may look at with no object at all fails: the walk would miss its form.
    """
    request = _request_as(user)
    pages = ["/admin/"]
    app_indexes: list[str] = []
    empty: list[str] = []
    for model, model_admin in admin.site._registry.items():
        if not (model_admin.has_module_permission(request) and model_admin.has_view_or_change_permission(request)):
            continue
        meta = model._meta
        info = f"{meta.app_label}_{meta.model_name}"
        app_index = reverse("admin:app_list", kwargs={"app_label": meta.app_label})
        if app_index not in app_indexes:
            app_indexes.append(app_index)
        pages.append(reverse(f"admin:{info}_changelist"))
        if model_admin.has_add_permission(request):
            pages.append(reverse(f"admin:{info}_add"))
        visible = model_admin.get_queryset(request)
        obj = objects.get(meta.label_lower)
        if obj is None or not visible.filter(pk=obj.pk).exists():
            obj = visible.order_by("pk").first()
        if obj is None or not model_admin.has_view_or_change_permission(request, obj):
            empty.append(meta.label_lower)
            continue
        pages.append(reverse(f"admin:{info}_change", args=[obj.pk]))
    assert not empty, f"no object to open for {empty}: give the world a row of each"
    return pages[:1] + app_indexes + pages[1:]


def admin_world(activist, rep_ma3, rep_ma5, coordinator, capture):
    """The permission walk's world, with the role groups a flushed database may have lost."""
    from django.contrib.auth.models import Group as AuthGroup

    from accounts.models import Role
    from tests.trust.test_permissions import build_world

    for role in Role:
        AuthGroup.objects.get_or_create(name=role.value)
    return build_world(activist, rep_ma3, rep_ma5, coordinator, capture)
