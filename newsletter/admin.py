from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from districts.admin_base import RoleScopedAdmin
from newsletter import selectors
from newsletter.models import Delivery, Newsletter, Subscriber
from newsletter.policy import can_view_issue


@admin.register(Newsletter)
class NewsletterAdmin(RoleScopedAdmin):
    """Read-only list and detail; composing and sending happen on the staff page it links to."""

    list_display = [
        "subject",
        "status",
        "failure_reason",
        "scheduled_at",
        "started_at",
        "sent_at",
        "recipient_count",
        "open_page",
    ]
    list_filter = ["status"]
    search_fields = ["subject"]
    # "View on site": the archive page, once the issue went out (imc.admin_site).
    site_visibility = staticmethod(can_view_issue)
    readonly_fields = ["open_page", "progress_numbers", "failure_reason"]
    fields = [
        "open_page",
        "progress_numbers",
        "subject",
        "preheader",
        "body_markdown",
        "status",
        "failure_reason",
        "audience_all",
        "districts",
        "include_events",
        "scheduled_at",
        "started_at",
        "sent_at",
        "recipient_count",
    ]

    @admin.display(description="Compose, send and watch")
    def open_page(self, obj: Newsletter) -> str:
        return format_html('<a href="{}">Open the newsletter page</a>', reverse("newsletter:staff_edit", args=[obj.pk]))

    @admin.display(description="Progress")
    def progress_numbers(self, obj: Newsletter) -> str:
        p = selectors.progress(obj)
        return f"{p.sent} sent, {p.failed} failed, {p.skipped} skipped, {p.pending} remaining of {p.total}"

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "title": "Newsletters (compose at /newsletter/staff/)"}
        return super().changelist_view(request, extra_context)


@admin.register(Subscriber)
class SubscriberAdmin(RoleScopedAdmin):
    list_display = ["email", "name", "district", "status", "suppressed", "consent_source", "consent_at"]
    list_filter = ["status", "suppressed", "district", "consent_source"]
    search_fields = ["email", "name"]
    list_select_related = ["district"]
    # A subscriber's pages (preferences, unsubscribe) are reached by secret links only.
    view_on_site = False
    show_full_result_count = False


@admin.register(Delivery)
class DeliveryAdmin(RoleScopedAdmin):
    list_display = ["newsletter", "subscriber", "status", "bounced", "sent_at", "error"]
    list_filter = ["status", "bounced"]
    raw_id_fields = ["newsletter", "subscriber"]
    list_select_related = ["newsletter", "subscriber"]
    view_on_site = False  # a delivery's links carry its subscriber's secret tokens
    show_full_result_count = False
