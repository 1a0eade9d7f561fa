"""Settings for Coalition Registry, read from the environment.

Every value has a local default so a fresh clone runs with SQLite, the local-memory cache and
console mail. Production sets ``DEBUG=0`` and the variables listed in the README.
"""

from __future__ import annotations

import ipaddress
import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    value = os.getenv(name, default).strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def envint(name: str, default: str) -> int:
    value = os.getenv(name, default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def envfloat(name: str, default: str) -> float:
    value = os.getenv(name, default)
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from None


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", "True")

_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production-coalition-registry"  # noqa: S105
SECRET_KEY = os.getenv("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

# The base of absolute links (mail, embed snippets, the API, the feed). When unset, links follow
# the address the site is served on (see coalition.web.links); production sets it.
SITE_URL = os.getenv("SITE_URL", "").rstrip("/")
# The site's name where no campaign names its organizer (page titles, the header); empty: the
# product's own, "Coalition Registry", in the page's language.
SITE_NAME = os.getenv("SITE_NAME", "").strip()
# Who runs the site, for the privacy notice (/privacy/) and the imprint (/imprint/): a name, an
# address for questions about personal data, a postal address (a literal "\n" breaks the line).
OPERATOR_NAME = os.getenv("OPERATOR_NAME", "").strip()
OPERATOR_EMAIL = os.getenv("OPERATOR_EMAIL", "").strip()
OPERATOR_ADDRESS = os.getenv("OPERATOR_ADDRESS", "").replace("\\n", "\n").strip()

INSTALLED_APPS = [
    # Before the admin, so that its forms show a field per language.
    "modeltranslation",
    # The admin with our site class (coalition.web.staff_auth.StaffAdminSite: two-factor sign-in).
    "coalition.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_countries",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # The domain; then its interfaces, which import it and never each other.
    "coalition",
    "public_site",
    "review",
    "api",
]

MIDDLEWARE = [
    # First, so that it sees every cookie set on the way out: a response that sets one is private.
    "coalition.web.middleware.private_when_setting_cookies_middleware",
    # Public text compressed, outside everything that makes or changes a body (WhiteNoise too,
    # for static files under `make run`); it sees every cookie already set.
    "coalition.web.compression.public_compression_middleware",
    "django.middleware.security.SecurityMiddleware",
    # Before anything that builds an absolute link (see coalition.web.links).
    "coalition.web.links.site_url_middleware",
    # Before WhiteNoise, so that static files get the Content-Security-Policy too.
    "coalition.web.middleware.ContentSecurityPolicyMiddleware",
    "coalition.web.middleware.permissions_policy_middleware",
    # Before anything that can answer on its own, so that every API response has its headers.
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A view that cannot reach the database answers a 503 with Retry-After, never a 500.
    "coalition.publishing.renderings.DatabaseUnavailableMiddleware",
    # A public page reads only its own parameters, sorted, as Varnish passes them on; around the
    # language middleware, whose first-visit redirect carries the tracking parameters on.
    "coalition.web.public_parameters.public_parameters_middleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "coalition.web.languages.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Around the views that decide, withdraw or edit: it compares the public version before and
    # after them.
    "coalition.publishing.freshness.fresh_pages_after_a_public_change_middleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# django-axes first: it refuses a locked-out username and address before any password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "coalition.urls"
# A refused form gets the site's own page, in the visitor's language.
CSRF_FAILURE_VIEW = "public_site.views.shortcuts.csrf_failure"
WSGI_APPLICATION = "coalition.wsgi.application"

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
                "coalition.web.languages.language_links",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.getenv("DATABASE_URL", "") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=envint("DB_CONN_MAX_AGE", "0"),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default takes a handful of writers at once (four applicants, two reviewers
    # deciding the same application): a transaction that will write takes SQLite's write lock
    # when it begins (IMMEDIATE) instead of failing "database is locked" when it first writes
    # inside a read, and a writer waits up to SQLITE_BUSY_TIMEOUT seconds for the lock; WAL lets
    # readers go on while one writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": envfloat("SQLITE_BUSY_TIMEOUT", "20"),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    if sys.version_info < (3, 11):
        # The tests' in-memory database is one connection, which the live server's threads
        # share with the test (as Django's docs warn), and Python 3.10's sqlite3 keeps a cache of
        # statements that is not safe across threads (its KeyErrors broke every test after the
        # first). There the tests use a file, which each thread opens for itself.
        (BASE_DIR / "var").mkdir(exist_ok=True)
        DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.getenv("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            # django-redis: one Redis client per process (Django's own backend builds one per
            # operation) and pipelines for the rate limits (coalition.web.ratelimit).
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.getenv("CACHE_KEY_PREFIX", "coalition"),
            # A dead or hung Redis must not stall requests: give up quickly, and every caller
            # falls back (the database renders, rate limits let requests through).
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": envfloat("REDIS_TIMEOUT", "0.5"),
                "SOCKET_TIMEOUT": envfloat("REDIS_TIMEOUT", "0.5"),
            },
        }
    }
elif os.getenv("CACHE_DIR", ""):
    # Without Redis, but more than one process: ``make run`` (runserver and the worker) and
    # ``make stack`` (two gunicorn workers and the worker). The public versions
    # (coalition.publishing.freshness) must be one for all of them, or a change made in one
    # process (the worker launching a campaign, an import approving its rows) leaves the
    # others serving what they rendered before; files in one directory are.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.getenv("CACHE_DIR", ""),
            "KEY_PREFIX": os.getenv("CACHE_KEY_PREFIX", "coalition"),
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "coalition",
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Content in the database (campaign texts, sector names, rejection reasons, statements) has a
# column per language; an empty one falls back to English, then to whichever exists (an
# organization may write its statement in German only).
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en", "fr", "de")
LANGUAGE_COOKIE_NAME = "coalition_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Read by no script: HttpOnly always; Secure like the session's (on whenever DEBUG is off).
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", str(not DEBUG))
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.getenv("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.getenv("MEDIA_ROOT", str(BASE_DIR / "media")))

# Logos are only ever read and written through the "default" storage, so a deployment can swap
# in an object store here (see "Storing logos elsewhere" in the README).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

EMAIL_HOST = os.getenv("EMAIL_HOST", "")
EMAIL_PORT = envint("EMAIL_PORT", "587")
EMAIL_HOST_USER = os.getenv("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.getenv("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "True")
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", "10")
DEFAULT_FROM_EMAIL = os.getenv("DEFAULT_FROM_EMAIL", "Coalition Registry <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where applicants' replies go (their mail comes from DEFAULT_FROM_EMAIL, often a noreply
# address); empty: the mails ask for no reply.
CAMPAIGN_REPLY_TO = os.getenv("CAMPAIGN_REPLY_TO", "").strip()
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# Background work (mail, see coalition.jobs.tasks): the worker looks for due jobs this often. The
# immediate mode does each job in-process right after commit: a testing aid, never production.
WORKER_POLL_SECONDS = envfloat("WORKER_POLL_SECONDS", "1")
BACKGROUND_WORK_IMMEDIATE = envbool("BACKGROUND_WORK_IMMEDIATE", "False")
# The HTTP caches in front of the site (Varnish, deploy/varnish/default.vcl) purged after every
# public change, comma-separated (http://127.0.0.1:6081); empty: none (see
# coalition.publishing.purges).
HTTP_CACHE_PURGE_URLS = envlist("HTTP_CACHE_PURGE_URLS", "")
# Seconds after a purge when the same keys are purged once more: longer than a rendering takes,
# so a page a cache fetched before the change and stored after the purge does not outlive it.
HTTP_CACHE_PURGE_REPEAT_SECONDS = envfloat("HTTP_CACHE_PURGE_REPEAT_SECONDS", "2")

# "Name <address>" pairs, comma-separated; reviewers are told about new applications here when
# the Reviewers group has nobody with an address.
ADMINS = [
    (addr.split("<")[0].strip() or addr, addr.split("<")[-1].rstrip(">").strip())
    for addr in envlist("ADMINS", "")
]

LOGIN_URL = "admin:login"

# Staff sign-in. Two-factor (TOTP, django-otp) is required whenever DEBUG is off, unless turned
# off here; ``manage.py enroll_totp <username>`` gives a staff member their device.
REQUIRE_STAFF_2FA = envbool("REQUIRE_STAFF_2FA", str(not DEBUG))
OTP_TOTP_ISSUER = os.getenv("OTP_TOTP_ISSUER", "Coalition Registry")
# Superusers (the only ones with permissions on TOTP devices) may show a device's QR code in
# the admin, which is how they enroll a staff member there.
OTP_ADMIN_HIDE_SENSITIVE_DATA = False
# Failed sign-ins (django-axes): after LOGIN_FAILURE_LIMIT in a row for one username from one
# address, that pair is locked out for LOGIN_COOLOFF_MINUTES.
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", "5")
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_COOLOFF_MINUTES", "15"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "coalition.web.staff_auth.client_ip"
AXES_LOCKOUT_CALLABLE = "coalition.web.staff_auth.lockout_response"
AXES_VERBOSE = False

# Production hardening, all on whenever DEBUG is off, each overridable.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", str(not DEBUG))
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", str(not DEBUG))
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", str(not DEBUG))
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000")
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", str(not DEBUG))
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", str(not DEBUG))
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp) on every response that does not set its own (logos, the
# wall's SVG): nothing inline, nothing from other sites. ``frame-ancestors`` is opened only for
# the embeds, by coalition.web.middleware.ContentSecurityPolicyMiddleware.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # CSP_IMG_SRC: origins to add when logos are served from a CDN or a bucket elsewhere.
        # blob: is the preview of the logo an applicant chose (static/coalition/logo-field.js).
        "img-src": [SELF, "data:", "blob:", *os.getenv("CSP_IMG_SRC", "").split()],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Powerful browser features no page here uses.
PERMISSIONS_POLICY = (
    "accelerometer=(), browsing-topics=(), camera=(), display-capture=(), geolocation=(), "
    "gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=()"
)
# Only the embeds (/embed/…) may be framed, by any site unless this names the sites allowed
# (space-separated origins such as "https://partner.example https://*.campaign.example").
EMBED_FRAME_ANCESTORS = os.getenv("EMBED_FRAME_ANCESTORS", "").split()
BEHIND_HTTPS_PROXY = envbool("BEHIND_HTTPS_PROXY", "False")
# The site's own proxies (Varnish, a TLS proxy): only from these is X-Forwarded-For believed,
# and the client's address is the one the nearest of them appended. Addresses or networks,
# comma-separated; behind an HTTPS proxy, this machine's loopback unless said otherwise.
TRUSTED_PROXIES = envlist("TRUSTED_PROXIES", "127.0.0.1,::1" if BEHIND_HTTPS_PROXY else "")
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES: {_proxy!r} is not an address or a network."
        ) from None
if BEHIND_HTTPS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Uploads above this go to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 6_291_456

# Abuse limits on the public forms: submissions per client address and window (seconds), and the
# shortest time a person plausibly takes to fill the application form. Applications accepted and
# attempts (valid or not) are counted apart, so that correcting mistakes never locks anyone out.
APPLY_RATE_LIMIT = (envint("APPLY_RATE_LIMIT", "10"), 3600)
APPLY_ATTEMPT_RATE_LIMIT = (envint("APPLY_ATTEMPT_RATE_LIMIT", "60"), 3600)
RESEND_RATE_LIMIT = (envint("RESEND_RATE_LIMIT", "5"), 3600)
# Mails about applications one contact address may get in an hour, whatever asks for them
# (applying, asking for links): a victim's address cannot be flooded from many networks.
MAIL_PER_ADDRESS_PER_HOUR = envint("MAIL_PER_ADDRESS_PER_HOUR", "5")
# Updates to allies (coalition.updates) the worker sends a minute at most, all campaigns
# together: a mail server's or provider's sending limit is met without a burst of refusals.
UPDATES_PER_MINUTE = envint("UPDATES_PER_MINUTE", "60")
APPLICATION_MIN_FILL_SECONDS = envint("APPLICATION_MIN_FILL_SECONDS", "3")

# Data retention (manage.py apply_retention, daily): days before unconfirmed applications are
# deleted, and before the contact details of rejected, withdrawn and removed ones are erased.
RETENTION_UNCONFIRMED_DAYS = envint("RETENTION_UNCONFIRMED_DAYS", "30")
RETENTION_PERSONAL_DATA_DAYS = envint("RETENTION_PERSONAL_DATA_DAYS", "90")

# Proving a domain (coalition.proofs.services, checks done by the worker). The resolvers to ask,
# comma-separated "host" or "host:port" (empty: the system's); the seconds each lookup or HTTP
# step may take; the checks one organization may ask for in an hour. Plain HTTP and private
# addresses are refused unless turned on here: a testing aid, never for production.
DOMAIN_PROOF_DNS_SERVERS = envlist("DOMAIN_PROOF_DNS_SERVERS", "")
DOMAIN_PROOF_TIMEOUT = envfloat("DOMAIN_PROOF_TIMEOUT", "5")
DOMAIN_PROOF_CHECKS_PER_HOUR = envint("DOMAIN_PROOF_CHECKS_PER_HOUR", "10")
DOMAIN_PROOF_ALLOW_HTTP = envbool("DOMAIN_PROOF_ALLOW_HTTP", "False")
DOMAIN_PROOF_ALLOW_PRIVATE = envbool("DOMAIN_PROOF_ALLOW_PRIVATE", "False")
# The port of the web check's first request (0: the scheme's own), for tests against a local
# server.
DOMAIN_PROOF_WEB_PORT = envint("DOMAIN_PROOF_WEB_PORT", "0")

# Webhooks (coalition.webhooks.delivery, sent by the worker): the seconds one delivery may take
# from its connection to its answer (connecting: 5 s at most). Plain HTTP and loopback or
# private addresses are refused unless turned on here: for development and tests, never for
# production.
WEBHOOK_TIMEOUT = envfloat("WEBHOOK_TIMEOUT", "10")
WEBHOOK_ALLOW_PRIVATE = envbool("WEBHOOK_ALLOW_PRIVATE", "False")

# The public log and the signed list of signatories (coalition.ledger, docs/verification.md).
# The minisign secret key the lists are signed with (made by `manage.py signing_key create`;
# never committed), and a file of retired public keys the well-known key file lists after it.
SIGNING_KEY_FILE = Path(os.getenv("SIGNING_KEY_FILE", str(BASE_DIR / "var" / "signing.key")))
SIGNING_OLD_PUBLIC_KEYS = os.getenv("SIGNING_OLD_PUBLIC_KEYS", "")

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.renderers.ApiContentNegotiation",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Generous: an embed makes a request or two a page view, and the responses are cached.
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.AnonymousRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": f"{envint('API_THROTTLE_PER_MINUTE', '600')}/minute"},
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Coalition Registry API",
    "DESCRIPTION": (
        "Read-only, public and cached: the campaigns and their approved allies. "
        "Every response carries an ETag and Last-Modified; errors name the parameter at fault."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.empty_values_mean_not_given",
    ],
    # Served from our own static files: the docs page loads nothing from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# The API may be read from any site, without credentials; nothing else is shared.
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_EXPOSE_HEADERS = ["ETag", "Retry-After"]
CORS_PREFLIGHT_MAX_AGE = 86400

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "INFO")},
    # WeasyPrint (the letter's PDF) logs every step of every rendering at INFO.
    "loggers": {"weasyprint.progress": {"level": "WARNING"}},
}
