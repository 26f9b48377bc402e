"""The allies in the admin: coordinators keep the list and name the events held with each.

Reps read nothing here (the desk lists their districts' allies); the contact address is shown to
coordinators only, who keep it, and on no other page.
"""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from allies.models import Ally, AllyCohost
from allies.services import can_cohost
from districts.admin_base import ADD, CHANGE, DELETE, RoleScopedAdmin
from imc.admin_site import LabelledInlineFormSet


class AllyCohostInline(admin.TabularInline):
    model = AllyCohost
    formset = LabelledInlineFormSet
    extra = 0
    # Thousands of events: a raw id with the admin's lookup, not a select of all of them.
    raw_id_fields = ["event"]
    readonly_fields = ["added_at"]

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return can_cohost(request.user)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return can_cohost(request.user)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return can_cohost(request.user)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return can_cohost(request.user)


@admin.register(Ally)
class AllyAdmin(RoleScopedAdmin):
    coordinator_writes = frozenset({ADD, CHANGE, DELETE})
    list_display = ["name", "is_public", "website"]
    list_filter = ["is_public", "districts"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["districts"]
    fields = ["name", "slug", "website", "description", "districts", "is_public", "contact_email"]
    inlines = [AllyCohostInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
