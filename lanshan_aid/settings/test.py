"""Settings for the test suite: the base settings with fast hashing and eager Celery.

`DATABASE_URL` and `REDIS_URL` still apply, so the same suite runs on SQLite locally and on
PostgreSQL and Redis in CI.
"""

import atexit
import shutil
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import CELERY_BROKER_TRANSPORT_OPTIONS, CELERY_BROKER_URL, DATABASES, REDIS_URL, env

# Under pytest-xdist each worker process (gw0, gw1, ...) has a database of its own (pytest-django
# appends the worker id) and, below, its own Redis keys, broker folder and scratch folders. A
# Celery worker process started by a test inherits PYTEST_XDIST_WORKER and so the same keys.
TEST_WORKER = env.str("PYTEST_XDIST_WORKER", default="")

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-any-deployment-0123456789abcdef"  # noqa: S105
# Fixed keys so that every run encrypts alike; never the demo keys, which production refuses.
FIELD_ENCRYPTION_KEYS = ["dGVzdC1vbmx5LWZpZWxkLWtleS1sYW5zaGFuLWFpZCE="]
ID_HASH_KEY = "test-only-id-hash-key-lanshan-aid-0123456789"  # noqa: S105
AUDIT_HMAC_KEY = "test-only-audit-hmac-key-lanshan-aid-0123456789"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
# Base reads these with DEBUG's demo default; the suite runs as production would.
VERIFICATION_SIMULATED_SOURCE = env.bool("VERIFICATION_SIMULATED_SOURCE", default=False)
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DOCUMENTS_PUBLIC_BASE_URL = "https://jiuzhu.lanshan.example"
# Each test process uploads into a folder of its own, removed when the process ends.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="lanshan-aid-media-"))
atexit.register(shutil.rmtree, MEDIA_ROOT, ignore_errors=True)
AUDIT_CHECKPOINT_DIR = Path(tempfile.mkdtemp(prefix="lanshan-aid-checkpoints-"))
atexit.register(shutil.rmtree, AUDIT_CHECKPOINT_DIR, ignore_errors=True)
# Redis: every key of this test process under its own prefix; clearing the cache (before every
# test) deletes those keys only, not the whole Redis database that other workers share.
if REDIS_URL:
    REDIS_KEY_PREFIX = f"lanshan-test-{TEST_WORKER or 'main'}"
    CACHES = {"default": {"BACKEND": "lanshan_aid.test_cache.PrefixClearingRedisCache",
                          "LOCATION": REDIS_URL, "KEY_PREFIX": REDIS_KEY_PREFIX}}
    CELERY_BROKER_TRANSPORT_OPTIONS = {**CELERY_BROKER_TRANSPORT_OPTIONS,
                                       "global_keyprefix": f"{REDIS_KEY_PREFIX}:"}
elif str(CELERY_BROKER_URL).startswith("filesystem://"):
    _broker = Path(tempfile.mkdtemp(prefix="lanshan-aid-broker-"))
    atexit.register(shutil.rmtree, _broker, ignore_errors=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **CELERY_BROKER_TRANSPORT_OPTIONS, "data_folder_in": str(_broker),
        "data_folder_out": str(_broker), "processed_folder": str(_broker / "processed"),
        "control_folder": str(_broker / "control")}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}

# The test client and the browser tests' live server speak plain HTTP, whatever DEBUG or
# HTTPS say in the environment: no redirect to https, cookies sent without TLS, no HSTS.
# tests/security checks the production values with `check --deploy` in a subprocess.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
