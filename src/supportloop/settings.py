"""All settings, read from the environment in one place.

Production-safe by default: DEBUG is off, SECRET_KEY is required unless SUPPORTLOOP_DEBUG=1.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import overload

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

PACKAGE_DIR = Path(__file__).resolve().parent


@overload
def env(name: str, default: str) -> str: ...
@overload
def env(name: str, default: None = None) -> str | None: ...
def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


DEBUG = env_bool("SUPPORTLOOP_DEBUG", False)
VAR_DIR = Path(env("SUPPORTLOOP_VAR_DIR", str(Path.cwd() / "var"))).resolve()

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "insecure-dev-key-only-for-SUPPORTLOOP_DEBUG"  # noqa: S105 - debug only; production requires one
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is required: set the SECRET_KEY environment variable "
            "(or SUPPORTLOOP_DEBUG=1 for local development)."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
if not ALLOWED_HOSTS and not DEBUG:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required: a comma-separated list of host names.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "anymail",
    "django_tasks_db",
    "supportloop.core",
    "supportloop.accounts",
    "supportloop.customers",
    "supportloop.tickets",
    "supportloop.feedback",
    "supportloop.mail",
    "supportloop.automation",
    "supportloop.surveys",
    "supportloop.team",
    "supportloop.quality",
    "supportloop.analytics",
    "supportloop.search",
    "supportloop.privacy",
    "supportloop.api",
    "supportloop.web",
    "supportloop.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "supportloop.api.middleware.ApiBodyLimitMiddleware",
    "supportloop.api.uploads.KeepEveryFileMiddleware",
    "supportloop.mail.middleware.InboundWebhookBodyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "supportloop.accounts.middleware.SignInStepsMiddleware",
    "supportloop.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "supportloop.core.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "supportloop.urls"
WSGI_APPLICATION = "supportloop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],  # project-wide overrides (admin/base_site.html) before the apps' own
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "supportloop.core.db.report_source",
            ],
        },
    },
    # Jinja2 renders only the hot inbox rows (docs/decisions/0003-inbox-rendering.md).
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"environment": "supportloop.web.jinja2.environment", "extensions": ["jinja2.ext.i18n"]},
    },
]
# Widgets render with Django's own Jinja2 widget templates where they exist (core/form_renderer.py: the speed of
# the ticket page's pickers), the admin's widgets with the Django template engine.
FORM_RENDERER = "supportloop.core.form_renderer.JinjaFirstRenderer"

DEFAULT_SQLITE_URL = f"sqlite:///{VAR_DIR / 'supportloop.sqlite3'}"
DATABASE_URL = env("DATABASE_URL", DEFAULT_SQLITE_URL)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and one writer work at once; IMMEDIATE avoids "database is locked" upgrades.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["TEST"] = {"NAME": env("SQLITE_TEST_NAME", ":memory:")}
elif env("DB_PREPARED_STATEMENTS", "1") != "0":
    # Server-side parameters let psycopg prepare a statement the fifth time it runs: the pages' statements are
    # compiled once (web/jsonrows.py), so PostgreSQL stops planning them on every request (the ticket page's
    # reads went from 5.6 to 3.2 ms at 1,000,000 tickets: docs/decisions/0005-ticket-page-rendering.md).
    # Set DB_PREPARED_STATEMENTS=0 behind a pooler that cannot keep prepared statements (pgbouncer < 1.21 in
    # transaction mode).
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}

# A PostgreSQL streaming replica for reports (core/db.py, docs/deploy.md): reads inside reading_reports() go there
# while its staleness is within SUPPORTLOOP_REPLICA_MAX_LAG_SECONDS, else to the primary. Tests mirror it onto the
# primary (nothing is created on a read-only standby). SUPPORTLOOP_REPLICA_CHECK_SECONDS: how long a process trusts
# one staleness measurement.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL")
SUPPORTLOOP_REPLICA_DATABASE = "replica"
SUPPORTLOOP_REPLICA_MAX_LAG_SECONDS = env_int("SUPPORTLOOP_REPLICA_MAX_LAG_SECONDS", 30)
SUPPORTLOOP_REPLICA_CHECK_SECONDS = float(env("SUPPORTLOOP_REPLICA_CHECK_SECONDS", "1"))
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
    DATABASES["replica"]["OPTIONS"] = dict(DATABASES["default"].get("OPTIONS", {}))
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["supportloop.core.db.ReplicaRouter"]
# PostgreSQL work_mem for the reads of a report (core/db.py reading_reports): its sorts stay in memory; the
# server's default when set to "off".
SUPPORTLOOP_REPORT_WORK_MEM = env("SUPPORTLOOP_REPORT_WORK_MEM", "64MB").replace("off", "")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:inbox"
LOGOUT_REDIRECT_URL = "web:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文"), ("ru", "Русский")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "UTC")
# The workspace's currency (ISO 4217): MRR and other money show in it, written the reader's way (1,234.50 $ in
# English, 1 234,50 $ in Russian). A code Babel does not know fails the system check supportloop.E030.
SUPPORTLOOP_CURRENCY = (env("SUPPORTLOOP_CURRENCY", "USD") or "USD").upper()
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}

REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background work (docs/deploy.md "Background work"): "database" (django-tasks-db: the queue is a table, workers
# claim rows with SELECT ... FOR UPDATE SKIP LOCKED; nothing more to run) or "rq" (django-tasks-rq: the queue
# lives in Redis at REDIS_URL, workers are `supportloop worker` running RQ). TASKS_BACKEND (a dotted class)
# still overrides both.
SUPPORTLOOP_TASKS_BACKEND = env("SUPPORTLOOP_TASKS_BACKEND", "database")
if SUPPORTLOOP_TASKS_BACKEND not in ("database", "rq"):
    raise ImproperlyConfigured("SUPPORTLOOP_TASKS_BACKEND must be 'database' or 'rq'.")
if SUPPORTLOOP_TASKS_BACKEND == "rq":
    if not REDIS_URL:
        raise ImproperlyConfigured("SUPPORTLOOP_TASKS_BACKEND=rq needs REDIS_URL (the queue lives in Redis).")
    INSTALLED_APPS.insert(INSTALLED_APPS.index("django_tasks_db") + 1, "django_rq")
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": env_int("RQ_DEFAULT_TIMEOUT", 600)}}
    TASKS = {"default": {"BACKEND": env("TASKS_BACKEND", "django_tasks_rq.RQBackend"), "QUEUES": ["default"]}}
else:
    TASKS = {"default": {"BACKEND": env("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}

# Development and demo mode (SUPPORTLOOP_DEBUG): mail goes to the Outbox, a table admins read at /outbox/, unless
# EMAIL_BACKEND says otherwise; the Outbox page exists only in this mode. Production mails through SMTP by default.
SUPPORTLOOP_OUTBOX = DEBUG
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "supportloop.mail.outbox.OutboxBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)  # seconds; a hung mail server must not hold a worker forever
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "support@localhost")

# Limits that protect the service from oversized input.
SUPPORTLOOP_MAX_REQUEST_BYTES = env_int("SUPPORTLOOP_MAX_REQUEST_BYTES", 1_048_576)
DATA_UPLOAD_MAX_MEMORY_SIZE = SUPPORTLOOP_MAX_REQUEST_BYTES
SUPPORTLOOP_MAX_ATTACHMENT_BYTES = env_int("SUPPORTLOOP_MAX_ATTACHMENT_BYTES", 10 * 1_048_576)
SUPPORTLOOP_API_PAGE_SIZE_MAX = 200
# `supportloop scheduler`: the weekly feedback digest goes out on Mondays from this hour (workspace time zone);
# IMAP mailboxes are polled every this many seconds.
SUPPORTLOOP_DIGEST_HOUR = env_int("SUPPORTLOOP_DIGEST_HOUR", 8)
SUPPORTLOOP_LEAD_REPORT_HOUR = env_int("SUPPORTLOOP_LEAD_REPORT_HOUR", 7)  # weekly lead mail, Monday, local time
SUPPORTLOOP_MAIL_POLL_SECONDS = env_int("SUPPORTLOOP_MAIL_POLL_SECONDS", 60)
# Undo send: a reply from the ticket page can be pulled back for this many seconds; its mail leaves only after
# them. 0 sends at once (no Undo).
SUPPORTLOOP_UNDO_SEND_SECONDS = env_int("SUPPORTLOOP_UNDO_SEND_SECONDS", 10)
# Client addresses and rate limits (docs/api.md "Rate limits"). X-Forwarded-For is believed only from these
# proxies (addresses or CIDR networks, comma-separated); without any, REMOTE_ADDR is the client.
SUPPORTLOOP_TRUSTED_PROXIES = env_list("SUPPORTLOOP_TRUSTED_PROXIES")
try:
    import ipaddress as _ipaddress

    for _entry in SUPPORTLOOP_TRUSTED_PROXIES:
        _ipaddress.ip_network(_entry, strict=False)
except ValueError as _exc:
    raise ImproperlyConfigured(
        f"SUPPORTLOOP_TRUSTED_PROXIES: {_entry!r} is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/8)"
    ) from _exc
# Where rate-limit counters live so every process and host sees them: "database" (table core_ratecounter) or
# "cache" (Django's cache: Redis when REDIS_URL is set).
SUPPORTLOOP_RATE_LIMIT_STORE = env("SUPPORTLOOP_RATE_LIMIT_STORE", "cache" if REDIS_URL else "database")
if SUPPORTLOOP_RATE_LIMIT_STORE not in ("database", "cache"):
    raise ImproperlyConfigured("SUPPORTLOOP_RATE_LIMIT_STORE must be 'database' or 'cache'.")
# Sign-in: failed attempts per account (the name typed, known or not) and per client address in a window.
SUPPORTLOOP_SIGN_IN_ACCOUNT_LIMIT = env_int("SUPPORTLOOP_SIGN_IN_ACCOUNT_LIMIT", 5)
SUPPORTLOOP_SIGN_IN_ADDRESS_LIMIT = env_int("SUPPORTLOOP_SIGN_IN_ADDRESS_LIMIT", 20)
SUPPORTLOOP_SIGN_IN_WINDOW = env_int("SUPPORTLOOP_SIGN_IN_WINDOW", 15 * 60)  # seconds
# Two-factor sign-in (docs/security.md): wrong second-factor codes per account per sign-in window (then the account
# is locked like a wrong password's); the name authenticator apps show.
SUPPORTLOOP_TWO_FACTOR_LIMIT = env_int("SUPPORTLOOP_TWO_FACTOR_LIMIT", 5)
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "supportloop")
# django-otp's own per-device throttle (a growing delay after each wrong code, during which even the right code is
# refused as "wrong") is off: the counter above limits wrong codes in the shared store and says when to retry.
OTP_TOTP_THROTTLE_FACTOR = 0
# Password reset by email: links are valid this many seconds and die once used; requests per client address and
# per email address ("N/h" ...), past which no mail goes out.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 60 * 60)
SUPPORTLOOP_PASSWORD_RESET_RATE = env("SUPPORTLOOP_PASSWORD_RESET_RATE", "5/h")
# A browser session's "last seen" (its row in the user's list of sessions) is written at most this often.
SUPPORTLOOP_SESSION_TOUCH_SECONDS = env_int("SUPPORTLOOP_SESSION_TOUCH_SECONDS", 5 * 60)
# Requests per signed-in account to /api/v1 (per client address for the few public operations),
# "N/s", "N/m", "N/h", "N/d"; empty turns the limit off.
SUPPORTLOOP_API_RATE = env("SUPPORTLOOP_API_RATE", "1200/m")
# Wrong, revoked or malformed bearer tokens per client address; past it every bearer request from there is 429.
SUPPORTLOOP_API_BAD_TOKEN_RATE = env("SUPPORTLOOP_API_BAD_TOKEN_RATE", "10/m")
SUPPORTLOOP_CREDENTIALS_KEY = env("SUPPORTLOOP_CREDENTIALS_KEY")
# Hosts an admin types in (IMAP servers) may be private (10/8, 192.168/16, ...) or loopback only when this is on
# (on by default with SUPPORTLOOP_DEBUG); metadata, link-local, multicast and reserved addresses never are.
SUPPORTLOOP_ALLOW_PRIVATE_HOSTS = env_bool("SUPPORTLOOP_ALLOW_PRIVATE_HOSTS", DEBUG)
# Outbound webhooks and chat integrations (docs/automation-webhooks.md). Their URLs must use https (http only with
# ALLOW_HTTP) and may not resolve to private or loopback addresses unless the host is in ALLOWED_HOSTS (host names,
# comma-separated; SUPPORTLOOP_ALLOW_PRIVATE_HOSTS does not apply to webhooks). An endpoint is switched off after
# DISABLE_AFTER failed attempts in a row; a delivery is tried at most MAX_ATTEMPTS times; each attempt waits at most
# TIMEOUT_SECONDS for the connection and for each read.
SUPPORTLOOP_WEBHOOK_ALLOWED_HOSTS = env_list("SUPPORTLOOP_WEBHOOK_ALLOWED_HOSTS")
SUPPORTLOOP_WEBHOOK_ALLOW_HTTP = env_bool("SUPPORTLOOP_WEBHOOK_ALLOW_HTTP", False)
SUPPORTLOOP_WEBHOOK_DISABLE_AFTER = env_int("SUPPORTLOOP_WEBHOOK_DISABLE_AFTER", 10)
SUPPORTLOOP_WEBHOOK_MAX_ATTEMPTS = env_int("SUPPORTLOOP_WEBHOOK_MAX_ATTEMPTS", 10)
SUPPORTLOOP_WEBHOOK_TIMEOUT_SECONDS = env_int("SUPPORTLOOP_WEBHOOK_TIMEOUT_SECONDS", 10)

# /health/ready thresholds: the oldest ready task not picked up by a worker; the last successful poll of each
# active IMAP mailbox; quarantined messages in the last 24 hours (0 = no limit).
SUPPORTLOOP_HEALTH_QUEUE_MAX_AGE_SECONDS = env_int("SUPPORTLOOP_HEALTH_QUEUE_MAX_AGE_SECONDS", 300)
SUPPORTLOOP_HEALTH_POLL_MAX_AGE_SECONDS = env_int("SUPPORTLOOP_HEALTH_POLL_MAX_AGE_SECONDS", 900)
SUPPORTLOOP_HEALTH_QUARANTINE_MAX_24H = env_int("SUPPORTLOOP_HEALTH_QUARANTINE_MAX_24H", 500)
# The search index is written in the services' transactions; a lag above this means writes go around them.
SUPPORTLOOP_HEALTH_SEARCH_LAG_SECONDS = env_int("SUPPORTLOOP_HEALTH_SEARCH_LAG_SECONDS", 60)

# Engineering trackers' inbound webhooks (POST /api/v1/trackers/<kind>/webhook, automation/trackers.py): each
# provider's secret (empty: that provider's endpoint answers 404 and accepts nothing); requests per client address;
# the largest body read (413 beyond); how old a Linear delivery's webhookTimestamp may be (replay window).
TRACKER_GITHUB_SECRET = env("TRACKER_GITHUB_SECRET", "")
TRACKER_GITLAB_SECRET = env("TRACKER_GITLAB_SECRET", "")
TRACKER_JIRA_SECRET = env("TRACKER_JIRA_SECRET", "")
TRACKER_LINEAR_SECRET = env("TRACKER_LINEAR_SECRET", "")
TRACKER_WEBHOOK_RATE = env("TRACKER_WEBHOOK_RATE", "120/m")
TRACKER_WEBHOOK_MAX_BYTES = env_int("TRACKER_WEBHOOK_MAX_BYTES", 512 * 1024)
TRACKER_LINEAR_MAX_AGE_SECONDS = env_int("TRACKER_LINEAR_MAX_AGE_SECONDS", 300)

# mail
# Mail larger than this (IMAP, provider webhooks, the raw endpoint) is quarantined with its headers only and kept
# whole in file storage; 25 MiB is what the common providers accept (Gmail, Microsoft 365, Mailgun, Postmark ...).
SUPPORTLOOP_MAX_INBOUND_BYTES = env_int("SUPPORTLOOP_MAX_INBOUND_BYTES", 25 * 1_048_576)
# The largest HTTP body the raw endpoint and provider webhooks read at all (413 beyond, nothing stored): room for
# an oversize message to be quarantined, and for the base64 or JSON wrapping some providers add.
SUPPORTLOOP_MAIL_MAX_MESSAGE_BYTES = env_int("SUPPORTLOOP_MAIL_MAX_MESSAGE_BYTES", 2 * SUPPORTLOOP_MAX_INBOUND_BYTES)
SUPPORTLOOP_MAIL_MAX_ATTACHMENTS_BYTES = env_int("SUPPORTLOOP_MAIL_MAX_ATTACHMENTS_BYTES", 25 * 1_048_576)
SUPPORTLOOP_MAIL_MAX_PARTS = env_int("SUPPORTLOOP_MAIL_MAX_PARTS", 200)
# Mail safety (docs/mail.md, "Mail safety"). The authserv-id(s) our receiving MTA or inbound provider writes in
# the Authentication-Results header it adds (e.g. "mx.example.com" or "amazonses.com"); empty: no verdict.
SUPPORTLOOP_AUTHSERV_ID = env_list("SUPPORTLOOP_AUTHSERV_ID")
# Automatic mail to one address: acknowledgements per hour, and any automatic mail per 10 minutes (per ticket,
# and in all), as Zammad's ladder; the per-mailbox hourly ceiling of acknowledgements is a mailbox field.
SUPPORTLOOP_ACKS_PER_RECIPIENT_HOUR = env_int("SUPPORTLOOP_ACKS_PER_RECIPIENT_HOUR", 1)
SUPPORTLOOP_AUTO_MAIL_PER_TICKET_10MIN = env_int("SUPPORTLOOP_AUTO_MAIL_PER_TICKET_10MIN", 10)
SUPPORTLOOP_AUTO_MAIL_PER_RECIPIENT_10MIN = env_int("SUPPORTLOOP_AUTO_MAIL_PER_RECIPIENT_10MIN", 30)
# A permanent bounce stops automatic mail (acknowledgements, notices) to the address for this many days.
SUPPORTLOOP_BOUNCE_SUPPRESSION_DAYS = env_int("SUPPORTLOOP_BOUNCE_SUPPRESSION_DAYS", 60)
ANYMAIL = {
    key: value
    for key, value in {
        "WEBHOOK_SECRET": env("ANYMAIL_WEBHOOK_SECRET"),  # "user:password" for providers' inbound webhooks
        "MAILGUN_WEBHOOK_SIGNING_KEY": env("MAILGUN_WEBHOOK_SIGNING_KEY"),
        "POSTMARK_WEBHOOK_SECRET": env("POSTMARK_WEBHOOK_SECRET"),
    }.items()
    if value
}

# Sessions are read from the cache (Redis in production) and written through to the database: a page costs no
# session query while the cache holds it, and a cache flush signs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^health/"]  # probes often speak plain HTTP to the process itself
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY") else None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}
