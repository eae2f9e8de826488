"""Settings for Zibo Skills Online.

Every real part has an embedded default and a production part, chosen by environment variables
(see README "Configuration"): SQLite ↔ PostgreSQL (DATABASE_URL), in-memory cache and channel
layer ↔ Redis (REDIS_URL), local media/ ↔ S3 (AWS_STORAGE_BUCKET_NAME).
"""

import datetime as dt
from pathlib import Path

import dj_database_url
from botocore.config import Config as BotoConfig
from django.core.exceptions import ImproperlyConfigured

from config.csp import api_docs, media_origins, platform_policy, relaxed_for_admin
from config.env import env_bool, env_float, env_int, env_list, env_secret, env_str
from config.keys import signing_key_problems, weak_key_problems
from config.log_format import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Core -----------------------------------------------------------------------------------
DEBUG = env_bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env_secret("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) must be set when DJANGO_DEBUG is off. "
            "For local development set DJANGO_DEBUG=1 (make run does)."
        )
    # Development only: a fixed, obviously unsafe key so sessions survive restarts.
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
if DEBUG:
    ALLOWED_HOSTS += ["testserver"]
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAIL_SITE_NAME = "淄博技能在线"

INSTALLED_APPS = [
    "daphne",
    "courses",
    "learners",
    "progress",
    "archive",
    "catalogs",
    "teachers",
    "scorm",
    "quizzes",
    "institutions",
    "rosters",
    "subsidies",
    "evaluation",
    "demand",
    "orders",
    "audit",
    "integrity",
    "reports",
    "wechat",
    "portal",
    "ops",
    "api",
    "demo",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "rest_framework",
    # Kept only so that its table can be emptied by api's migration 0001 (tokens are knox's now).
    "rest_framework.authtoken",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    # First: every log line of the request carries its id, and every answer (even a redirect
    # of SecurityMiddleware) is timed, counted and logged (config.observability).
    "config.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Local media (no S3 bucket) with byte ranges, so that videos seek and resume; removes itself
    # when media is in S3. Before the session: a media file needs no session, user or language.
    "config.media.LocalMediaMiddleware",
    # The Content-Security-Policy (after media: a PDF from media/ may be framed by a lesson page).
    "config.csp.AreaCSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "wagtail.contrib.settings.context_processors.settings",
                "wechat.context_processors.wechat",
                "portal.context_processors.navigation",
            ],
        },
    },
]

# --- Database: SQLite (WAL) by default, PostgreSQL with DATABASE_URL -------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    try:
        _db = dj_database_url.parse(DATABASE_URL)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL cannot be parsed: {exc}") from None
    if _db["ENGINE"] == "django.db.backends.postgresql" and env_bool("DATABASE_POOL", True):
        # Django's psycopg pool: persistent connections otherwise leak under ASGI, where each
        # request runs in a different thread. CONN_MAX_AGE must be 0 with a pool.
        _db["CONN_MAX_AGE"] = 0
        _db.setdefault("OPTIONS", {})["pool"] = {
            "min_size": env_int("DATABASE_POOL_MIN", 2),
            "max_size": env_int("DATABASE_POOL_MAX", 16),
            "timeout": env_float("DATABASE_POOL_TIMEOUT", 10.0),
        }
    else:
        _db["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
        _db["CONN_HEALTH_CHECKS"] = True
    DATABASES = {"default": _db}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {
                # WAL lets readers proceed while one writer writes; IMMEDIATE takes the write
                # lock at BEGIN so two writers queue instead of deadlocking on lock upgrade.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }

# A PostgreSQL streaming replica (deploy/replica.sh) for reports, exports and fraud scans: the
# reads under common.replica.reading_from_replica() go there while its lag stays under
# REPLICA_MAX_LAG_SECONDS (docs/operations.md, "Read replica"); writes always go to default.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    if not DATABASE_URL or DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL needs DATABASE_URL to name the PostgreSQL primary it replicates."
        )
    try:
        _replica = dj_database_url.parse(DATABASE_REPLICA_URL)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_REPLICA_URL cannot be parsed: {exc}") from None
    if _replica["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL must be a postgres:// URL (a streaming replica of DATABASE_URL)."
        )
    # The primary's pool settings; in tests the alias takes the test database's name (MIRROR), so
    # the suite sees one database and a replica test reads the replicated test database.
    _replica["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    _replica["CONN_HEALTH_CHECKS"] = DATABASES["default"].get("CONN_HEALTH_CHECKS", False)
    if "pool" in DATABASES["default"].get("OPTIONS", {}):
        _replica.setdefault("OPTIONS", {})["pool"] = dict(DATABASES["default"]["OPTIONS"]["pool"])
    # An unreachable replica must fail fast: the reads then go to the primary.
    _replica.setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
DATABASE_ROUTERS = ["common.replica.ReplicaRouter"]
# Beyond this lag (or with the replica down) the reads go back to the primary.
REPLICA_MAX_LAG_SECONDS = env_float("REPLICA_MAX_LAG_SECONDS", 30.0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and channel layer: in-memory by default, Redis with REDIS_URL ---------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "zbjn"),
        }
    }
    CACHES["shared"] = CACHES["default"]
    # The Pub/Sub layer: a push is one PUBLISH (the original layer's group_send is a sorted-set
    # clean-up, a read of the group and a Lua script: three times the CPU per push, measured in
    # docs/benchmarks.md). Its at-most-once delivery is what live pushes are: best effort, the
    # progress itself is in the database.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": env_str("CHANNEL_PREFIX", "zbjn")},
        }
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        # What every process of one machine must see alike (the WeChat access token, refreshed
        # once under a lock by whichever process needs it: web, task worker, scheduled commands).
        # With Redis it is the default cache; without, Django's database cache (make migrate
        # creates its table with createcachetable; its add() is atomic in the database).
        "shared": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "shared_cache"},
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Storage: local media/ by default, S3-compatible with AWS_STORAGE_BUCKET_NAME -------------
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = env_str("MEDIA_URL", "/media/")
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]

AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    _media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL"),
            "region_name": env_str("AWS_S3_REGION_NAME"),
            "access_key": env_secret("AWS_ACCESS_KEY_ID"),
            "secret_key": env_secret("AWS_SECRET_ACCESS_KEY"),
            "custom_domain": env_str("AWS_S3_CUSTOM_DOMAIN"),
            "location": env_str("AWS_LOCATION", ""),
            "querystring_auth": env_bool("AWS_QUERYSTRING_AUTH", True),
            "file_overwrite": False,
            "default_acl": None,
            # Bounded waits: an S3 outage answers an upload with a clear 503 within seconds
            # (tests/test_faults_s3.py) instead of holding a worker for botocore's 60 s defaults.
            "client_config": BotoConfig(
                connect_timeout=env_float("AWS_S3_CONNECT_TIMEOUT", 5.0),
                read_timeout=env_float("AWS_S3_READ_TIMEOUT", 30.0),
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        },
    }
    # Private files (the scans of certificates issued elsewhere): the same bucket under its own
    # prefix, never through a public domain, each link signed and short-lived.
    _private_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **_media_storage["OPTIONS"],
            "custom_domain": None,
            "location": env_str("AWS_PRIVATE_LOCATION", "private"),
            "querystring_auth": True,
            "querystring_expire": 300,
        },
    }
else:
    _media_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    # Outside MEDIA_ROOT, so never served as media: only through the views that check who asks.
    _private_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env_str("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "private")), "base_url": "/-/"},
    }
STORAGES = {
    "default": _media_storage,
    "private": _private_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploads above this size are streamed to a temporary file instead of held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)

