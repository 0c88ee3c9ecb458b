"""Django settings for Abonent, read from the environment.

With no ``DATABASE_URL`` the embedded SQLite database in ``var/`` is used (the demo);
with one, PostgreSQL. ``SECRET_KEY`` has a fixed value only when ``ABONENT_DEMO=1``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("ABONENT_VAR_DIR", PROJECT_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean environment variable ("1", "true", "yes", "on" are true)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    """Read an integer environment variable."""
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated environment variable."""
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEMO = env_bool("ABONENT_DEMO")
TESTING = env_bool("ABONENT_TESTING", "pytest" in sys.modules)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEMO or TESTING:
        SECRET_KEY = "demo-only-insecure-key-do-not-use-in-production"  # noqa: S105
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment "
            "(or ABONENT_DEMO=1 for the local demo only)."
        )

DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"] if DEMO or TESTING else []
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # serves the API docs' Swagger UI from our own static files, not a CDN
    "django_tasks",  # Django's tasks API (the backport of django.tasks; see the TASKS block)
    "django_tasks_db",  # its database backend: tasks are rows, run by `abonent worker`
    "abonent.core",
    "abonent.catalogue",
    "abonent.leads",
    "abonent.accounts",
    "abonent.billing",
    "abonent.messaging",
    "abonent.cabinet",
    "abonent.payments",
    "abonent.sandbox_acquirer",
    "abonent.support",
    "abonent.network",
    "abonent.staff",
    "abonent.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "abonent.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "abonent.urls"
