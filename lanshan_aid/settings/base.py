"""Settings shared by every deployment.

Every value that differs between deployments is read from the environment here, at the top,
and listed in `.env.example`. Production differs from the demo only by environment variables.
"""

import datetime as dt
from pathlib import Path

from environs import Env

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = Env()
env.read_env(BASE_DIR / ".env", recurse=False)

# --- Values obtained from the environment -------------------------------------------------
DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str(
    "SECRET_KEY",
    default="demo-only-insecure-key-change-me-in-every-deployment-0123456789",
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
DATABASE_URL = env.str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")
REDIS_URL = env.str("REDIS_URL", default="")
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="lanshan-aid@localhost")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# The public address of the site, printed in the QR code on every issued notice so that a
# paper notice can be checked (e.g. https://jiuzhu.lanshan.gov.cn). Required when DEBUG is off
# (system check documents.E001); the demo defaults to its own address.
DOCUMENTS_PUBLIC_BASE_URL = env.str("DOCUMENTS_PUBLIC_BASE_URL",
                                    default="http://127.0.0.1:8000" if DEBUG else "")
# Security (docs/security.md). HTTPS: redirect to https, secure cookies and HSTS; on by default
# whenever DEBUG is off. Off only where TLS is not in place yet, which 等保 does not allow.
HTTPS = env.bool("HTTPS", default=not DEBUG)
HSTS_SECONDS = env.int("HSTS_SECONDS", default=365 * 24 * 3600)
# Behind our own TLS proxy only (the app is reachable through it alone): believe its
# X-Forwarded-Proto (the request was https) and its last X-Forwarded-For hop (client address).
TRUST_X_FORWARDED_PROTO = env.bool("TRUST_X_FORWARDED_PROTO", default=False)
TRUST_X_FORWARDED_FOR = env.bool("TRUST_X_FORWARDED_FOR", default=False)
# Township leaders, the bureau and the administrators must set up a TOTP second factor.
OTP_REQUIRED = env.bool("OTP_REQUIRED", default=False)
# Largest request body (uploads included), in megabytes.
MAX_UPLOAD_MB = env.int("MAX_UPLOAD_MB", default=25)
# Encryption at rest of ID numbers, phone numbers, bank accounts and health data
# (cases/crypto.py, docs/security.md): Fernet keys, newest first — the first encrypts, all
# decrypt. ID_HASH_KEY keys the HMAC that finds an ID number without decrypting. With DEBUG
# on, fixed demo keys stand in; with DEBUG off both must be set (and not the demo ones).
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
ID_HASH_KEY = env.str("ID_HASH_KEY", default="")

VAR_DIR.mkdir(parents=True, exist_ok=True)

if not DEBUG and SECRET_KEY.startswith("demo-only-"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("DEBUG is off and SECRET_KEY is the published demo key.")

DEMO_FIELD_ENCRYPTION_KEY = "ZGVtby1vbmx5LWZpZWxkLWtleS1sYW5zaGFuLWFpZCE="  # noqa: S105
DEMO_ID_HASH_KEY = "demo-only-id-hash-key-lanshan-aid-0123456789"  # noqa: S105
if not DEBUG and (not FIELD_ENCRYPTION_KEYS or DEMO_FIELD_ENCRYPTION_KEY in FIELD_ENCRYPTION_KEYS
                  or not ID_HASH_KEY or ID_HASH_KEY == DEMO_ID_HASH_KEY):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "DEBUG is off: set FIELD_ENCRYPTION_KEYS and ID_HASH_KEY (not the demo keys); "
        "see docs/security.md, \"Encryption at rest\".")
FIELD_ENCRYPTION_KEYS = FIELD_ENCRYPTION_KEYS or [DEMO_FIELD_ENCRYPTION_KEY]
ID_HASH_KEY = ID_HASH_KEY or DEMO_ID_HASH_KEY

# --- Applications -------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "guardian",
    "django_htmx",
    "captcha",  # django-simple-captcha: the public objection form's captcha
    "cases",
    "documents",
    "publicity",
    "oversight",
    "accounts.third_party_apps.AxesConfig",  # axes, with Chinese names
    "django_otp",
    "accounts.third_party_apps.TOTPConfig",  # django_otp.plugins.otp_totp
    "accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "lanshan_aid.middleware.UploadPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "lanshan_aid.middleware.SessionIdleMiddleware",
    "lanshan_aid.middleware.ScopeMemoMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.AccountSecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into the lockout page
]

ROOT_URLCONF = "lanshan_aid.urls"
WSGI_APPLICATION = "lanshan_aid.wsgi.application"

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
                "cases.context_processors.workspace",
            ],
            # Filters on every template: person_name (姓名 order), basis (a rule in words).
            "builtins": ["accounts.templatetags.people", "cases.templatetags.wording"],
        },
    },
]