# --- Auth ------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# CSRF failures answer JSON on /api/ paths (a POST to an unknown /api/ URL reaches Wagtail's
# catch-all page route, whose CSRF check would otherwise answer an HTML page).
CSRF_FAILURE_VIEW = "api.exceptions.csrf_failure"
LOGIN_URL = "login"
# /home/ sends each role to its own home (portal.homes); a login with ?next= goes there instead.
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "/"
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60)
# Registrations per client address, web and API together (learners.registration_guard), and how
# often one address may be told that an ID number is already registered.
REGISTER_RATE = env_str("REGISTER_RATE", "30/hour")
REGISTER_ID_PROBE_RATE = env_str("REGISTER_ID_PROBE_RATE", "5/hour")
# The WeChat endpoint (wechat.endpoint): messages per follower (openid), past which they are
# answered "success" without a reply; refused calls (bad signature or body) per source address,
# past which the address gets 429 (WeChat's own servers are never refused). The OAuth login
# callback per client address (wechat.login). docs/security.md, "Rate limits".
WECHAT_RATE = env_str("WECHAT_RATE", "30/min")
WECHAT_REFUSED_RATE = env_str("WECHAT_REFUSED_RATE", "30/min")
WECHAT_LOGIN_RATE = env_str("WECHAT_LOGIN_RATE", "60/min")
# Subsidy claims made (learner's claim, class bulk claim; web and API together) per user and per
# client address (subsidies.api, subsidies.views).
SUBSIDY_CLAIM_RATE = env_str("SUBSIDY_CLAIM_RATE", "30/hour")
SUBSIDY_CLAIM_ADDRESS_RATE = env_str("SUBSIDY_CLAIM_ADDRESS_RATE", "300/hour")
# Failures from one client address (any usernames) before the address is refused for the window.
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 20)
# Proxies in front of the platform (nginx: 1): the client address is read from X-Forwarded-For.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Every password check passes the one login guard (learners.login_guard), whatever the door.
AUTHENTICATION_BACKENDS = ["learners.login_guard.GuardedModelBackend"]
WAGTAILADMIN_USER_LOGIN_FORM = "learners.forms.GuardedWagtailLoginForm"

# --- Internationalisation: Chinese first, English available ---------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
WAGTAIL_I18N_ENABLED = False
WAGTAIL_CONTENT_LANGUAGES = [("zh-hans", "简体中文")]
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Wagtail ---------------------------------------------------------------------------------
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "zip"]

# --- API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PARSER_CLASSES": ["api.parsers.SafeJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.StandardPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "PAGE_SIZE": 20,
}
# API tokens (django-rest-knox): stored as SHA-512 digests, never in plain text, and they expire.
API_TOKEN_TTL_DAYS = env_int("API_TOKEN_TTL_DAYS", 30)
REST_KNOX = {
    "TOKEN_TTL": dt.timedelta(days=API_TOKEN_TTL_DAYS),
    "AUTH_HEADER_PREFIX": "Token",  # the contract's "Authorization: Token <token>"
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Zibo Skills Online API",
    "DESCRIPTION": "淄博技能在线 client API v1, shared by the PC web, the phone app and WeChat H5.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["api.schema.only_api_v1"],
    # Courses and archive certificates share one set of certificate types: one enum.
    "ENUM_NAME_OVERRIDES": {"CertificateTypeEnum": "vocabulary.training.CertificateType"},
    # Path ids (common.urls, the "id" converter) are integers in the schema, as before it existed.
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "format": "int64", "minimum": 0, "maximum": 10**18 - 1}
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.document_error_responses",
    ],
}

# --- Personal data at rest (learners/crypto.py) ----------------------------------------------
# Fernet keys, comma-separated: the first encrypts, all decrypt (rotation). FIELD_HASH_KEY keys
# the look-up hashes of ID numbers and phones. Both are required in production.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS") or (
    [env_secret("FIELD_ENCRYPTION_KEY")] if env_secret("FIELD_ENCRYPTION_KEY") else []
)
FIELD_HASH_KEY = env_secret("FIELD_HASH_KEY")
if not DEBUG and not (FIELD_ENCRYPTION_KEYS and FIELD_HASH_KEY):
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEYS (or FIELD_ENCRYPTION_KEY / _FILE) and FIELD_HASH_KEY must be set when "
        "DJANGO_DEBUG is off: they protect learners' ID numbers and phones at rest."
    )
# Ed25519 keys that sign the archive's heads and certificates' credentials (archive/signing.py):
# "<kid>:<seed>" entries, the first signs, the others still verify. Required in production; in
# debug a key is derived from SECRET_KEY.
ARCHIVE_SIGNING_KEYS = env_secret("ARCHIVE_SIGNING_KEYS") or ""
if not DEBUG and not ARCHIVE_SIGNING_KEYS.strip():
    raise ImproperlyConfigured(
        "ARCHIVE_SIGNING_KEYS (or ARCHIVE_SIGNING_KEYS_FILE) must be set when DJANGO_DEBUG is off: "
        "it signs the archive and the certificates (manage.py archive_keygen prints a key)."
    )
if not DEBUG:
    # Production refuses weak keys at start-up rather than running on them (issue 15).
    _problems = weak_key_problems(SECRET_KEY, FIELD_ENCRYPTION_KEYS, FIELD_HASH_KEY)
    _problems += signing_key_problems(ARCHIVE_SIGNING_KEYS)
    if _problems:
        raise ImproperlyConfigured("Weak keys refused in production: " + "; ".join(_problems))

