"""Production settings: the defaults of ``imc.settings`` with deployment hardening.

Requires SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and REDIS_URL in the environment.
"""

import os

os.environ.setdefault("DEBUG", "false")

from django.core.exceptions import ImproperlyConfigured

from imc.env import env_bool, env_int
from imc.settings import *  # noqa: F403
from imc.settings import (
    EMAIL_TIMEOUT,
    NEWSLETTER_CHUNK_LEASE_SECONDS,
    NEWSLETTER_DELIVERY_INFLIGHT_SECONDS,
    OUTBOX_INFLIGHT_TIMEOUT_SECONDS,
    REDIS_URL,
)

if DEBUG:  # noqa: F405
    raise ImproperlyConfigured("imc.settings_production must not run with DEBUG on.")
if not REDIS_URL:
    raise ImproperlyConfigured("REDIS_URL is required in production (Celery broker and cache).")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("dev-only"):  # noqa: F405
    raise ImproperlyConfigured("SECRET_KEY must be a random value of at least 50 characters.")

# A worker renews its chunk lease before each message, and one message may take up to
# EMAIL_TIMEOUT per step (connect, then data): a lease shorter than two of them hands a live
# worker's chunk to another, and both send it. The in-flight waits must outlast the lease.
if NEWSLETTER_CHUNK_LEASE_SECONDS < 2 * EMAIL_TIMEOUT:
    raise ImproperlyConfigured(
        f"NEWSLETTER_CHUNK_LEASE_SECONDS={NEWSLETTER_CHUNK_LEASE_SECONDS} must be at least twice "
        f"EMAIL_TIMEOUT={EMAIL_TIMEOUT}, or a slow server makes two workers send the same chunk."
    )
if NEWSLETTER_DELIVERY_INFLIGHT_SECONDS <= NEWSLETTER_CHUNK_LEASE_SECONDS:
    raise ImproperlyConfigured(
        "NEWSLETTER_DELIVERY_INFLIGHT_SECONDS must be longer than NEWSLETTER_CHUNK_LEASE_SECONDS."
    )
if OUTBOX_INFLIGHT_TIMEOUT_SECONDS < 2 * EMAIL_TIMEOUT:
    raise ImproperlyConfigured(
        f"OUTBOX_INFLIGHT_TIMEOUT_SECONDS={OUTBOX_INFLIGHT_TIMEOUT_SECONDS} must be at least twice "
        f"EMAIL_TIMEOUT={EMAIL_TIMEOUT}, or a slow server's message is sent twice."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Health checks of a load balancer or orchestrator often come over plain http from inside.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "imc.storage.StaticFilesStorage"},
}
