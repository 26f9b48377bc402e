"""Import sources in the admin: coordinators only (reps and everyone else are refused).

The coordinator who saves a source is the one the importer acts as (``ImportSource.acts_as``):
the events services check that person's right to host the events.
"""

from __future__ import annotations

from django.contrib import admin

from districts.admin_base import ADD, CHANGE, DELETE, RoleScopedAdmin
from groups.models import Group, GroupStatus
from imports.models import ImportSource


@admin.register(ImportSource)
class ImportSourceAdmin(RoleScopedAdmin):
    coordinator_writes = frozenset({ADD, CHANGE, DELETE})
    list_display = ["name", "mobilize_org_id", "host_group", "enabled", "last_success_at", "failures", "last_error"]
    list_filter = ["enabled"]
    search_fields = ["name"]
    # What the importer records: shown, never edited.
    readonly_fields = [
        "acts_as",
        "last_success_at",
        "last_attempt_at",
        "last_error",
        "failures",
        "next_attempt_at",
        "last_counts",
        "last_skipped",
        "created_at",
    ]
    fields = ["name", "mobilize_org_id", "host_group", "enabled", *readonly_fields]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "host_group":
            kwargs["queryset"] = Group.objects.filter(status=GroupStatus.APPROVED)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        obj.acts_as = request.user
        super().save_model(request, obj, form, change)
