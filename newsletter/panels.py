"""The newsletter's panels on the home page and the member's profile page (see imc.hooks)."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from newsletter import tokens
from newsletter.forms import SubscribeForm
from newsletter.models import ConsentSource, Subscriber


def _subscriber(request: HttpRequest) -> Subscriber | None:
    if not request.user.is_authenticated:
        return None
    return Subscriber.objects.select_related("district").filter(email=request.user.email.lower()).first()


def home_panel(request: HttpRequest) -> SafeString:
    context = {
        "form": SubscribeForm(source=ConsentSource.HOME, prefix_id="home"),
        "subscriber": _subscriber(request),
    }
    return render_to_string("newsletter/panels/home.html", context, request=request)


def profile_panel(request: HttpRequest) -> SafeString:
    subscriber = _subscriber(request)
    context = {
        "subscriber": subscriber,
        "preferences_token": tokens.preferences_token(subscriber.pk) if subscriber else "",
    }
    return render_to_string("newsletter/panels/profile.html", context, request=request)
