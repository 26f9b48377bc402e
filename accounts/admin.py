from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import User
from accounts.services import user_delete
from districts.policy import is_coordinator


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Coordinators manage accounts (making someone a rep is adding them to "District reps").

    Only superusers grant superuser status or single permissions, or touch a superuser's account;
    district reps do not see accounts at all. Deleting goes through ``user_delete`` so the mail
    log forgets the address, as when members delete themselves.
    """

    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "home_town", "is_staff", "is_active"]
    list_filter = ["is_staff", "is_active", "groups"]
    search_fields = ["email", "first_name", "last_name"]
    autocomplete_fields = ["home_town"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "home_town")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def has_module_permission(self, request) -> bool:
        return is_coordinator(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_coordinator(request.user)

    def has_add_permission(self, request) -> bool:
        return is_coordinator(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        if not is_coordinator(request.user):
            return False
        return obj is None or request.user.is_superuser or not obj.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        readonly = ["last_login", "date_joined"]
        if not request.user.is_superuser:
            readonly += ["is_superuser", "user_permissions"]
        return readonly

    def get_deleted_objects(self, objs, request):
        # The rows that go with an account (email addresses, authenticators, memberships ...) are
        # the account's own: whoever may delete it may delete them, whatever their admins say.
        deleted, counts, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected

    def delete_model(self, request, obj: User) -> None:
        user_delete(user=obj)

    def delete_queryset(self, request, queryset) -> None:
        if not request.user.is_superuser:
            queryset = queryset.filter(is_superuser=False)
        for user in queryset:
            user_delete(user=user)