# --- SMS (learners/sms.py) and password reset (learners/password_reset.py) -------------------
# The HTTP gateway when SMS_API_URL is set; otherwise the console backend in debug (the code goes
# to the log and learners.sms.outbox) and, in production, none (staff reset accounts instead).
SMS_API_URL = env_str("SMS_API_URL", "") or ""
SMS_API_KEY = env_secret("SMS_API_KEY") or ""
SMS_API_TIMEOUT = env_float("SMS_API_TIMEOUT", 5.0)
SMS_BACKEND = env_str("SMS_BACKEND", "") or (
    "learners.sms.HttpBackend"
    if SMS_API_URL
    else "learners.sms.ConsoleBackend"
    if DEBUG
    else "learners.sms.DisabledBackend"
)
if SMS_API_URL and not SMS_API_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(f"SMS_API_URL must be an http(s) URL, got {SMS_API_URL!r}")
if not DEBUG and SMS_BACKEND.endswith(".ConsoleBackend"):
    raise ImproperlyConfigured("The console SMS backend writes codes to the log: never in production.")
PASSWORD_RESET_CODE_SECONDS = env_int("PASSWORD_RESET_CODE_SECONDS", 600)
PASSWORD_RESET_CODE_ATTEMPTS = env_int("PASSWORD_RESET_CODE_ATTEMPTS", 5)
PASSWORD_RESET_RESEND_SECONDS = env_int("PASSWORD_RESET_RESEND_SECONDS", 60)
PASSWORD_RESET_PHONE_RATE = env_str("PASSWORD_RESET_PHONE_RATE", "5/hour")
PASSWORD_RESET_ADDRESS_RATE = env_str("PASSWORD_RESET_ADDRESS_RATE", "30/hour")
PASSWORD_RESET_LINK_SECONDS = env_int("PASSWORD_RESET_LINK_SECONDS", 24 * 3600)

# --- Identity verification (learners/verification.py) ----------------------------------------
# The real-name check run after registration and roster activation. Default provider: the HTTP
# service when IDENTITY_VERIFICATION_URL is set; otherwise the offline development backend in
# debug, and in production staff confirmation in person only (never the development backend,
# which would verify anyone whose ID number has a valid check digit).
IDENTITY_VERIFICATION_URL = env_str("IDENTITY_VERIFICATION_URL", "") or ""
IDENTITY_VERIFICATION_TOKEN = env_secret("IDENTITY_VERIFICATION_TOKEN") or ""
IDENTITY_VERIFICATION_TIMEOUT = env_float("IDENTITY_VERIFICATION_TIMEOUT", 5.0)
IDENTITY_VERIFICATION_PROVIDER = env_str("IDENTITY_VERIFICATION_PROVIDER", "") or ""
if not IDENTITY_VERIFICATION_PROVIDER and IDENTITY_VERIFICATION_URL:
    IDENTITY_VERIFICATION_PROVIDER = "learners.verification.HttpBackend"
elif not IDENTITY_VERIFICATION_PROVIDER:
    IDENTITY_VERIFICATION_PROVIDER = "learners.verification." + (
        "DevelopmentBackend" if DEBUG else "StaffConfirmationOnly"
    )
# Names the development backend reports as not matching their ID number (comma-separated).
IDENTITY_DEV_REJECT_NAMES = env_list("IDENTITY_DEV_REJECT_NAMES", ["冒名顶替"])
if IDENTITY_VERIFICATION_TIMEOUT <= 0:
    raise ImproperlyConfigured("IDENTITY_VERIFICATION_TIMEOUT must be a positive number of seconds.")
if IDENTITY_VERIFICATION_URL and not IDENTITY_VERIFICATION_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        f"IDENTITY_VERIFICATION_URL must be an http(s) URL, got {IDENTITY_VERIFICATION_URL!r}"
    )
if IDENTITY_VERIFICATION_PROVIDER.endswith(".HttpBackend") and not IDENTITY_VERIFICATION_URL:
    raise ImproperlyConfigured(
        "IDENTITY_VERIFICATION_PROVIDER is the HTTP backend: set IDENTITY_VERIFICATION_URL."
    )

