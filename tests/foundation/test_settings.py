"""Settings come from the environment; bad values stop the start with a message that names them.

Each case starts a fresh Python process, because settings are read once at import.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Variables the settings read; the tests start from none of them set.
SETTINGS_VARIABLES = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "CONN_MAX_AGE",
    "EMAIL_PORT",
    "EMAIL_USE_TLS",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "NEWSLETTER_RATE_PER_SECOND",
    "CSRF_TRUSTED_ORIGINS",
    "EMAIL_TIMEOUT",
    "NEWSLETTER_CHUNK_LEASE_SECONDS",
    "NEWSLETTER_DELIVERY_INFLIGHT_SECONDS",
    "OUTBOX_INFLIGHT_TIMEOUT_SECONDS",
}
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "imc.settings_production",
    "SECRET_KEY": secrets.token_urlsafe(60),
    "ALLOWED_HOSTS": "portal.example.org",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "DATABASE_URL": "postgres://imc:secret@db.example.org:5432/imc",
}


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process; a deployment never has it.
    dropped = SETTINGS_VARIABLES | {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    base = {k: v for k, v in os.environ.items() if k not in dropped}
    full_env = {**base, "DJANGO_SETTINGS_MODULE": "imc.settings", **env}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120)


def setup(**env: str) -> subprocess.CompletedProcess:
    return run("-c", "import django; django.setup(); print('started')", **env)


def test_with_nothing_set_the_embedded_default_starts():
    result = setup()
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean; use true or false."),
        ({"CONN_MAX_AGE": "forever"}, "CONN_MAX_AGE='forever' is not a whole number."),
        ({"EMAIL_PORT": "smtp"}, "EMAIL_PORT='smtp' is not a whole number."),
        ({"EMAIL_USE_TLS": "sometimes"}, "EMAIL_USE_TLS='sometimes' is not a boolean"),
        ({"NEWSLETTER_RATE_PER_SECOND": "fast"}, "NEWSLETTER_RATE_PER_SECOND='fast' is not a number."),
        ({"DATABASE_URL": "not-a-database-address"}, "DATABASE_URL is not a database address"),
    ],
)
def test_a_bad_value_stops_the_start_naming_the_variable(env, message):
    result = setup(**env)
    assert result.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured: " + message in result.stderr
    assert "started" not in result.stdout


def test_secret_key_is_required_when_debug_is_off():
    result = setup(DEBUG="false", ALLOWED_HOSTS="portal.example.org")
    assert result.returncode != 0
    assert "ImproperlyConfigured: The environment variable SECRET_KEY is required here." in result.stderr


def test_allowed_hosts_is_required_when_debug_is_off():
    result = setup(DEBUG="false", SECRET_KEY=PRODUCTION["SECRET_KEY"])
    assert result.returncode != 0
    assert "ImproperlyConfigured: ALLOWED_HOSTS is required when DEBUG is off" in result.stderr


def test_with_debug_off_and_both_set_the_portal_starts():
    result = setup(DEBUG="false", SECRET_KEY=PRODUCTION["SECRET_KEY"], ALLOWED_HOSTS="portal.example.org")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"SECRET_KEY": "too-short"}, "SECRET_KEY must be a random value of at least 50 characters."),
        ({"REDIS_URL": ""}, "REDIS_URL is required in production"),
        ({"DEBUG": "true"}, "imc.settings_production must not run with DEBUG on."),
        (
            {"EMAIL_TIMEOUT": "90", "NEWSLETTER_CHUNK_LEASE_SECONDS": "120"},
            "NEWSLETTER_CHUNK_LEASE_SECONDS=120 must be at least twice EMAIL_TIMEOUT=90",
        ),
        (
            {"NEWSLETTER_CHUNK_LEASE_SECONDS": "900", "NEWSLETTER_DELIVERY_INFLIGHT_SECONDS": "600"},
            "NEWSLETTER_DELIVERY_INFLIGHT_SECONDS must be longer than NEWSLETTER_CHUNK_LEASE_SECONDS.",
        ),
        (
            {"EMAIL_TIMEOUT": "40", "OUTBOX_INFLIGHT_TIMEOUT_SECONDS": "60"},
            "OUTBOX_INFLIGHT_TIMEOUT_SECONDS=60 must be at least twice EMAIL_TIMEOUT=40",
        ),
    ],
)
def test_production_settings_refuse_an_unsafe_environment(override, message):
    result = setup(**{**PRODUCTION, **override})
    assert result.returncode != 0
    assert message in result.stderr


def test_production_settings_pass_the_deploy_check_with_zero_warnings():
    result = run("manage.py", "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert "WARNINGS" not in result.stderr


def test_the_deploy_check_would_catch_a_missing_hsts_header():
    """Shows the zero-warning check above has teeth: without HSTS it reports security.W004."""
    result = run("manage.py", "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION, SECURE_HSTS_SECONDS="0")
    assert result.returncode != 0
    assert "security.W004" in result.stderr


def test_production_settings_turn_on_hsts_and_secure_cookies():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.X_FRAME_OPTIONS, s.SECURE_REFERRER_POLICY, s.DEBUG)"
    )
    result = run("-c", code, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "31536000",
        "True",
        "True",
        "True",
        "True",
        "DENY",
        "strict-origin-when-cross-origin",
        "False",
    ]