DATABASES = {"default": env.dj_db_url("DATABASE_URL", default=DATABASE_URL)}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Keep connections for a minute instead of opening one per request (docs/benchmarks.md);
# checked before reuse, so a restarted PostgreSQL costs one failed check, not an error.
DATABASES["default"]["CONN_MAX_AGE"] = 60
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "accounts.backends.LockoutBackend",  # first: refuses locked-out logins (django-axes)
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user object
GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_403 = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "accounts.validators.UsernameNotInPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "start"
LOGOUT_REDIRECT_URL = "login"

# --- Language, time, formats --------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
# The project's own messages win over the installed apps' (locale/zh_Hans/LC_MESSAGES/django.po).
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日 H:i"
SHORT_DATE_FORMAT = "Y-m-d"

# --- Static and media ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Sessions and cookies -----------------------------------------------------------------
# Idle timeout: 30 minutes without a request ends the session; closing the browser ends it
# too. The expiry moves on at most once a minute (lanshan_aid.middleware.SessionIdleMiddleware),
# not on every request, so a user is signed out after 29 to 30 idle minutes.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = 60
# With Redis (shared by every worker) sessions are read from the cache and written through to
# the database, so they survive a cache restart. A per-process local-memory cache would keep a
# session signed out in one worker alive in another: there the database is read.
SESSION_ENGINE = ("django.contrib.sessions.backends.cached_db" if REDIS_URL
                  else "django.contrib.sessions.backends.db")
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# --- Transport and browser security headers (docs/security.md) ------------------------------
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = HSTS_SECONDS if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
if TRUST_X_FORWARDED_PROTO:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# An intranet host is never on the browsers' HSTS preload list; the directive would be noise.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Content Security Policy (django-csp): scripts and styles only from this site's files — no
# inline scripts or handlers, no eval, no <style> blocks or style attributes (templates use
# classes of static/css/; tests/security/test_style_policy.py keeps it so).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],  # QR codes; photo previews before upload
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Uploads: the request body is bounded, and only these file types are accepted at all (each
# form still checks the content of what it takes). lanshan_aid.middleware enforces both.
MAX_REQUEST_BYTES = MAX_UPLOAD_MB * 1024 * 1024
UPLOAD_ALLOWED_EXTENSIONS = frozenset({
    "pdf", "jpg", "jpeg", "png", "webp", "gif", "heic", "heif", "xlsx", "xls", "csv", "txt",
})
# An uploaded image with more pixels than this is refused before it is decoded
# (lanshan_aid.uploads; Pillow's decompression-bomb limit is set to the same value).
UPLOAD_MAX_IMAGE_PIXELS = 60_000_000
FILE_UPLOAD_HANDLERS = [
    "lanshan_aid.middleware.FileTypeUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# --- Login protection: lockout (django-axes) and second factor (django-otp) -----------------
# Five failed logins of one username from one address lock that pair out for 15 minutes
# (counted again from each further attempt). A whole office behind one NAT address is not
# locked out by one colleague's typos, and a guessed username cannot lock its owner out from
# everywhere.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "lanshan_aid.client_address.client_ip"  # the one client address
AXES_DISABLE_ACCESS_LOG = True  # accounts.SecurityEvent is the sign-in log
AXES_VERBOSE = False

OTP_TOTP_ISSUER = "兰山区社会救助经办系统"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
TEMPLATES[0]["OPTIONS"]["context_processors"].append("accounts.context_processors.account")

# --- Captcha of the public objection form (django-simple-captcha, publicity/captcha.py) ------
# Four digits drawn with the library's bundled font (no system font, nothing fetched); each
# challenge is good for one check and ten minutes. Images are served under /gongshi/ by
# publicity.views.public.captcha_image (rate-limited); no audio, no 2x image.
CAPTCHA_CHALLENGE_FUNCT = "publicity.captcha.digit_challenge"
CAPTCHA_LENGTH = 4
CAPTCHA_TIMEOUT = 10  # minutes
CAPTCHA_IMAGE_SIZE = (150, 50)
CAPTCHA_FONT_SIZE = 32
CAPTCHA_LETTER_ROTATION = (-20, 20)
CAPTCHA_2X_IMAGE = False

# --- Cache --------------------------------------------------------------------------------
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery -------------------------------------------------------------------------------
# With REDIS_URL the broker is Redis; without it, kombu's filesystem transport gives a real
# worker and beat with nothing else to install (the demo's embedded broker).
CELERY_BROKER_DIR = VAR_DIR / "celery-broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"visibility_timeout": 3600}
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR),
        "data_folder_out": str(CELERY_BROKER_DIR),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {  # see "Deadline enforcement" below
    "sweep-deadlines": {"task": "cases.sweep_deadlines", "schedule": 120.0},
    "deliver-notifications": {"task": "cases.deliver_notifications", "schedule": 60.0},
    "purge-exports": {"task": "cases.purge_exports", "schedule": 3600.0},
    "sweep-document-files": {"task": "documents.sweep_orphan_files", "schedule": 3600.0},
    "refresh-dashboard": {"task": "oversight.refresh_dashboard", "schedule": 300.0},
    "warm-dashboard-live": {"task": "oversight.warm_live_counts", "schedule": 60.0},
}
# Task modules that autodiscovery (tasks.py per app) does not find.
CELERY_IMPORTS = ["cases.export_tasks"]

# --- Logging ------------------------------------------------------------------------------
# Every handler masks ID numbers and phone numbers (lanshan_aid.logging). Django's own loggers
# are configured here too, so that none keeps a default handler without the mask (Django's
# mail_admins handler, which mails local variables and POST data, is not used). Celery keeps
# these handlers instead of installing its own.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal_data": {"()": "lanshan_aid.logging.MaskPersonalDataFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": {"()": "django.utils.log.ServerFormatter",
                          "format": "[{server_time}] {message}", "style": "{"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain",
                    "filters": ["mask_personal_data"]},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server",
                          "filters": ["mask_personal_data"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "celery.task": {"handlers": ["console"], "propagate": False},
        "multiprocessing": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # lockouts only; accounts.SecurityEvent has the rest
    },
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Product settings ---------------------------------------------------------------------
# Page size of staff lists; pages are bounded, never "show all".
LIST_PAGE_SIZE = 25

