"""Moderation in the admin. Every permission question goes to ``groups.policy``; every change goes
through ``groups.services``. A group a rep does not moderate is a 404 by any admin URL."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from districts.admin_base import DELETE, RoleScopedAdmin
from districts.policy import is_coordinator
from groups import policy, services
from groups.forms import TOWN_OUT_OF_REACH, ReasonForm
from groups.models import ClaimStatus, Group, GroupClaim, GroupStatus, RelayMessage, TeamVolunteer

DECISIONS = {
    "approve": ("Approve", services.group_approve),
    "reject": ("Reject", services.group_reject),
    "archive": ("Archive", services.group_archive),
}


def is_moderator(request: HttpRequest) -> bool:
    return is_coordinator(request.user) or bool(policy.moderated_district_ids(request.user))


class ModeratedDistrictFilter(admin.SimpleListFilter):
    """Filter by district, offering only the districts this moderator looks after."""

    title = "district"
    parameter_name = "district"

    def lookups(self, request, model_admin):
        return [(str(d.pk), d.code) for d in policy.moderated_districts(request.user)]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.serving_district_ids({int(self.value())})
        return queryset


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["name", "district", "status", "is_stale", "last_confirmed", "created_at"]
    list_filter = ["status", "is_stale", ModeratedDistrictFilter]
    search_fields = ["name", "search_text"]
    list_select_related = ["district"]
    filter_horizontal = ["towns"]
    actions = ["approve_selected", "reject_selected", "archive_selected"]
    # "View on site" opens the page only for those it would show the group to (imc.admin_site).
    site_visibility = staticmethod(policy.can_view)
    fields = [
        "name",
        "slug",
        "status",
        "district",
        "home_town",
        "towns",
        "description",
        "meeting_pattern",
        "website",
        "facebook_url",
        "instagram_url",
        "bluesky_url",
        "requires_approval",
        "submitted_by",
        "created_at",
        "approved_at",
        "last_confirmed",
        "is_stale",
        "decision_buttons",
        "moderation_history",
    ]
    readonly_fields = [
        "slug",
        "status",
        "district",
        "submitted_by",
        "created_at",
        "approved_at",
        "last_confirmed",
        "is_stale",
        "decision_buttons",
        "moderation_history",
    ]

    # --- Who sees what: all from groups.policy -----------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> QuerySet[Group]:
        return policy.moderated_groups(request.user).select_related("district")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_moderator(request)

    def has_view_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return policy.can_moderate(request.user, obj) if obj is not None else is_moderator(request)

    def has_change_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return policy.can_add_in_admin(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return policy.can_delete(request.user)

    def _visible_or_404(self, request: HttpRequest, object_id: str) -> Group:
        group = self.get_object(request, unquote(object_id))
        if group is None:
            raise Http404("No such group")
        return group

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._visible_or_404(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._visible_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._visible_or_404(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        """Town choices are those ``groups.policy.assignable_towns`` gives this person for this group."""
        form = super().get_form(request, obj, change, **kwargs)
        allowed = policy.assignable_towns(request.user, obj).order_by("name")
        for name in ("home_town", "towns"):
            if name in form.base_fields:
                form.base_fields[name].queryset = allowed
                form.base_fields[name].error_messages["invalid_choice"] = TOWN_OUT_OF_REACH
        return form

    def save_model(self, request, obj, form, change) -> None:
        data = form.cleaned_data
        details = services.GroupDetails(
            name=data["name"],
            home_town=data["home_town"],
            other_towns=[t for t in data["towns"] if t.pk != data["home_town"].pk],
            **{f: data[f] for f in services.DETAIL_FIELDS},
        )
        if change:
            saved = services.group_update(group=obj, actor=request.user, details=details)
        else:
            saved = services.group_add_listed(actor=request.user, details=details)
        obj.pk, obj.slug = saved.pk, saved.slug

    def save_related(self, request, form, formsets, change) -> None:
        # The services set the towns; only inline formsets (none today) are saved here.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    # --- Read-only panels on the change page -----------------------------------------------------
    @admin.display(description="Moderation log")
    def moderation_history(self, obj: Group) -> str:
        if not obj.pk:
            return "—"
        entries = obj.moderation_log.select_related("actor")
        if not entries:
            return "No decisions yet."
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    e.created_at.strftime("%Y-%m-%d %H:%M"),
                    e.actor.email if e.actor else "system",
                    e.get_action_display(),
                    e.reason or "—",
                )
                for e in entries
            ),
        )
        return format_html(
            '<table class="moderation-log"><thead><tr><th>When</th><th>Who</th><th>What</th><th>Why</th></tr>'
            "</thead><tbody>{}</tbody></table>",
            rows,
        )

    @admin.display(description="Decide")
    def decision_buttons(self, obj: Group) -> str:
        if not obj.pk:
            return "—"
        links = [
            (reverse("admin:groups_group_decide", args=[obj.pk, key]), label)
            for key, (label, _) in DECISIONS.items()
            if not _already(obj, key)
        ]
        return format_html_join(" ", '<a class="button" href="{}">{}</a>', links) or "—"

    # --- Decisions: bulk actions and the per-group page ------------------------------------------
    def get_urls(self):
        custom = [
            path(
                "<path:object_id>/decide/<str:decision>/",
                self.admin_site.admin_view(self.decide_view),
                name="groups_group_decide",
            )
        ]
        return custom + super().get_urls()

    def decide_view(self, request: HttpRequest, object_id: str, decision: str) -> HttpResponse:
        group = self._visible_or_404(request, object_id)
        if decision not in DECISIONS or not self.has_change_permission(request, group):
            raise Http404("No such decision")
        return self._decide(request, self.get_queryset(request).filter(pk=group.pk), decision, single=group)

    def _decide(self, request, queryset, decision: str, single: Group | None = None) -> HttpResponse | None:
        label, service = DECISIONS[decision]
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            done = 0
            try:
                for group in queryset:
                    service(group=group, actor=request.user, reason=reason)
                    done += 1
            except services.GroupError as exc:
                form.add_error("reason", str(exc))
            else:
                self.message_user(
                    request,
                    f"{label}{'d' if label.endswith('e') else 'ed'} {done} group{'s' if done != 1 else ''}.",
                    messages.SUCCESS,
                )
                if single is not None:
                    return HttpResponseRedirect(reverse("admin:groups_group_change", args=[single.pk]))
                return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"{label} {'this group' if single else 'the selected groups'}",
            "groups": list(queryset),
            "form": form,
            "decision": decision,
            "action_name": f"{decision}_selected",
            "single": single,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return render(request, "admin/groups/group/decide.html", context)

    @admin.action(description="Approve selected listings (with a note to the submitter)", permissions=["change"])
    def approve_selected(self, request, queryset):
        return self._decide(request, queryset, "approve")

    @admin.action(description="Reject selected listings (with a reason)", permissions=["change"])
    def reject_selected(self, request, queryset):
        return self._decide(request, queryset, "reject")

    @admin.action(description="Archive selected groups", permissions=["change"])
    def archive_selected(self, request, queryset):
        return self._decide(request, queryset, "archive")


def _already(group: Group, decision: str) -> bool:
    target = {"approve": GroupStatus.APPROVED, "reject": GroupStatus.REJECTED, "archive": GroupStatus.ARCHIVED}
    return group.status == target[decision]


@admin.register(GroupClaim)
class GroupClaimAdmin(admin.ModelAdmin):
    """Claims of orphaned listings, decided by the reps of the group's districts."""

    list_display = ["group", "user", "status", "created_at"]
    list_filter = ["status"]
    readonly_fields = ["group", "user", "message", "status", "created_at", "decided_by", "decided_at"]
    actions = ["approve_claims", "reject_claims"]

    def get_queryset(self, request):
        return GroupClaim.objects.filter(group__in=policy.moderated_groups(request.user)).select_related(
            "group", "user"
        )

    def has_module_permission(self, request) -> bool:
        return is_moderator(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return policy.can_moderate(request.user, obj.group) if obj is not None else is_moderator(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404("No such claim")
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404("No such claim")
        return super().history_view(request, object_id, extra_context)

    def _decide_claims(self, request, queryset, approve: bool) -> None:
        # Each claim is decided on its own: one the service refuses (the moderator's own claim)
        # is reported and leaves the others decided.
        done = 0
        for claim in queryset.filter(status=ClaimStatus.PENDING):
            try:
                services.claim_decide(claim=claim, actor=request.user, approve=approve)
            except services.GroupError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, f"{'Approved' if approve else 'Rejected'} {done} claim(s).", messages.SUCCESS)

    @admin.action(description="Approve selected claims (the claimant becomes organizer)", permissions=["change"])
    def approve_claims(self, request, queryset):
        self._decide_claims(request, queryset, approve=True)

    @admin.action(description="Reject selected claims", permissions=["change"])
    def reject_claims(self, request, queryset):
        self._decide_claims(request, queryset, approve=False)


class CoordinatorReadOnlyAdmin(RoleScopedAdmin):
    """Personal messages and offers: coordinators may read them (abuse reports) and delete them,
    nobody edits."""

    coordinator_writes = frozenset({DELETE})


@admin.register(RelayMessage)
class RelayMessageAdmin(CoordinatorReadOnlyAdmin):
    list_display = ["created_at", "sender_email", "group", "team", "ip_address"]
    list_select_related = ["group", "team"]
    search_fields = ["sender_email"]


@admin.register(TeamVolunteer)
class TeamVolunteerAdmin(CoordinatorReadOnlyAdmin):
    list_display = ["team", "user", "created_at"]
    list_select_related = ["team", "user"]
    list_filter = ["team"]