# --- Courseware uploads ----------------------------------------------------------------------
SCORM_MAX_UPLOAD_BYTES = env_int("SCORM_MAX_UPLOAD_BYTES", 200 * 1024 * 1024)
SCORM_MAX_UNPACKED_BYTES = env_int("SCORM_MAX_UNPACKED_BYTES", 1024 * 1024 * 1024)
SCORM_MAX_FILES = env_int("SCORM_MAX_FILES", 5000)
# SCORM package files run in a sandboxed frame and are reached through a short-lived signed URL
# (scorm/README.md, "Isolation"). SCORM_CONTENT_ORIGIN says where they are served from:
#  ""          this site, in an opaque sandbox (safe; a package's frames cannot script each other);
#  an origin   "https://scorm-content.example" (a host of its own, on which nobody signs in; "{lesson}"
#              may stand in the host name for one origin per lesson): its frames share that origin;
#  "loopback"  development: the other of 127.0.0.1 / localhost, on the request's port.
SCORM_CONTENT_ORIGIN = (
    (env_str("SCORM_CONTENT_ORIGIN", "loopback" if DEBUG else "") or "").strip().rstrip("/")
)
SCORM_CONTENT_TOKEN_SECONDS = env_int("SCORM_CONTENT_TOKEN_SECONDS", 6 * 3600)
if SCORM_CONTENT_ORIGIN not in ("", "loopback") and (
    not SCORM_CONTENT_ORIGIN.startswith(("https://", "http://"))
    or any(mark in SCORM_CONTENT_ORIGIN.split("://", 1)[1] for mark in "/?#@ \\")
    or not SCORM_CONTENT_ORIGIN.split("://", 1)[1]
):
    raise ImproperlyConfigured(
        "SCORM_CONTENT_ORIGIN must be empty, 'loopback' or an origin such as "
        f"https://scorm-content.example (no path), got {SCORM_CONTENT_ORIGIN!r}"
    )
if SCORM_CONTENT_TOKEN_SECONDS < 60:
    raise ImproperlyConfigured("SCORM_CONTENT_TOKEN_SECONDS must be at least 60.")
LESSON_UPLOAD_MAX_BYTES = {
    "video": env_int("LESSON_VIDEO_MAX_BYTES", 2048 * 1024 * 1024),
    "audio": env_int("LESSON_AUDIO_MAX_BYTES", 300 * 1024 * 1024),
    "document": env_int("LESSON_DOCUMENT_MAX_BYTES", 100 * 1024 * 1024),
    "scorm": SCORM_MAX_UPLOAD_BYTES,
}
DOCUMENT_SECONDS_PER_PAGE = env_int("DOCUMENT_SECONDS_PER_PAGE", 120)

# --- Tasks (Django's tasks API via django-tasks) ---------------------------------------------
# Immediate by default (a task runs in the request, after its commit); production sets
# TASKS_BACKEND=django_tasks_db.DatabaseBackend and runs `manage.py db_worker` (make run does).
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend"),
    }
}
# Tasks are declared and queued through common.background (retries, request id, after commit).
# Attempts of a failing task (database backend) before it stays FAILED on /ops/tasks/.
TASK_MAX_ATTEMPTS = env_int("TASK_MAX_ATTEMPTS", 3)
# A task RUNNING longer than this lost its worker: `manage.py tasks_recover` (scheduled, and at
# worker start) runs it again. Must exceed the longest task (a large SCORM package: minutes).
TASK_STALE_SECONDS = env_int("TASK_STALE_SECONDS", 900)

