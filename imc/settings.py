"""Settings for the portal.

Everything that differs between a laptop and production comes from the environment, read once
here through the helpers in ``imc.env``. With nothing set the portal runs on the embedded
default: SQLite, Celery tasks run eagerly in-process, mail printed to the console.
``imc.settings_production`` tightens this module for deployment.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from imc.env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_str("SECRET_KEY", required=not DEBUG) or "dev-only-insecure-key-do-not-use-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else None)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required when DEBUG is off (comma separated).")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# The public address of the site: the one source of every absolute address (emails, feeds,
# calendars, allauth's mail, the admin's "View on site", the Site row): see imc.links.
SITE_URL = (env_str("SITE_URL", "http://127.0.0.1:8000") or "").rstrip("/")
_site = urlsplit(SITE_URL)
if _site.scheme not in {"http", "https"} or not _site.hostname or _site.path or _site.query or _site.fragment:
    raise ImproperlyConfigured(
        f"SITE_URL={SITE_URL!r} is not an origin: give scheme and host (and port), no path, "
        "e.g. https://portal.example.org."
    )
SITE_NAME = "Indivisible Mass Coalition"
COALITION_POSTAL_ADDRESS = env_str(
    "COALITION_POSTAL_ADDRESS", "Indivisible Mass Coalition, P.O. Box 0000, Boston, MA 02101"
)

INSTALLED_APPS = [
    "imc.apps.PortalAdminConfig",  # django.contrib.admin, with the portal's admin site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sites",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_celery_beat",
    "anymail",
    "rest_framework",
    "drf_spectacular",
    "corsheaders",
    "imc",
    "accounts",
    "outbox",
    "districts",
    "groups",
    "events",
    "newsletter",
    "allies",
    "desk",
    "api",
    "embed",
    "imports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "imc.middleware.SecurityHeadersMiddleware",
    # Before anything reads the path or the query: a NUL there would reach the database.
    "imc.middleware.RefuseControlCharactersMiddleware",
    # Before anything that answers on its own: CORS headers on /api/ only (CORS_URLS_REGEX).
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After auth: a member's write makes the pages stored for them stale (imc.pagecache).
    "imc.middleware.MemberWritesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After the session, auth and messages: the admin opens only to staff who passed TOTP.
    "accounts.middleware.StaffAdminMFAMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "imc.wsgi.application"
SITE_ID = 1

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "imc.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 0))}
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database address: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Tests that start a Celery worker process need the test database on disk, not in memory.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test_db.sqlite3")}
    # Web, beat and worker processes share one file. WAL lets readers go on while one connection
    # writes; IMMEDIATE takes the write lock when a transaction begins, where SQLite waits up to
    # the timeout. A transaction begun as a reader that then writes while another process holds
    # the write lock gets "database is locked" at once instead (tests/foundation/test_sqlite_locking.py).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache and Celery ----------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    # A Redis outage must read as a cache miss, never as a 500 (see imc.cache).
    CACHES = {
        "default": {
            "BACKEND": "imc.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Reverse proxies in front of the app that append to X-Forwarded-For (imc.net.client_ip); 0 when
# gunicorn faces the visitors. allauth's rate limits read the same count.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

# Anonymous visitors get stored copies of the public pages for this long (0 turns it off);
# see imc.pagecache.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 60)

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# Without a broker, tasks run in-process as soon as they are queued (after the commit).
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Work is recorded in the database, never in task results; only the health ping keeps one.
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "America/New_York"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must not hang a web request when Redis is down: the database row is the promise,
# and the sweeper queues it again once the broker is back.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 1,
    "socket_timeout": 5,
    # Nothing long-lived is ever scheduled with eta/countdown, so a short visibility timeout only
    # shortens recovery of messages whose worker died.
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
}
# Two queues, each with its own workers (docker-compose.yml's worker and worker-bulk): a
# newsletter to a million readers queues thousands of chunks, each minutes long at a provider's
# rate, and a password reset or a reminder must not wait behind them.
CELERY_TASK_DEFAULT_QUEUE = "celery"
BULK_QUEUE = "bulk"
CELERY_TASK_ROUTES = {
    "newsletter.tasks.prepare": {"queue": BULK_QUEUE},
    "newsletter.tasks.send_chunk": {"queue": BULK_QUEUE},
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The hour (0-23, Massachusetts time: CELERY_TIMEZONE) of the daily notification digest.
GROUPS_DIGEST_HOUR = env_int("GROUPS_DIGEST_HOUR", 7)
if not 0 <= GROUPS_DIGEST_HOUR <= 23:
    raise ImproperlyConfigured(f"GROUPS_DIGEST_HOUR={GROUPS_DIGEST_HOUR} is not an hour from 0 to 23.")
# --- imports ---
# Mobilize's API (tests point it at a server of their own) and how often each source is synced.
MOBILIZE_API_URL = (env_str("MOBILIZE_API_URL", "https://api.mobilize.us/v1") or "").rstrip("/")
MOBILIZE_SYNC_MINUTES = env_int("MOBILIZE_SYNC_MINUTES", 15)
if MOBILIZE_SYNC_MINUTES < 1:
    raise ImproperlyConfigured(f"MOBILIZE_SYNC_MINUTES={MOBILIZE_SYNC_MINUTES} must be at least 1.")
# Every periodic task of the portal, in one place.
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "outbox.tasks.sweep", "schedule": 60.0},
    "groups-request-confirmation": {"task": "groups.tasks.request_confirmation", "schedule": 6 * 3600.0},
    "groups-mark-stale": {"task": "groups.tasks.mark_stale", "schedule": 6 * 3600.0},
    "groups-purge-relay-messages": {"task": "groups.tasks.purge_relay_messages", "schedule": 24 * 3600.0},
    # One mail per person who chose the digest, with what waits for them (groups.notifications).
    "groups-send-digests": {
        "task": "groups.tasks.send_digests",
        "schedule": crontab(hour=GROUPS_DIGEST_HOUR, minute=0),
    },
    # Claims due event reminders (rows) and hands them to workers; see events.reminders.
    "events-reminders": {"task": "events.tasks.reminders_tick", "schedule": 60.0},
    "newsletter-sweep": {"task": "newsletter.tasks.sweep", "schedule": 30.0},
    "newsletter-purge-requests": {"task": "newsletter.tasks.purge_requests", "schedule": 24 * 3600.0},
    # The district desk: each group's member count once a day, each rep's weekly email once a
    # week (both recorded per day / per week, so running them more often sends nothing twice).
    "desk-member-counts": {"task": "desk.tasks.member_counts", "schedule": 6 * 3600.0},
    "desk-weekly-digests": {"task": "desk.tasks.weekly_digests", "schedule": 3600.0},
    # Events of the Mobilize organizations coordinators added as import sources (imports.services).
    "imports-mobilize-sync": {"task": "imports.tasks.sync_sources", "schedule": MOBILIZE_SYNC_MINUTES * 60.0},
}

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_REDIRECT_URL = "/accounts/profile/"
LOGIN_URL = "/accounts/login/"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm"}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Indivisible Mass] "
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Indivisible Mass Coalition"

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/New_York"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "sent-mail"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Indivisible Mass Coalition <hello@indivisiblemass.org>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ANYMAIL = {
    key: value
    for key, value in {
        "ESP_API_KEY": env_str("ANYMAIL_API_KEY"),
        "WEBHOOK_SECRET": env_str("ANYMAIL_WEBHOOK_SECRET"),
    }.items()
    if value
}
# Outgoing mail that has waited this long in "queued" (the broker was away) or "inflight" (its
# worker died) is handed to a worker again by the sweeper.
OUTBOX_REQUEUE_AFTER_SECONDS = env_int("OUTBOX_REQUEUE_AFTER_SECONDS", 60)
OUTBOX_INFLIGHT_TIMEOUT_SECONDS = env_int("OUTBOX_INFLIGHT_TIMEOUT_SECONDS", 600)
# The one retry policy of every mail path (outbox.classify.retry_policy): a message that failed
# for a reason that may pass (4xx, network) is tried this many times in all, a retry waiting
# at least the backoff.
MAIL_MAX_ATTEMPTS = env_int("MAIL_MAX_ATTEMPTS", 5)
MAIL_RETRY_BACKOFF_SECONDS = env_int("MAIL_RETRY_BACKOFF_SECONDS", 30)
NEWSLETTER_RATE_PER_SECOND = env_float("NEWSLETTER_RATE_PER_SECOND", 50.0)

# --- Security -------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Demo helpers: `seed_demo` marks everything it makes with this prefix in names and addresses.
DEMO_EMAIL_DOMAIN = "demo.indivisiblemass.invalid"

# --- groups ---
# A group not confirmed for this long (15 months) is flagged stale and hidden by default.
GROUPS_STALE_AFTER_DAYS = env_int("GROUPS_STALE_AFTER_DAYS", 456)
GROUPS_CONFIRM_LINK_MAX_AGE_DAYS = env_int("GROUPS_CONFIRM_LINK_MAX_AGE_DAYS", 120)
GROUPS_RELAY_PER_SENDER_PER_HOUR = env_int("GROUPS_RELAY_PER_SENDER_PER_HOUR", 5)
GROUPS_RELAY_PER_IP_PER_HOUR = env_int("GROUPS_RELAY_PER_IP_PER_HOUR", 20)
GROUPS_RELAY_KEEP_DAYS = env_int("GROUPS_RELAY_KEEP_DAYS", 90)
GROUPS_PAGE_SIZE = 20

# --- desk ---
# Messages a district rep may send to organizers from the district desk in 24 hours.
DESK_OUTREACH_PER_REP_PER_DAY = env_int("DESK_OUTREACH_PER_REP_PER_DAY", 10)

# --- events ---
# The coalition's default reminder schedule; an organizer can turn either reminder off per event.
EVENTS_REMIND_DAY_BEFORE = env_bool("EVENTS_REMIND_DAY_BEFORE", True)
EVENTS_REMIND_DAY_BEFORE_HOUR = env_int("EVENTS_REMIND_DAY_BEFORE_HOUR", 10)  # Massachusetts time
EVENTS_REMIND_SHORTLY_BEFORE = env_bool("EVENTS_REMIND_SHORTLY_BEFORE", True)
EVENTS_REMIND_HOURS_BEFORE = env_int("EVENTS_REMIND_HOURS_BEFORE", 2)
# The beat tick claims due reminders in batches of this size, at most this many per tick.
EVENTS_REMINDER_BATCH_SIZE = env_int("EVENTS_REMINDER_BATCH_SIZE", 50)
EVENTS_REMINDER_MAX_PER_TICK = env_int("EVENTS_REMINDER_MAX_PER_TICK", 5000)
# Messages the organizers of one event may send its people in 24 hours (the thank-you aside).
EVENT_MESSAGES_PER_DAY = env_int("EVENT_MESSAGES_PER_DAY", 3)
# Delivery of a reminder's email (retries, recovery) is the outbox's: see OUTBOX_* above.

# --- newsletter ---
# Sender, List-Id and the mailto of List-Unsubscribe in every newsletter email.
NEWSLETTER_FROM_EMAIL = env_str("NEWSLETTER_FROM_EMAIL", DEFAULT_FROM_EMAIL)
NEWSLETTER_LIST_ID = env_str(
    "NEWSLETTER_LIST_ID", "Indivisible Mass Coalition newsletter <newsletter.indivisiblemass.org>"
)
NEWSLETTER_UNSUBSCRIBE_MAILTO = env_str("NEWSLETTER_UNSUBSCRIBE_MAILTO", "unsubscribe@indivisiblemass.org")
# Recipients per chunk task (one SMTP connection each), and the lease a worker holds on its
# chunk: renewed before every message, and only once it has expired does the sweeper hand the
# chunk to another worker. It must be well above the time one message takes (EMAIL_TIMEOUT).
NEWSLETTER_CHUNK_SIZE = env_int("NEWSLETTER_CHUNK_SIZE", 500)
NEWSLETTER_CHUNK_LEASE_SECONDS = env_int("NEWSLETTER_CHUNK_LEASE_SECONDS", 120)
# A message handed to the server by a worker that then died or stalled is sent again only after
# this long (a stalled worker that wakes up sooner records it itself): the one repeat we accept.
NEWSLETTER_DELIVERY_INFLIGHT_SECONDS = env_int("NEWSLETTER_DELIVERY_INFLIGHT_SECONDS", 600)
# Claims of one chunk that may end in an error or an expired lease before the send fails.
NEWSLETTER_CHUNK_MAX_FAILURES = env_int("NEWSLETTER_CHUNK_MAX_FAILURES", 5)
# Subscribe form limits: attempts per hour from one IP address and for one email address.
NEWSLETTER_SUBSCRIBE_LIMIT_PER_IP = env_int("NEWSLETTER_SUBSCRIBE_LIMIT_PER_IP", 20)
NEWSLETTER_SUBSCRIBE_LIMIT_PER_ADDRESS = env_int("NEWSLETTER_SUBSCRIBE_LIMIT_PER_ADDRESS", 3)

# --- api ---
# The public read API (/api/v1/, the api app): anonymous, read-only, JSON. No authentication
# class reads the session, so a signed-in member's request shows no more than a visitor's.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ClientAddressThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
}
# Requests per client address (imc.net.client_ip), e.g. "300/min"; over it the API answers 429
# with Retry-After.
API_THROTTLE_RATE = env_str("API_THROTTLE_RATE", "300/min") or ""
if not re.fullmatch(r"\d+/(s|sec|second|m|min|minute|h|hour|d|day)", API_THROTTLE_RATE):
    raise ImproperlyConfigured(
        f"API_THROTTLE_RATE={API_THROTTLE_RATE!r} is not a rate: give requests per period, e.g. 300/min or 10/s."
    )
SPECTACULAR_SETTINGS = {
    "TITLE": "Indivisible Mass Coalition public API",
    "DESCRIPTION": "Read-only: upcoming events, listed groups, districts and teams. See /api/ for examples.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1/",
    "SERVERS": [{"url": SITE_URL}],
}
# Other sites' pages may read the API from the browser (GET only, no cookies); no other address
# of the portal answers another origin.
CORS_URLS_REGEX = r"^/api/"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ("GET", "HEAD", "OPTIONS")
CORS_ALLOW_HEADERS = ("accept", "if-none-match", "if-modified-since")
CORS_EXPOSE_HEADERS = ("ETag", "Retry-After")
