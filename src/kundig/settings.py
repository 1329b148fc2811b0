"""Kundig settings: one module, configured through ``KUNDIG_*`` environment variables.

Every variable is documented in the README. A bad value raises
``ImproperlyConfigured`` naming the variable and what it accepts.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off."
    )


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}.")
    return value


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def _database(url: str, variable: str) -> dict:
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except (ValueError, KeyError) as exc:
        raise ImproperlyConfigured(
            f"{variable}={url!r} is not a database URL; use postgres://user:pass@host/db"
            f" or sqlite:///path/to/file.sqlite3 ({exc})."
        ) from None
    engine = config["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        if config["NAME"] != ":memory:":
            Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            # WAL lets the web server read while the worker writes; IMMEDIATE
            # transactions take the write lock up front instead of failing on
            # upgrade with "database is locked".
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA cache_size=-32000;"
            ),
        }
    elif engine not in {"django.db.backends.postgresql"}:
        raise ImproperlyConfigured(
            f"{variable}: Kundig runs on PostgreSQL or SQLite, not {engine}."
        )
    return config


# --- Files ----------------------------------------------------------------------------
DATA_DIR = Path(env_str("KUNDIG_DATA_DIR", "var")).resolve()

# --- Core -----------------------------------------------------------------------------
DEBUG = env_bool("KUNDIG_DEBUG", False)


def _secret_key() -> str:
    key = env_str("KUNDIG_SECRET_KEY")
    if key:
        if len(key) < 32:
            raise ImproperlyConfigured(
                "KUNDIG_SECRET_KEY must be at least 32 characters long."
            )
        return key
    # Single-machine installs (and the demo) keep a generated key in the data
    # directory so sessions survive restarts without anyone inventing a key.
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


SECRET_KEY = _secret_key()
# Earlier keys, comma-separated: sessions and stored secrets (mailbox passwords)
# made with them stay readable after a key change.
SECRET_KEY_FALLBACKS = env_list("KUNDIG_SECRET_KEY_FALLBACKS")
ALLOWED_HOSTS = env_list("KUNDIG_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("KUNDIG_CSRF_TRUSTED_ORIGINS")
BASE_URL = env_str("KUNDIG_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

HTTPS = env_bool("KUNDIG_HTTPS", False)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("KUNDIG_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("KUNDIG_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("KUNDIG_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("KUNDIG_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "django_filters",
    "ninja",
    "django_countries",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "kundig.core",
    "kundig.contacts",
    "kundig.activity",
    "kundig.commerce",
    "kundig.integrations",
    "kundig.integrations.outgoing",
    "kundig.integrations.social",
    "kundig.messaging",
    "kundig.privacy",
    "kundig.service",
    "kundig.automation",
    "kundig.api",
    "kundig.ops",
]

MIDDLEWARE = [
    "kundig.core.middleware.ServerTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kundig.core.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "kundig.urls"
WSGI_APPLICATION = "kundig.wsgi.application"

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
                "kundig.core.context_processors.kundig",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

# --- Database -------------------------------------------------------------------------
_default_db = f"sqlite:///{DATA_DIR / 'kundig.sqlite3'}"
DATABASES = {
    "default": _database(
        env_str("KUNDIG_DATABASE_URL", _default_db), "KUNDIG_DATABASE_URL"
    )
}
_test_db = env_str("KUNDIG_TEST_DATABASE_URL")
if _test_db:
    DATABASES["default"] = _database(_test_db, "KUNDIG_TEST_DATABASE_URL")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "activity:home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "kundig.core.auth.AccountAdapter"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Kundig] "
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# Administrators create accounts with the address the user signs in with; there
# is no self-service sign-up whose address would need confirming first.
MFA_ALLOW_UNVERIFIED_EMAIL = True
MFA_TOTP_ISSUER = "Kundig"

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = env_str("KUNDIG_LANGUAGE", "de")
LANGUAGES = [("de", _("German")), ("en", _("English"))]
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured("KUNDIG_LANGUAGE must be 'de' or 'en'.")
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("KUNDIG_TIME_ZONE", "Europe/Berlin")
USE_I18N = True
USE_TZ = True
KUNDIG_PHONE_REGION = env_str("KUNDIG_PHONE_REGION", "DE").upper()

# --- Static files ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
KUNDIG_IMPORT_MAX_BYTES = env_int("KUNDIG_IMPORT_MAX_MB", 50, minimum=1) * 1024 * 1024

# --- Background work ------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": env_str("KUNDIG_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
KUNDIG_SCHEDULER_TICK = env_int("KUNDIG_SCHEDULER_TICK", 15, minimum=1)
# Larger bulk actions and exports run as background jobs (ADR 13).
# Commerce: the currency revenue is summed in, when a buyer becomes a regular
# customer, and whether a buyer without a known ID or email is matched to a
# contact with the same name and postcode.
KUNDIG_CURRENCY = env_str("KUNDIG_CURRENCY", "EUR").upper()
KUNDIG_REGULAR_CUSTOMER_ORDERS = env_int("KUNDIG_REGULAR_CUSTOMER_ORDERS", 3, minimum=2)
KUNDIG_MATCH_NAME_POSTCODE = env_bool("KUNDIG_MATCH_NAME_POSTCODE", True)
# Outgoing webhooks never go to loopback, private or link-local addresses,
# unless this is on (tests, or a receiver on the same private network).
KUNDIG_WEBHOOKS_ALLOW_PRIVATE = env_bool("KUNDIG_WEBHOOKS_ALLOW_PRIVATE", False)
# How many proxies in front of Kundig add to X-Forwarded-For (nginx: 1): the
# visitor's address for the public pages' limits is the one they saw.
KUNDIG_PROXIES = env_int("KUNDIG_PROXIES", 0)

KUNDIG_BULK_SYNC_LIMIT = env_int("KUNDIG_BULK_SYNC_LIMIT", 500, minimum=1)
KUNDIG_EXPORT_SYNC_LIMIT = env_int("KUNDIG_EXPORT_SYNC_LIMIT", 5000, minimum=1)

# --- Email ----------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "KUNDIG_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = env_str("KUNDIG_SMTP_HOST", "localhost")
EMAIL_PORT = env_int("KUNDIG_SMTP_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("KUNDIG_SMTP_USER")
EMAIL_HOST_PASSWORD = env_str("KUNDIG_SMTP_PASSWORD")
EMAIL_USE_TLS = env_bool("KUNDIG_SMTP_STARTTLS", False)
EMAIL_USE_SSL = env_bool("KUNDIG_SMTP_SSL", False)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env_str("KUNDIG_FROM_EMAIL", "Kundig <kundig@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The Maildir the demo's mail catcher (kundig mailcatcher) stores into; when
# set, administrators read it under "Caught mail". kundig demo sets it.
_mail_catcher_dir = env_str("KUNDIG_MAIL_CATCHER_DIR")
KUNDIG_MAIL_CATCHER_DIR = (
    Path(_mail_catcher_dir).resolve() if _mail_catcher_dir else None
)

# --- Logging --------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("KUNDIG_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.server": {"level": "WARNING"},
    },
}

# --- API ------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_PER_PAGE_SIZE = 200
NINJA_PAGINATION_MAX_LIMIT = 200