# --- WeChat official account (shared/contract/wechat.md) ------------------------------------
# Without WECHAT_APP_ID the WeChat end is off: /wechat/ answers 404 and pages hide its features.
WECHAT_APP_ID = env_str("WECHAT_APP_ID", "") or ""
WECHAT_APP_SECRET = env_secret("WECHAT_APP_SECRET") or ""
WECHAT_TOKEN = env_secret("WECHAT_TOKEN") or ""
# 43 characters (WeChat's base64 without "="): turns on safe (AES) mode for replies.
WECHAT_ENCODING_AES_KEY = env_secret("WECHAT_ENCODING_AES_KEY") or ""
# Every call to WeChat goes to the first, every browser redirect to its authorisation page to
# the second: staging and tests point them at a stand-in (wechat/standin.py).
WECHAT_API_BASE_URL = env_str("WECHAT_API_BASE_URL", "https://api.weixin.qq.com/").rstrip("/") + "/"
WECHAT_OPEN_BASE_URL = env_str("WECHAT_OPEN_BASE_URL", "https://open.weixin.qq.com/").rstrip("/") + "/"
# Seconds a call to WeChat may take: a reply to WeChat's servers must leave within 5 s.
WECHAT_HTTP_TIMEOUT = env_float("WECHAT_HTTP_TIMEOUT", 4.0)
# Template-message ids for notifications (set in the official account's back office); a kind
# without an id is not sent.
WECHAT_TEMPLATES = {
    "assignment": env_str("WECHAT_TEMPLATE_ASSIGNMENT", "") or "",
    "due_soon": env_str("WECHAT_TEMPLATE_DUE_SOON", "") or "",
    "course_completed": env_str("WECHAT_TEMPLATE_COURSE_COMPLETED", "") or "",
    "certificate_issued": env_str("WECHAT_TEMPLATE_CERTIFICATE_ISSUED", "") or "",
    "subsidy_decided": env_str("WECHAT_TEMPLATE_SUBSIDY_DECIDED", "") or "",
    "class_opened": env_str("WECHAT_TEMPLATE_CLASS_OPENED", "") or "",
}

# --- Study-time crediting (see docs and shared/contract/api-v1.md) ---------------------------
PROGRESS = {
    "ALLOWED_RATE": env_float("PROGRESS_ALLOWED_RATE", 1.0),
    "RATE_TOLERANCE": env_float("PROGRESS_RATE_TOLERANCE", 0.10),
    "MAX_GAP_SECONDS": env_float("PROGRESS_MAX_GAP_SECONDS", 120.0),
    "CLOCK_AHEAD_SECONDS": env_float("PROGRESS_CLOCK_AHEAD_SECONDS", 300.0),
    "OFFLINE_WINDOW_SECONDS": env_float("PROGRESS_OFFLINE_WINDOW_SECONDS", 7 * 24 * 3600.0),
    "POSITION_TOLERANCE_SECONDS": env_float("PROGRESS_POSITION_TOLERANCE_SECONDS", 2.0),
    "DAILY_CAP_SECONDS": env_float("PROGRESS_DAILY_CAP_SECONDS", 8 * 3600.0),
    "DEFAULT_COMPLETION_SHARE": env_float("PROGRESS_DEFAULT_COMPLETION_SHARE", 0.90),
    "MAX_BATCH": env_int("PROGRESS_MAX_BATCH", 500),
    # Rule 9: an event that arrives more than the live window after its client time belongs to a
    # backlog, and a backlog segment is credited only under a grant issued before it started.
    "LIVE_WINDOW_SECONDS": env_float("PROGRESS_LIVE_WINDOW_SECONDS", 600.0),
    "BACKLOG_NEEDS_GRANT": env_bool("PROGRESS_BACKLOG_NEEDS_GRANT", True),
    # How long a grant lasts: by default the offline window (a phone may keep a lesson that long).
    "GRANT_SECONDS": env_float("PROGRESS_GRANT_SECONDS", 7 * 24 * 3600.0),
    # PostgreSQL: a batch that completes no lesson commits without waiting for its WAL to reach
    # the disk (docs/progress.md, "Durability"). 0: every batch waits.
    "ASYNC_COMMIT": env_bool("PROGRESS_ASYNC_COMMIT", True),
}
# The evidence log at scale (docs/progress.md, "The log at scale"): on PostgreSQL one partition per
# month, created this many months ahead by `manage.py progress_partitions`; months older than the
# retention are exported (gzip CSV + manifest) to the default storage under the archive location,
# then removed from the database.
PROGRESS_PARTITIONS_AHEAD = env_int("PROGRESS_PARTITIONS_AHEAD", 3)
PROGRESS_EVENT_RETENTION_MONTHS = env_int("PROGRESS_EVENT_RETENTION_MONTHS", 24)
PROGRESS_ARCHIVE_LOCATION = env_str("PROGRESS_ARCHIVE_LOCATION", "evidence-archive") or "evidence-archive"
# The web player's heartbeat interval (the contract asks for 15–30 s; tests make it short).
PLAYER_HEARTBEAT_SECONDS = env_int("PLAYER_HEARTBEAT_SECONDS", 15)
# When set (> 0), the attention-check period in seconds for every course that has checks on,
# instead of its attention_check_minutes: for tests and demonstrations only.
ATTENTION_CHECK_SECONDS_OVERRIDE = env_int("ATTENTION_CHECK_SECONDS_OVERRIDE", 0)

