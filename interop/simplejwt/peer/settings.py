"""Minimal Django settings for the stock-simplejwt interop peer.

Everything behavioural comes from stock Django / DRF / simplejwt defaults;
only the knobs below are read from the environment (run.sh sets them):

  PEER_STATE_DIR            directory holding the throw-away SQLite DB
  SIGNING_KEY               HS256 key (default: a fixed dev key)
  ALGORITHM                 simplejwt's ALGORITHM (default HS256)
  SIGNING_KEY_FILE          PEM private key for RS256/ES256/EdDSA (SIGNING_KEY's place)
  VERIFYING_KEY_FILE        its PEM public key (VERIFYING_KEY)
  ACCESS_SECONDS            access-token lifetime in seconds (unset: stock 5 min)
  REFRESH_SECONDS           refresh-token lifetime in seconds (unset: stock 1 day)
  ROTATE_REFRESH_TOKENS     "1" to rotate refresh tokens
  BLACKLIST_AFTER_ROTATION  "1" to blacklist after rotation (adds the token_blacklist app)
"""
import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
STATE_DIR = Path(os.environ.get("PEER_STATE_DIR") or BASE_DIR / ".run" / "default")
STATE_DIR.mkdir(parents=True, exist_ok=True)


def env_flag(name):
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


SECRET_KEY = "interop-simplejwt-peer-django-secret-not-for-production"
DEBUG = False
ALLOWED_HOSTS = ["*"]

BLACKLIST = env_flag("BLACKLIST_AFTER_ROTATION")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework",
    "api",
]
if BLACKLIST:
    INSTALLED_APPS.append("rest_framework_simplejwt.token_blacklist")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",  # APPEND_SLASH (default True) -> 301
]

ROOT_URLCONF = "peer.urls"
WSGI_APPLICATION = "peer.wsgi.application"

# Needed only by DRF's browsable API (Accept: text/html).
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
STATIC_URL = "static/"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": STATE_DIR / "db.sqlite3",
        # 3 gunicorn workers share one SQLite file: wait for locks instead of
        # failing with "database is locked".
        "OPTIONS": {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL;",
        },
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",  # username login
    "api.auth.EmailBackend",  # email login (document 004 layout)
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": (
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ),
    "DEFAULT_PERMISSION_CLASSES": ("rest_framework.permissions.IsAuthenticated",),
}

ALGORITHM = os.environ.get("ALGORITHM") or "HS256"


def key_file(name):
    """The text of the PEM file an environment variable names, or None."""
    path = os.environ.get(name)
    return Path(path).read_text() if path else None


SIMPLE_JWT = {
    "ALGORITHM": ALGORITHM,
    "SIGNING_KEY": key_file("SIGNING_KEY_FILE")
    or os.environ.get("SIGNING_KEY")
    or "peer-simplejwt-signing-key-0123456789abcdef",
    # The public key for RS256/ES256/EdDSA; simplejwt ignores it for HS*.
    "VERIFYING_KEY": key_file("VERIFYING_KEY_FILE") or "",
    "ROTATE_REFRESH_TOKENS": env_flag("ROTATE_REFRESH_TOKENS"),
    "BLACKLIST_AFTER_ROTATION": BLACKLIST,
    "LEEWAY": 0,
}
if os.environ.get("ACCESS_SECONDS"):
    SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] = timedelta(seconds=int(os.environ["ACCESS_SECONDS"]))
if os.environ.get("REFRESH_SECONDS"):
    SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"] = timedelta(seconds=int(os.environ["REFRESH_SECONDS"]))

# Unhandled exceptions (e.g. the stock 500 on a refresh token for a deleted user)
# go to stderr, i.e. the gunicorn log in the state dir.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["stderr"], "level": "ERROR"}},
}
