import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from accounts.forms import AccountDeleteForm, ProfileForm
from accounts.selectors import user_data
from accounts.services import profile_update, user_delete
from imc.pagecache import member_page
from imc.registry import Kind, panels


@member_page  # outside: a stored profile is only ever one its member was let in to
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/profile.html", {"panels": panels(Kind.PROFILE_PANEL, request)})


@login_required
def profile_edit(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        profile_update(
            user=request.user,
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            home_town=form.cleaned_data["home"],
        )
        messages.success(request, "Your profile was saved.")
        return redirect("accounts:profile")
    return render(request, "accounts/profile_edit.html", {"form": form})


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
