import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from accounts.forms import AccountDeleteForm, NotificationPreferencesForm, ProfileForm
from accounts.models import NotificationMode
from accounts.selectors import notification_kinds_for, notification_modes, user_data
from accounts.services import notification_preferences_set, profile_update, user_delete
from imc.pagecache import member_page
from imc.registry import Kind, panels


@member_page  # outside: a stored profile is only ever one its member was let in to
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    modes = notification_modes(request.user)
    notifications = [
        (kind.label, NotificationMode(modes[kind.value]).label) for kind in notification_kinds_for(request.user)
    ]
    context = {"panels": panels(Kind.PROFILE_PANEL, request), "notifications": notifications}
    return render(request, "accounts/profile.html", context)


@login_required
def profile_edit(request: HttpRequest) -> HttpResponse:
    """The profile and the notification settings: one page, one Save, both checked before
    either is written."""
    data = request.POST or None
    form = ProfileForm(data, instance=request.user)
    notify_form = NotificationPreferencesForm(
        data, prefix="notify", kinds=notification_kinds_for(request.user), modes=notification_modes(request.user)
    )
    if request.method == "POST" and all([form.is_valid(), notify_form.is_valid()]):
        with transaction.atomic():
            profile_update(
                user=request.user,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                home_town=form.cleaned_data["home"],
            )
            notification_preferences_set(user=request.user, modes=notify_form.modes())
        messages.success(request, "Your profile was saved.")
        return redirect("accounts:profile")
    return render(request, "accounts/profile_edit.html", {"form": form, "notify_form": notify_form})


@never_cache
@login_required
def data_export(request: HttpRequest) -> HttpResponse:
    """Everything the portal holds about the signed-in member, as a JSON download."""
    data = {"exported_at": timezone.now().isoformat(), **user_data(request.user)}
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="indivisible-mass-my-data.json"'
    return response


@never_cache
@login_required
def account_delete(request: HttpRequest) -> HttpResponse:
    form = AccountDeleteForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        user_delete(user=user)
        messages.success(request, "Your account and the data that went with it were deleted.")
        return redirect("home")
    return render(request, "accounts/delete.html", {"form": form})
