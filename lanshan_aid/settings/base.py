"""Settings shared by every deployment.

Every value that differs between deployments is read from the environment here, at the top,
and listed in `.env.example`. Production differs from the demo only by environment variables.
"""

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

VAR_DIR.mkdir(parents=True, exist_ok=True)

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
    "cases",
    "documents",
    "publicity",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
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
        },
    },
]

DATABASES = {"default": env.dj_db_url("DATABASE_URL", default=DATABASE_URL)}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
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
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Language, time, formats --------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
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
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

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
}

# --- Logging ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

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
