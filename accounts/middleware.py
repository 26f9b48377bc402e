"""Who may open the admin: staff with a second factor in this session, nobody else."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from accounts.mfa import has_totp, session_passed_mfa


def _login_url(next_url: str) -> str:
    return f"{settings.LOGIN_URL}?{urlencode({'next': next_url})}"


class StaffAdminMFAMiddleware:
    """Guards every admin URL.

    - The admin's own login page is never used: it redirects to allauth's, so the admin gets the
      same rate limits, email verification and TOTP step as the site.
    - Staff without a TOTP authenticator are sent to set one up; staff whose session has no
      second factor yet are asked for a code (allauth's MFA reauthentication).
    - Signed-in members who are not staff get 403 (sending them to a login page they already
      passed would loop).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        admin_root = reverse("admin:index")
        if request.path.startswith(admin_root):
            refusal = self.refuse(request, admin_root)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def refuse(self, request: HttpRequest, admin_root: str) -> HttpResponse | None:
        if request.path == reverse("admin:login"):
            return HttpResponseRedirect(_login_url(request.GET.get("next") or admin_root))
        if request.path == reverse("admin:logout"):
            return None
        user = request.user
        if not user.is_authenticated:
            return HttpResponseRedirect(_login_url(request.get_full_path()))
        if not (user.is_active and user.is_staff):
            raise PermissionDenied("The admin is for district reps and coordinators.")
        if not has_totp(user):
            messages.warning(
                request,
                "Staff accounts must use two-factor authentication before the admin opens. "
                "Set up an authenticator app below.",
            )
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        if not session_passed_mfa(request):
            messages.info(request, "Enter a code from your authenticator app to open the admin.")
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('mfa_reauthenticate')}?{query}")
        return None
