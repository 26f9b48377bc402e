"""Moderation of events in the admin: reps see and unpublish their districts' events only.

Scoping and permissions come from ``events.policy`` (the same rules the site's views use);
writes go through ``events.services``.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from districts.admin_base import RoleScopedAdmin
from events import policy, services
from events.models import Event, EventQuestion, EventStatus, Reminder, Rsvp


class EventQuestionInline(admin.TabularInline):
    """The questions the event asks, to read: organizers edit them on the site (the answers are
    theirs alone, so the admin shows no answers)."""

    model = EventQuestion
    fields = ["position", "label", "kind", "choices", "required"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["title", "starts_at", "status", "host_group", "town", "district"]
    list_filter = ["status", "event_type", "district"]
    search_fields = ["title", "slug"]
    date_hierarchy = "starts_at"
    actions = ["unpublish"]
    inlines = [EventQuestionInline]
    # Moderators look and unpublish; organizers edit on the site, where the emails and reminders
    # that a change owes are handled by the services.
    readonly_fields = [f.name for f in Event._meta.concrete_fields] + ["co_hosts"]
    # "View on site" opens the page only for those it would show the event to (imc.admin_site).
    site_visibility = staticmethod(policy.can_view)

    def get_queryset(self, request):
        return policy.moderated_events(request.user).select_related("host_group", "town", "district")

    def has_module_permission(self, request) -> bool:
        return policy.moderates_any(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        if obj is None:
            return self.has_module_permission(request)
        return policy.can_moderate(request.user, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Unpublish (take off the calendar)")
    def unpublish(self, request, queryset):
        done = 0
        for event in queryset.filter(status=EventStatus.PUBLISHED):
            try:
                services.event_unpublish(event=event, by=request.user)
            except PermissionDenied:
                continue
            done += 1
        self.message_user(request, f"{done} event(s) unpublished.", messages.SUCCESS)


class PersonalDataAdmin(RoleScopedAdmin):
    """RSVPs and reminders are personal data: only coordinators look at them, nobody edits."""


@admin.register(Rsvp)
class RsvpAdmin(PersonalDataAdmin):
    list_display = ["event", "user", "status", "status_changed_at", "attended"]
    list_filter = ["status"]
    raw_id_fields = ["event", "user"]


@admin.register(Reminder)
class ReminderAdmin(PersonalDataAdmin):
    list_display = ["rsvp", "kind", "due_at", "status", "sent_at", "skip_reason"]
    list_filter = ["status", "kind"]
    raw_id_fields = ["rsvp"]
