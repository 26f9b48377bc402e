"""Production settings: the defaults of ``imc.settings`` with deployment hardening.

Requires SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and REDIS_URL in the environment.
"""

import os

os.environ.setdefault("DEBUG", "false")

from django.core.exceptions import ImproperlyConfigured

from imc.env import env_bool, env_int
from imc.settings import *  # noqa: F403
from imc.settings import REDIS_URL

if DEBUG:  # noqa: F405
    raise ImproperlyConfigured("imc.settings_production must not run with DEBUG on.")
if not REDIS_URL:
    raise ImproperlyConfigured("REDIS_URL is required in production (Celery broker and cache).")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("dev-only"):  # noqa: F405
    raise ImproperlyConfigured("SECRET_KEY must be a random value of at least 50 characters.")

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