# Legal time limits (临兰政办字〔2019〕42号). Kept here, not in code, so a change of rule is a
# configuration change. PUBLICITY_PAUSES_DECISION_CLOCK: the seed does not say whether the
# 7 publicity days count inside the 20 working days; by default the decision clock pauses
# while the case is publicized, and the case page shows the due date both ways.
DECISION_WORKDAYS = env.int("DECISION_WORKDAYS", default=20)
RECHECK_WORKDAYS = env.int("RECHECK_WORKDAYS", default=10)
PUBLICITY_DAYS = env.int("PUBLICITY_DAYS", default=7)
EMERGENCY_AID_HOURS = env.int("EMERGENCY_AID_HOURS", default=24)
EMERGENCY_REGISTRATION_WORKDAYS = env.int("EMERGENCY_REGISTRATION_WORKDAYS", default=5)
PUBLICITY_PAUSES_DECISION_CLOCK = env.bool("PUBLICITY_PAUSES_DECISION_CLOCK", default=True)
# Publicity runs from the day after the board sheet is confirmed posted on the village board.
# A sheet not confirmed posted within this many working days of the proposal reminds the
# village assistant and the clerk. Lanshan has set no such limit; 2 is the project's default.
PUBLICITY_POSTING_WORKDAYS = env.int("PUBLICITY_POSTING_WORKDAYS", default=2)
# Democratic appraisal (民主评议): passed when votes for exceed this share of the participants
# ("1/2": more than half). Lanshan's own rule is not known; the seed sets none. The roles a
# participant may take part in, and the fewest participants, are likewise not set by Lanshan.
APPRAISAL_PASS_SHARE = env.str("APPRAISAL_PASS_SHARE", default="1/2")
APPRAISAL_MIN_PARTICIPANTS = env.int("APPRAISAL_MIN_PARTICIPANTS", default=3)
APPRAISAL_ROLES = env.list("APPRAISAL_ROLES", default=[
    "村民代表", "村(居)委成员", "村党组织成员", "村务监督委员会成员", "驻村干部",
    "镇街工作人员", "党员代表",
])

# Benefit amounts (cases/verification/assessment.py). No published Shandong/Linyi rounding
# rule was found: `yuan_up` (不足1元按1元计) by default; `fen` or `yuan_half_up` otherwise.
ASSISTANCE_AMOUNT_ROUNDING = env.str("ASSISTANCE_AMOUNT_ROUNDING", default="yuan_up")
# The deterministic simulated data source for verification (demo and tests only).
VERIFICATION_SIMULATED_SOURCE = env.bool("VERIFICATION_SIMULATED_SOURCE", default=DEBUG)
# Flags on the bureau's access-log review: persons looked up per officer per day, and the
# working hours outside which a look-up is flagged.
VERIFICATION_DAILY_PERSONS_LIMIT = env.int("VERIFICATION_DAILY_PERSONS_LIMIT", default=40)
VERIFICATION_WORK_HOURS = tuple(env.list("VERIFICATION_WORK_HOURS", subcast=int,
                                         default=[7, 20]))

