"""Settings for the test suite: the real settings with test-only speed-ups."""

import os
import tempfile

os.environ.setdefault(
    "KUNDIG_SECRET_KEY", "kundig-test-secret-key-not-for-production-use"
)
os.environ.setdefault("KUNDIG_DATA_DIR", tempfile.mkdtemp(prefix="kundig-test-"))

from kundig.settings import *  # noqa: F403

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ACCOUNT_RATE_LIMITS = False
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
