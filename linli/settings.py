"""Django settings for Linli, read from the environment.

Two profiles:

* development (default, ``LINLI_ENV`` unset or ``development``): SQLite in ``data/``, generated
  development keys in ``data/dev-keys.json``, console/file gateways, demo mode on.
* production (``LINLI_ENV=production``): every secret must come from the environment; the process
  refuses to start with development keys, ``DEBUG`` or demo mode on a non-loopback address
  (see ``linli.core.environment.check_production_safety``).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

from linli.core import environment

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent

LINLI_ENV = os.environ.get("LINLI_ENV", "development")
IS_PRODUCTION = LINLI_ENV == "production"
DATA_DIR = Path(os.environ.get("LINLI_DATA_DIR", BASE_DIR / "data"))
if not IS_PRODUCTION:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
# Owner-only files: umask 077 for this process, data/ 0700 and its files 0600.
environment.protect_data_dir(DATA_DIR)

DEBUG = environment.flag("LINLI_DEBUG", default=not IS_PRODUCTION)
# With DEBUG on (development, the demo) errors still show the house pages (linli.web.errors);
# developers who want Django's debug pages set LINLI_DEBUG_PAGES=1.
LINLI_DEBUG_PAGES = environment.flag("LINLI_DEBUG_PAGES", default=False)
DEMO_MODE = environment.flag("LINLI_DEMO_MODE", default=not IS_PRODUCTION)

keys = environment.load_keys(DATA_DIR, production=IS_PRODUCTION)
SECRET_KEY = keys.secret_key
LINLI_DATA_KEYS = keys.data_keys  # {key_id: 32 raw bytes}
LINLI_DATA_KEY_CURRENT = keys.current_data_key_id
LINLI_BLIND_INDEX_KEY = keys.blind_index_key
LINLI_AUDIT_CHAIN_KEY = keys.audit_chain_key  # HMAC key of the audit hash chain (32 raw bytes)
LINLI_KEYS_ARE_DEVELOPMENT = keys.development

ALLOWED_HOSTS = environment.csv("LINLI_ALLOWED_HOSTS", default="127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = environment.csv("LINLI_CSRF_TRUSTED_ORIGINS", default="")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "axes",
    "rules",
    "huey.contrib.djhuey",
    "ninja",
    "linli.core",
    "linli.audit",
    "linli.privacy",
    "linli.areas",
    "linli.accounts",
    "linli.notify",
    "linli.notices",
    "linli.web",
    "linli.api",
    "linli.demo",
]

MIDDLEWARE = [
    "linli.core.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "linli.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "linli.web.errors.ErrorPagesMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Stands in for Django's AuthenticationMiddleware, django-otp's OTPMiddleware and the session
    # lifecycle check: one query per signed-in request (docs/decisions/0011-signed-in-request-cost.md).
    "linli.accounts.middleware.IdentityMiddleware",
    "linli.accounts.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "linli.urls"
WSGI_APPLICATION = "linli.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "linli.web.context_processors.shell",
            ],
        },
    },
    {
        # Only for the rows of hot lists (linli.core.jinja, decision 0011); pages are Django templates.
        "NAME": "jinja2",
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"environment": "linli.core.jinja.environment"},
    },
]
# Bound fields state their minimum and name their help text and errors in aria-describedby.
FORM_RENDERER = "linli.core.forms.LinliFormRenderer"

# --- database -------------------------------------------------------------------------------
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": (
        "PRAGMA journal_mode=WAL;PRAGMA synchronous=FULL;PRAGMA foreign_keys=ON;PRAGMA recursive_triggers=ON;"
        "PRAGMA busy_timeout=20000;PRAGMA cache_size=-20000;PRAGMA temp_store=MEMORY;"
    ),
}
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "linli.sqlite3"),
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
    DATABASES["default"]["CONN_MAX_AGE"] = 600
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache (rate limits, throttles) -------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES: dict[str, dict[str, object]]
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "linli_cache",
            # Rate-limit counters live here: the default cap of 300 entries would evict them.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

# --- job queue ---------------------------------------------------------------------------------
HUEY_BACKEND = os.environ.get("LINLI_HUEY", "redis" if REDIS_URL else "sqlite")
if HUEY_BACKEND == "redis":
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "linli",
        "url": REDIS_URL or "redis://127.0.0.1:6379/0",
        "immediate": False,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "linli",
        "filename": str(DATA_DIR / "jobs.sqlite3"),
        "immediate": environment.flag("LINLI_HUEY_IMMEDIATE", default=False),
        "consumer": {"workers": 2, "worker_type": "thread"},
    }

# --- authentication -----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "linli.accounts.backends.StaffPasswordBackend",
]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "linli.accounts.passwords.CharacterClassValidator", "OPTIONS": {"required_classes": 3}},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"

LINLI_STAFF_PASSWORD_MAX_AGE_DAYS = environment.integer("LINLI_STAFF_PASSWORD_MAX_AGE_DAYS", 90)
LINLI_STAFF_DORMANT_DAYS = environment.integer("LINLI_STAFF_DORMANT_DAYS", 90)
LINLI_SESSION_IDLE_SECONDS = environment.integer("LINLI_SESSION_IDLE_SECONDS", 30 * 60)
LINLI_SESSION_ABSOLUTE_SECONDS = environment.integer("LINLI_SESSION_ABSOLUTE_SECONDS", 12 * 3600)
LINLI_REAUTH_SECONDS = environment.integer("LINLI_REAUTH_SECONDS", 5 * 60)
LINLI_STAFF_ENROLMENT_LINK_HOURS = environment.integer("LINLI_STAFF_ENROLMENT_LINK_HOURS", 72)
LINLI_EMAIL_CHANGE_LINK_HOURS = environment.integer("LINLI_EMAIL_CHANGE_LINK_HOURS", 24)
LINLI_LOGIN_IP_LIMIT = environment.integer("LINLI_LOGIN_IP_LIMIT", 30)
LINLI_LOGIN_CODE_TTL_SECONDS = 300
LINLI_LOGIN_CODE_SENDS_PER_PHONE_HOUR = 5

# django-axes: 5 failures in 30 minutes lock the account name (per-IP limit is our own, wider).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "linli.accounts.views.login.lockout_response"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

OTP_TOTP_ISSUER = "Linli 邻里"

# --- sessions and cookies -------------------------------------------------------------------------
SESSION_ENGINE = "linli.accounts.sessions"  # database sessions, read by hand (decision 0011)
SESSION_COOKIE_AGE = LINLI_SESSION_ABSOLUTE_SECONDS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "linli_session"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "linli.web.errors.csrf_failure"
X_FRAME_OPTIONS = "DENY"
# Flash messages may name an e-mail address or a home: keep them server-side, never in a readable cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if IS_PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = environment.flag("LINLI_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- i18n ----------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "linli_language"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static files --------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    (f"vendor/{name}", NODE_MODULES / path)
    for name, path in {
        "htmx": "htmx.org/dist",
        "axe-core": "axe-core",
        "leaflet": "leaflet/dist",
        "leaflet-geoman": "@geoman-io/leaflet-geoman-free/dist",
    }.items()
    if (NODE_MODULES / path).exists()
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if IS_PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not IS_PRODUCTION
if not IS_PRODUCTION:
    STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns at start-up when it is missing

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
LINLI_IMPORT_MAX_BYTES = 20 * 1024 * 1024
# A whole upload (multipart) body; anything larger, and any other body over
# DATA_UPLOAD_MAX_MEMORY_SIZE, is answered 413 before it is read (linli.web.errors).
LINLI_UPLOAD_MAX_BYTES = LINLI_IMPORT_MAX_BYTES + 1024 * 1024

# Area maps show no background tiles unless an approved tile server is configured: a URL template
# such as https://{s}.tiles.example.cn/{z}/{x}/{y}.png (its origin is added to the CSP img-src).
LINLI_MAP_TILE_URL = os.environ.get("LINLI_MAP_TILE_URL", "")
LINLI_MAP_TILE_ATTRIBUTION = os.environ.get("LINLI_MAP_TILE_ATTRIBUTION", "")

# --- messaging ---------------------------------------------------------------------------------
EMAIL_HOST = os.environ.get("LINLI_EMAIL_HOST", "")
EMAIL_PORT = environment.integer("LINLI_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("LINLI_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("LINLI_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = environment.flag("LINLI_EMAIL_TLS", default=False)
EMAIL_TIMEOUT = 15
DEFAULT_FROM_EMAIL = os.environ.get("LINLI_EMAIL_FROM", "Linli 邻里 <noreply@linli.localhost>")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "mail")

# SMS: "file" writes to data/sms-outbox.jsonl (readable at /dev/sms/ in demo mode); "aliyun" is the
# Alibaba Cloud SMS adapter configured by LINLI_SMS_* variables.
LINLI_SMS_GATEWAY = os.environ.get("LINLI_SMS_GATEWAY", "file")
LINLI_SMS_OUTBOX = DATA_DIR / "sms-outbox.jsonl"
LINLI_SMS_ALIYUN: dict[str, object] = {
    "endpoint": os.environ.get("LINLI_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/"),
    "access_key_id": os.environ.get("LINLI_SMS_ACCESS_KEY_ID", ""),
    "access_key_secret": os.environ.get("LINLI_SMS_ACCESS_KEY_SECRET", ""),
    "sign_name": os.environ.get("LINLI_SMS_SIGN_NAME", ""),
    "template_code": os.environ.get("LINLI_SMS_TEMPLATE_CODE", ""),
    # Login codes and notifications need different approved templates; empty falls back to template_code.
    "templates": {
        "login_code": os.environ.get("LINLI_SMS_TEMPLATE_LOGIN_CODE", ""),
        "notification": os.environ.get("LINLI_SMS_TEMPLATE_NOTIFICATION", ""),
    },
}

# --- privacy -------------------------------------------------------------------------------------
# Full values (phone, ID number) one staff member may reveal in any hour / any 24 hours.
LINLI_REVEALS_PER_HOUR = environment.integer("LINLI_REVEALS_PER_HOUR", 20)
LINLI_REVEALS_PER_DAY = environment.integer("LINLI_REVEALS_PER_DAY", 60)

# --- audit ---------------------------------------------------------------------------------------
LINLI_AUDIT_RETENTION_DAYS = environment.integer("LINLI_AUDIT_RETENTION_DAYS", 365)
# Signed checkpoints of the audit chain (count + head) are appended here; ship the file off the host.
LINLI_AUDIT_CHECKPOINT_FILE = Path(os.environ.get("LINLI_AUDIT_CHECKPOINT_FILE", DATA_DIR / "audit-checkpoints.jsonl"))

# --- API -----------------------------------------------------------------------------------------
LINLI_API_RATE_ANONYMOUS = os.environ.get("LINLI_API_RATE_ANONYMOUS", "60/min")
LINLI_API_RATE_AUTHENTICATED = os.environ.get("LINLI_API_RATE_AUTHENTICATED", "600/min")
LINLI_API_MAX_PAGE_SIZE = 100

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"personal_data": {"()": "linli.privacy.logging.PersonalDataFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["personal_data"], "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LINLI_LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}, "huey": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

environment.check_production_safety(
    production=IS_PRODUCTION,
    debug=DEBUG,
    demo_mode=DEMO_MODE,
    development_keys=LINLI_KEYS_ARE_DEVELOPMENT,
    allowed_hosts=ALLOWED_HOSTS,
    audit_retention_days=LINLI_AUDIT_RETENTION_DAYS,
)

# axes.W006 asks for an IP lockout in axes itself; we keep axes per account name (5 in 30 min)
# and a separate, wider per-IP limit (LINLI_LOGIN_IP_LIMIT) so one office NAT cannot lock out all
# staff. See docs/decisions/0004-lockout.md.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