# --- Deadline enforcement: sweeps, reminders, publicity close, periodic review -------------
# The beat schedule (CELERY_BEAT_SCHEDULE above) is code, not django-celery-beat: the cadence is
# an operating decision, not something the bureau edits, and a schedule kept in the database
# could be switched off from the admin without anyone noticing that reminders stopped. The legal
# limits the sweep enforces are the settings above. Every task is idempotent: several workers,
# or a rerun after a crash, never send a reminder twice (cases/sweep.py).
#
# At risk / breached follow the read-time rule of cases/deadline_state.py (≤ 3 working days,
# ≤ 6 hours for hour clocks), so the pages and the reminders never disagree. The 24-hour
# emergency clock (S11) is escalated to the township leader after EMERGENCY_ESCALATION_HOURS.
EMERGENCY_ESCALATION_HOURS = 12
# A notice that must reach the applicant (rejection, adjustment, suspension, termination; S16)
# is due delivered by the end of this many working days after the day it is issued.
DELIVERY_WORKING_DAYS = 5
# Deadlines handled per transaction by the sweep (each batch commits with its reminders).
DEADLINE_SWEEP_BATCH = 2000
# A worker that starts (or restarts after an outage) runs one sweep at once to catch up.
DEADLINE_SWEEP_ON_WORKER_START = True
# Outside channels. E-mail goes through EMAIL_BACKEND to users with an address; SMS only for
# urgent reminders (breach, emergency escalation) to users who gave a mobile number on their
# inbox page. SMS_BACKEND is a dotted path; the default writes the message to the log, and a
# deployment sets its gateway's backend (an `cases.sms.SmsBackend`) and SMS_OPTIONS.
SMS_BACKEND = env.str("SMS_BACKEND", default="cases.sms.LogSmsBackend")
SMS_OPTIONS: dict = {}
NOTIFICATION_DELIVERY_MAX_ATTEMPTS = 3
# A delivery claimed this long ago and never confirmed belongs to a worker that died while
# sending: it is marked unknown, not sent again (at most once).
NOTIFICATION_DELIVERY_STALE_MINUTES = 10
TEMPLATES[0]["OPTIONS"]["context_processors"].append("cases.context_processors.inbox")

# Periodic review (动态管理) of approved 低保/特困 households: months between reviews, per
# category, and shorter for a household with a member able to work (a current member with
# full labour capacity, aged PERIODIC_REVIEW_WORKING_AGE[0] to under [1]). Reviewed yearly;
# half-yearly where income is unstable because members can work (民发〔2021〕57号, see the
# domain brief §1.7). The review clock starts at sign-off and again after each review.
PERIODIC_REVIEW_MONTHS = {
    "dibao": {"default": 12, "able_to_work": 6},
    "tekun": {"default": 12, "able_to_work": 12},
}
PERIODIC_REVIEW_WORKING_AGE = (16, 60)

# --- The case trail's key and checkpoints (S17; docs/security.md, "The case trail") --------
# AUDIT_HMAC_KEY keys the HMAC that chains each case's events; it is never stored in the
# database, so whoever owns the database cannot recompute a chain they have edited. Read from
# the environment or from the file AUDIT_HMAC_KEY_FILE names (a secret mounted by compose).
# With DEBUG on a published demo key stands in; with DEBUG off `cases.checks` refuses to start
# without a key of at least 32 characters that is not the demo one. Changing the key makes
# every existing chain fail `verify_audit`: keep it as long as the data.
# AUDIT_CHECKPOINT_DIR receives the signed daily checkpoints of every chain's head; keep it off
# the database's volume and copy it off the server (it is not part of scripts/backup).
AUDIT_HMAC_KEY_FILE = env.str("AUDIT_HMAC_KEY_FILE", default="")
AUDIT_HMAC_KEY = env.str("AUDIT_HMAC_KEY", default="")
if not AUDIT_HMAC_KEY and AUDIT_HMAC_KEY_FILE:
    AUDIT_HMAC_KEY = Path(AUDIT_HMAC_KEY_FILE).read_text(encoding="utf-8").strip()
DEMO_AUDIT_HMAC_KEY = "demo-only-audit-hmac-key-lanshan-aid-0123456789"  # noqa: S105
if DEBUG and not AUDIT_HMAC_KEY:
    AUDIT_HMAC_KEY = DEMO_AUDIT_HMAC_KEY
AUDIT_CHECKPOINT_DIR = Path(env.str("AUDIT_CHECKPOINT_DIR",
                                    default=str(VAR_DIR / "audit-checkpoints")))
# Written at 01:30 Beijing time (CELERY_TIMEZONE), after the day's work; also by hand with
# `manage.py write_audit_checkpoint`.
from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE["write-audit-checkpoint"] = {
    "task": "cases.write_audit_checkpoint", "schedule": crontab(hour=1, minute=30)}
