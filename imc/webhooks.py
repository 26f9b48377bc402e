"""The email service's webhooks (django-anymail), mounted only when they are secured.

Without ``ANYMAIL_WEBHOOK_SECRET`` anymail's views accept anyone's POST (they only warn), so a
stranger could report a forged hard bounce and have any subscriber suppressed; and the views of
services whose client library is not installed (Amazon SES needs boto3) answer 500. Until the
secret is set every webhook address is a 404, and a service that is not set up is a 404 too.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from anymail import urls as anymail_urls
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern
from django.views.decorators.csrf import csrf_exempt


def secured(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @csrf_exempt  # the services post without a CSRF token; the shared secret is the proof
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not getattr(settings, "ANYMAIL", {}).get("WEBHOOK_SECRET"):
            raise Http404("Webhooks are off until ANYMAIL_WEBHOOK_SECRET is set.")
        try:
            return view(request, *args, **kwargs)
        except ImproperlyConfigured as exc:  # e.g. boto3 missing for Amazon SES
            raise Http404("This email service is not set up here.") from exc

    return wrapped


def webhook_patterns() -> tuple[list[URLPattern], str]:
    """anymail's URL patterns (same addresses and names), each behind ``secured``."""
    patterns = [URLPattern(p.pattern, secured(p.callback), p.default_args, p.name) for p in anymail_urls.urlpatterns]
    return patterns, anymail_urls.app_name
