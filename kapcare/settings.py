"""kapcare settings, read from environment variables (see .env.example)."""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from kapcare.lib.env import database_from_url, env, env_bool, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env("KAPCARE_VAR_DIR", str(BASE_DIR / "var")))
(VAR_DIR / "static").mkdir(parents=True, exist_ok=True)

# KAPCARE_ENV=production turns on HTTPS-only cookies and HSTS and insists on a real secret key.
PRODUCTION = env("KAPCARE_ENV", "development") == "production"
DEBUG = env_bool("KAPCARE_DEBUG", False)
# Demo mode lets the synthetic demo clinic skip two-factor sign-in; every page then says so.
DEMO_MODE = env_bool("KAPCARE_DEMO_MODE", False)
SECRET_KEY = env("KAPCARE_SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("Set KAPCARE_SECRET_KEY (or KAPCARE_SECRET_KEY_FILE) in production.")
    SECRET_KEY = "development-only-key-never-used-in-production-0123456789abcdef"
ALLOWED_HOSTS = env_list("KAPCARE_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("KAPCARE_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "phonenumber_field",
    "django_tasks_db",
    # kapcare, in the order of the patient's journey; `kapcare demo` loads them in this order.
    "kapcare.clinics",
    "kapcare.audit",
    "kapcare.patients",
    "kapcare.leads",
    "kapcare.measures",
    "kapcare.evaluation",
    "kapcare.integration",
    "kapcare.sessions",
    "kapcare.coverage",
    "kapcare.website",
    "kapcare.portal",
    "kapcare.fhir",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kapcare.clinics.middleware.SlidingSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kapcare.clinics.middleware.StaffMiddleware",
    # Axes last, as its documentation asks, so it sees the final response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kapcare.urls"
WSGI_APPLICATION = "kapcare.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kapcare" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kapcare.clinics.context.kapcare",
            ],
        },
    },
]
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