# --- Institutions' evaluation (evaluation/, docs/evaluation.md) -----------------------------
# A yearly scorecard below any of these is flagged for the bureau; an institution with fewer
# trainees than EVALUATION_MIN_TRAINEES in the year is not flagged on its rates (too few to judge),
# an average of fewer than EVALUATION_MIN_RATINGS ratings is not judged, and fraud findings flag
# whatever the size. A learner may change their rating for EVALUATION_RATING_EDIT_DAYS days.
EVALUATION_MIN_COMPLETION_RATE = env_float("EVALUATION_MIN_COMPLETION_RATE", 0.6)
EVALUATION_MIN_CERTIFICATE_RATE = env_float("EVALUATION_MIN_CERTIFICATE_RATE", 0.5)
EVALUATION_MIN_RATING = env_float("EVALUATION_MIN_RATING", 3.0)
EVALUATION_MIN_RATINGS = env_int("EVALUATION_MIN_RATINGS", 5)
EVALUATION_MAX_REJECTION_RATE = env_float("EVALUATION_MAX_REJECTION_RATE", 0.2)
EVALUATION_MAX_FRAUD_FINDINGS = env_int("EVALUATION_MAX_FRAUD_FINDINGS", 0)
EVALUATION_MIN_TRAINEES = env_int("EVALUATION_MIN_TRAINEES", 10)
EVALUATION_RATING_EDIT_DAYS = env_int("EVALUATION_RATING_EDIT_DAYS", 30)

# --- Security (production) -------------------------------------------------------------------
SESSION_COOKIE_SECURE = not DEBUG and env_bool("DJANGO_SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = not DEBUG and env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 0 if DEBUG else env_int("DJANGO_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG and env_bool("DJANGO_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
X_FRAME_OPTIONS = "DENY"  # views that must be framed (SCORM launch) opt in one by one
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD or DEBUG else ["security.W021"]

# --- Content-Security-Policy (django-csp; config/csp.py, docs/security.md) ---------------------
# The platform's pages: scripts and styles from this site, or inline with the response's nonce
# (<script nonce="{{ request.csp_nonce }}">); no inline event handlers, no style attributes.
_CSP_MEDIA = media_origins(
    media_url=MEDIA_URL,
    bucket=AWS_STORAGE_BUCKET_NAME,
    endpoint_url=env_str("AWS_S3_ENDPOINT_URL"),
    custom_domain=env_str("AWS_S3_CUSTOM_DOMAIN"),
    region=env_str("AWS_S3_REGION_NAME"),
    protocol=env_str("AWS_S3_URL_PROTOCOL", "https:"),
)
CONTENT_SECURITY_POLICY = platform_policy(media=_CSP_MEDIA, scorm_content_origin=SCORM_CONTENT_ORIGIN)
# Areas whose templates are not ours: directives replaced by path prefix (config.csp).
CSP_AREA_POLICIES = {
    "/admin/": relaxed_for_admin(media=_CSP_MEDIA),
    "/api/docs/": api_docs(),
}

# --- Logs, metrics, readiness (docs/operations.md) -------------------------------------------
# json: one JSON object a line (for a log collector); text: for a terminal.
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, got {LOG_FORMAT!r}")
# One line per request on the "access" logger (method, path, status, time, user id, request id).
ACCESS_LOG = env_bool("ACCESS_LOG", True)
# /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`; without a token it is off (404).
METRICS_TOKEN = env_secret("METRICS_TOKEN") or ""
# Time each readiness check may take (/readyz, the zbjn_ready gauge), and how long the oldest
# ready task may wait before the task queue counts as degraded (no worker, or too few).
READINESS_TIMEOUT_SECONDS = env_float("READINESS_TIMEOUT_SECONDS", 2.0)
READINESS_TASK_MAX_WAIT_SECONDS = env_int("READINESS_TASK_MAX_WAIT_SECONDS", 600)

LOGGING = logging_config(log_format=LOG_FORMAT, access_log=ACCESS_LOG, level=env_str("LOG_LEVEL", "INFO"))