WSGI_APPLICATION = "abonent.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "abonent.core.context_processors.provider",
                "abonent.messaging.context_processors.mail_unread",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"].setdefault("OPTIONS", {})
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "abonent.sqlite3",
            "OPTIONS": {},
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers serialise at BEGIN (no "database is locked" half-way through a transaction),
    # readers never wait for writers (WAL).
    DATABASES["default"]["OPTIONS"].update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    DATABASES["default"].setdefault("TEST", {})
    DATABASES["default"]["TEST"].setdefault("NAME", None)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    PASSWORD_HASHERS.insert(0, "abonent.core.hashers.FastArgon2PasswordHasher")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "staff:home"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not (DEMO or TESTING or DEBUG))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 12 * 3600
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY") else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- I18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS: list[Path] = []  # each app keeps its own locale/ (see scripts/messages)
TIME_ZONE = os.environ.get("ABONENT_TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "abonent_lang"
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING or DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEMO or DEBUG or TESTING
if WHITENOISE_USE_FINDERS:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_HOST = os.environ.get("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@abonent.local")

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- The provider (what visitors and subscribers see) --------------------------------------
# Demo defaults are the seed's provider; a real installation sets its own.
ABONENT_PROVIDER = {
    "name": os.environ.get("ABONENT_PROVIDER_NAME", "SPNET"),
    "legal_name": os.environ.get("ABONENT_PROVIDER_LEGAL_NAME", "ООО «КСИТ»"),
    "city": os.environ.get("ABONENT_PROVIDER_CITY", "Сергиев Посад"),
    "phone": os.environ.get("ABONENT_PROVIDER_PHONE", "8-496-552-22-22"),
    "email": os.environ.get("ABONENT_PROVIDER_EMAIL", "support@spnet.ru"),
    "business_email": os.environ.get("ABONENT_PROVIDER_BUSINESS_EMAIL", "clients@spnet.ru"),
    "address": os.environ.get(
        "ABONENT_PROVIDER_ADDRESS",
        "141313, Московская обл., г. Сергиев Посад, ул. Академика Силина, д. 1/22, 2 этаж",
    ),
    "hours": os.environ.get("ABONENT_PROVIDER_HOURS", "Пн–Пт 9:00–20:00, Сб 10:00–16:00"),
    "since": env_int("ABONENT_PROVIDER_SINCE", 1999),
}
# Money needed on the balance before a new account gets access (kopecks).
ABONENT_CONNECTION_DEPOSIT_KOP = env_int("ABONENT_CONNECTION_DEPOSIT_KOP", 100_000)

# Spam protection for the connection request (per IP and per phone, sliding window).
ABONENT_LEAD_RATE_LIMIT_IP = env_int("ABONENT_LEAD_RATE_LIMIT_IP", 5)
ABONENT_LEAD_RATE_LIMIT_PHONE = env_int("ABONENT_LEAD_RATE_LIMIT_PHONE", 3)
ABONENT_LEAD_RATE_WINDOW_SECONDS = env_int("ABONENT_LEAD_RATE_WINDOW_SECONDS", 3600)
# Number of reverse proxies in front of us whose X-Forwarded-For we trust (0: use REMOTE_ADDR).
ABONENT_TRUSTED_PROXIES = env_int("ABONENT_TRUSTED_PROXIES", 0)

# --- Subscribers ----------------------------------------------------------------------------
# Cabinet login lockout: so many wrong passwords within the window lock for the lockout time.
ABONENT_LOGIN_MAX_PER_CONTRACT = env_int("ABONENT_LOGIN_MAX_PER_CONTRACT", 5)
ABONENT_LOGIN_MAX_PER_IP = env_int("ABONENT_LOGIN_MAX_PER_IP", 20)
ABONENT_LOGIN_WINDOW_SECONDS = env_int("ABONENT_LOGIN_WINDOW_SECONDS", 15 * 60)
ABONENT_LOGIN_LOCKOUT_SECONDS = env_int("ABONENT_LOGIN_LOCKOUT_SECONDS", 15 * 60)
# Cabinet sessions end after this much idle time, and at the latest after the maximum age.
ABONENT_CABINET_IDLE_SECONDS = env_int("ABONENT_CABINET_IDLE_SECONDS", 30 * 60)
ABONENT_CABINET_MAX_AGE_SECONDS = env_int("ABONENT_CABINET_MAX_AGE_SECONDS", 12 * 3600)
# Ask a subscriber to replace the paper password at the first login.
ABONENT_FORCE_PASSWORD_CHANGE = env_bool("ABONENT_FORCE_PASSWORD_CHANGE", True)
ABONENT_API_TOKEN_DAYS = env_int("ABONENT_API_TOKEN_DAYS", 30)
# Where subscribers log in, as printed on the contract sheet.
ABONENT_CABINET_URL = os.environ.get("ABONENT_CABINET_URL", "http://127.0.0.1:8000/cabinet/")

# --- Billing ----------------------------------------------------------------------------------
ABONENT_PAUSE_MIN_DAYS = env_int("ABONENT_PAUSE_MIN_DAYS", 7)
ABONENT_PAUSE_MAX_DAYS = env_int("ABONENT_PAUSE_MAX_DAYS", 90)
ABONENT_PROMISED_AMOUNT_KOP = env_int("ABONENT_PROMISED_AMOUNT_KOP", 50_000)
ABONENT_PROMISED_DAYS = env_int("ABONENT_PROMISED_DAYS", 5)
# "Nearly blocked": the balance lasts fewer days than this.
ABONENT_LOW_BALANCE_DAYS = env_int("ABONENT_LOW_BALANCE_DAYS", 3)

# --- Network (RADIUS) -----------------------------------------------------------------------
# `abonent radius-prune` keeps FreeRADIUS's answers (radpostauth) and closed sessions (radacct)
# this many days (the cabinet shows 30 days of traffic; docs/radius.md, Retention).
ABONENT_RADIUS_AUTH_LOG_DAYS = env_int("ABONENT_RADIUS_AUTH_LOG_DAYS", 30)
ABONENT_RADIUS_SESSION_DAYS = env_int("ABONENT_RADIUS_SESSION_DAYS", 400)
# The static-IP add-on's addresses: CIDRs and first-last ranges, comma-separated. Empty (none)
# unless set, but for the demo and tests (docs/radius.md, Static IP says why 100.64.10.0/24 there).
ABONENT_STATIC_IP_POOL = os.environ.get(
    "ABONENT_STATIC_IP_POOL", "100.64.10.0/24" if DEMO or TESTING else ""
)


# --- Background tasks and e-mail (messaging; issue 6) -----------------------------------------
# Django's tasks API through the ``django-tasks`` backport (Django 6 moves it to ``django.tasks``:
# one import changes). Tasks are rows of ``django_tasks_db`` written in the caller's transaction
# and run by ``abonent worker`` (the demo's ``abonent serve`` starts one beside the web server).
TASKS = {
    "default": {
        "BACKEND": os.environ.get("ABONENT_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# SMTP, from ``EMAIL_URL`` (smtp://user:password@host:port, smtps://… for TLS on connect,
# ?tls=1 for STARTTLS) or the separate EMAIL_* variables above. E-mails leave only through the
# messaging outbox, sent by the worker.
EMAIL_URL = os.environ.get("EMAIL_URL", "")
if EMAIL_URL:
    from urllib.parse import parse_qs, unquote, urlsplit

    _email = urlsplit(EMAIL_URL)
    if _email.scheme not in ("smtp", "smtps"):
        raise ImproperlyConfigured("EMAIL_URL must start with smtp:// or smtps://")
    EMAIL_HOST = _email.hostname or "127.0.0.1"
    EMAIL_PORT = _email.port or (465 if _email.scheme == "smtps" else 25)
    EMAIL_HOST_USER = unquote(_email.username or "")
    EMAIL_HOST_PASSWORD = unquote(_email.password or "")
    EMAIL_USE_SSL = _email.scheme == "smtps"
    EMAIL_USE_TLS = parse_qs(_email.query).get("tls", ["0"])[0] in ("1", "true", "yes")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The outbox: a message the server refuses is tried again after 1, 2, 4 … minutes (at most
# ABONENT_EMAIL_RETRY_MAX_SECONDS apart) and marked failed after ABONENT_EMAIL_MAX_ATTEMPTS
# refusals; while the server cannot be reached at all, mail waits and is never given up.
ABONENT_EMAIL_MAX_ATTEMPTS = env_int("ABONENT_EMAIL_MAX_ATTEMPTS", 8)
ABONENT_EMAIL_RETRY_BASE_SECONDS = env_int("ABONENT_EMAIL_RETRY_BASE_SECONDS", 60)
ABONENT_EMAIL_RETRY_MAX_SECONDS = env_int("ABONENT_EMAIL_RETRY_MAX_SECONDS", 3600)
ABONENT_EMAIL_BATCH = env_int("ABONENT_EMAIL_BATCH", 50)
# A broadcast writes its recipients in ranges of so many account ids, one transaction each.
ABONENT_BROADCAST_CHUNK = env_int("ABONENT_BROADCAST_CHUNK", 10_000)
# --- end of the messaging block ---------------------------------------------------------------