DATABASES = {"default": database_from_url(env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'kapcare.sqlite3'}"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {
    "default": {
        "BACKEND": env("KAPCARE_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

AUTH_USER_MODEL = "clinics.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("KAPCARE_PASSWORD_MIN_LENGTH", 12)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "clinics:signin"
LOGIN_REDIRECT_URL = "patients:dashboard"

# Lockout after repeated failures, per account.
AXES_FAILURE_LIMIT = env_int("KAPCARE_LOCKOUT_FAILURES", 5)
AXES_COOLOFF_TIME = env_int("KAPCARE_LOCKOUT_MINUTES", 30) / 60
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_FORM_FIELD = "email"
# Locking per address as well would let one mistyping colleague lock out a whole clinic that shares
# an address; the per-account lockout is what protects an account.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_LOCKOUT_TEMPLATE = "clinics/locked.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Idle sign-out: the session lives this long after the last request.
IDLE_MINUTES = env_int("KAPCARE_IDLE_MINUTES", 15)
SESSION_COOKIE_AGE = IDLE_MINUTES * 60
# A session's expiry moves on with use; it is rewritten at most once a minute (SlidingSessionMiddleware).
SESSION_REFRESH_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

OTP_TOTP_ISSUER = "kapcare"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "kapcare" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"

# Security headers. HTTPS settings follow KAPCARE_HTTPS, on by default in production.
HTTPS = env_bool("KAPCARE_HTTPS", PRODUCTION)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("KAPCARE_BEHIND_PROXY") else None
# How many proxies of the clinic's own stand in front of kapcare (one when behind a proxy): the
# client's address for audit and rate limits is read that many places from the right of
# X-Forwarded-For. Zero: the connection's own address.
PROXY_COUNT = env_int("KAPCARE_PROXY_COUNT", 1 if env_bool("KAPCARE_BEHIND_PROXY") else 0)
AXES_IPWARE_PROXY_COUNT = PROXY_COUNT or None
AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")[0 if PROXY_COUNT else 1 :]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

# Email: SMTP in production; in development written to files under var/outbox.
if PRODUCTION or env("KAPCARE_SMTP_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env("KAPCARE_SMTP_HOST", "localhost"),
                "port": env_int("KAPCARE_SMTP_PORT", 587),
                "username": env("KAPCARE_SMTP_USER"),
                "password": env("KAPCARE_SMTP_PASSWORD"),
                "use_tls": env_bool("KAPCARE_SMTP_TLS", True),
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(VAR_DIR / "outbox")},
        }
    }
DEFAULT_FROM_EMAIL = env("KAPCARE_FROM_EMAIL", "kapcare@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("KAPCARE_LOG_LEVEL", "WARNING")},
}

# Phone numbers typed without a country code are read as this region's.
PHONENUMBER_DEFAULT_REGION = env("KAPCARE_PHONE_REGION", "US")

# Text messages: files under var/outbox in development; Twilio when configured.
SMS_BACKEND = env("KAPCARE_SMS_BACKEND", "kapcare.lib.messaging.FileSMS")
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN")
TWILIO_FROM_NUMBER = env("TWILIO_FROM_NUMBER")

# coverage: eligibility checks (X12 270/271) go through one clearinghouse adapter.
# "sandbox" answers locally for the demo payers; "stedi" uses Stedi's raw X12 eligibility endpoint;
# "x12-https" posts the 270 to any clearinghouse that takes X12 over HTTPS and answers with a 271.
COVERAGE_CLEARINGHOUSE = env("KAPCARE_CLEARINGHOUSE", "sandbox")
COVERAGE_STEDI_URL = env(
    "KAPCARE_STEDI_URL",
    "https://healthcare.us.stedi.com/2024-04-01/change/medicalnetwork/eligibility/v3/raw-x12",
)
COVERAGE_STEDI_API_KEY = env("KAPCARE_STEDI_API_KEY")
COVERAGE_X12_URL = env("KAPCARE_X12_URL")
COVERAGE_X12_TOKEN = env("KAPCARE_X12_TOKEN")
# ISA06/ISA08 as agreed with the clearinghouse; ISA15 T while testing with it, P in production.
COVERAGE_X12_SENDER_ID = env("KAPCARE_X12_SENDER_ID", "KAPCARE")
COVERAGE_X12_RECEIVER_ID = env("KAPCARE_X12_RECEIVER_ID", "CLEARINGHOUSE")
COVERAGE_X12_USAGE = env("KAPCARE_X12_USAGE", "P")
COVERAGE_TIMEOUT_SECONDS = env_int("KAPCARE_CLEARINGHOUSE_TIMEOUT", 30)
# Insurance card images: photos or scans up to this size.
COVERAGE_CARD_MAX_BYTES = env_int("KAPCARE_CARD_MAX_BYTES", 5 * 1024 * 1024)

# FHIR API (kapcare.fhir). The MRN's identifier system, per clinic ({clinic} is its short name).
FHIR_MRN_SYSTEM = env("KAPCARE_FHIR_MRN_SYSTEM", "urn:kapcare:{clinic}:mrn")
FHIR_DEFAULT_COUNT = env_int("KAPCARE_FHIR_DEFAULT_COUNT", 20)
FHIR_MAX_COUNT = env_int("KAPCARE_FHIR_MAX_COUNT", 200)
# Bulk export NDJSON files, one folder per export; deleted when the client cancels or deletes it.
# Data read once from installed packages and kept for look-ups (the ICD-10-CM code set).
ICD10_CACHE_DIR = Path(env("KAPCARE_CACHE_DIR", str(VAR_DIR / "cache")))
FHIR_EXPORT_DIR = Path(env("KAPCARE_FHIR_EXPORT_DIR", str(VAR_DIR / "fhir-export")))

# Outcome measures (kapcare.measures).
# Questionnaire links stop working this many days after they fall due (not a clinical number).
MEASURES_LINK_DAYS = env_int("KAPCARE_MEASURES_LINK_DAYS", 7)
# Reminders for an unanswered questionnaire: at most three (issue #3), one a day by default, as
# Osmind does for scheduled surveys (reference/clinical.md).
MEASURES_MAX_REMINDERS = min(env_int("KAPCARE_MEASURES_MAX_REMINDERS", 3), 3)
MEASURES_REMINDER_HOURS = env_int("KAPCARE_MEASURES_REMINDER_HOURS", 24)
# The follow-up a safety alert creates: "clinician_review" or "cssrs" (reference/instruments.md §1.1).
MEASURES_ALERT_FOLLOW_UP = env("KAPCARE_MEASURES_ALERT_FOLLOW_UP", "clinician_review")
# The address patients reach the clinic at, for links in texts and email.
MEASURES_BASE_URL = env("KAPCARE_BASE_URL", "http://127.0.0.1:8000")
# "Before each dosing session" questionnaires go out this many hours before it (a protocol
# choice, not from the reference; set it to the clinic's own).
MEASURES_BEFORE_DOSING_HOURS = env_int("KAPCARE_MEASURES_BEFORE_DOSING_HOURS", 24)

# Patient portal (kapcare.portal): sign-in by a link sent by email or text.
# A link works once, for this many minutes; the portal signs a patient out after this long idle.
PORTAL_LINK_MINUTES = env_int("KAPCARE_PORTAL_LINK_MINUTES", 15)
PORTAL_IDLE_MINUTES = env_int("KAPCARE_PORTAL_IDLE_MINUTES", IDLE_MINUTES)
# At most this many unused links at once per patient, so a stranger cannot flood their phone.
PORTAL_MAX_OPEN_LINKS = env_int("KAPCARE_PORTAL_MAX_OPEN_LINKS", 3)
TEMPLATES[0]["OPTIONS"]["context_processors"].append("kapcare.portal.context.portal")

# website: public forms allow this many posts per address per hour; card photos up to this size.
WEBSITE_FORM_LIMIT_PER_HOUR = env_int("KAPCARE_FORM_LIMIT_PER_HOUR", 5)
WEBSITE_CARD_MAX_BYTES = env_int("KAPCARE_CARD_MAX_MB", 5) * 1024 * 1024
