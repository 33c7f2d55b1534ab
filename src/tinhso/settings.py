"""Django settings for tinhso, read only from environment variables.

Two modes: `embedded` (the default: one machine, SQLite and files under ./var/, no broker
server) and `production` (PostgreSQL, a broker for Celery, S3 storage, HTTPS). Each variable
is documented where it is read; docs/configuration.md lists them all.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

from tinhso.conf import ConfigurationError, env, env_bool, env_int, env_list
from tinhso.core.workdays import parse_periods
from tinhso.feedback.mapview import check_tile_url

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent

MODE = env(
    "TINHSO_MODE",
    "embedded",
    doc="`embedded` (one machine, SQLite and local files, generated secret) or `production` "
    "(secret, allowed hosts and HTTPS required).",
)
if MODE not in {"embedded", "production"}:
    raise ConfigurationError(f"TINHSO_MODE={MODE!r}: set it to embedded or production")
PRODUCTION = MODE == "production"

VAR_DIR = Path(
    env(
        "TINHSO_VAR_DIR",
        str(PROJECT_DIR / "var"),
        doc="Folder for the embedded database, uploaded files, the generated secret key and "
        "logs. Default: `./var/` in the project folder.",
    )
    or "var"
).resolve()

DEBUG = env_bool(
    "TINHSO_DEBUG", False, doc="Django debug pages. Never in production; refused there."
)
if PRODUCTION and DEBUG:
    raise ConfigurationError("TINHSO_DEBUG=true is not allowed with TINHSO_MODE=production")


def _secret_key() -> str:
    key = env(
        "SECRET_KEY",
        None,
        doc="Django's signing key. Required in production (50+ random characters); in embedded "
        "mode it is generated into `var/secret_key` on first run.",
    )
    if key and PRODUCTION and (len(key) < 50 or len(set(key)) < 5):
        # Django's own rule for a usable key (security.W009): 50+ characters, 5+ distinct.
        raise ConfigurationError(
            f"SECRET_KEY is too weak ({len(key)} characters, {len(set(key))} distinct): "
            "production mode needs 50 or more random characters"
        )
    if key:
        return key
    if PRODUCTION:
        raise ConfigurationError(
            "SECRET_KEY is not set: production mode needs SECRET_KEY (50 or more random characters)"
        )
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS",
    "" if PRODUCTION else "127.0.0.1,localhost,testserver",
    doc="Comma-separated host names the site answers to. Required in production.",
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ConfigurationError(
        "ALLOWED_HOSTS is not set: list the site's host names, comma-separated"
    )
CSRF_TRUSTED_ORIGINS = env_list(
    "CSRF_TRUSTED_ORIGINS", "", doc="Comma-separated origins (https://host) trusted for forms."
)
SITE_URL = env(
    "TINHSO_SITE_URL",
    "http://127.0.0.1:8000",
    doc=(
        "The public address of the portal, used in e-mails, QR codes and OIDC redirects. "
        "Unset, `tinhso run --bind HOST:PORT` gives its server and worker http://HOST:PORT."
    ),
)

# --- Province ---------------------------------------------------------------------------
PROVINCE_CODE = env(
    "TINHSO_PROVINCE_CODE",
    "66",
    doc="Code (post-July-2025) of the province this instance serves. Default 66, Đắk Lắk.",
)

WORKING_HOURS = env(
    "TINHSO_WORKING_HOURS",
    "07:30-11:30,13:00-17:00",
    doc="Office hours on working days, the basis of every legal deadline (one working day is "
    "their total, 8 hours by default).",
)
try:
    parse_periods(WORKING_HOURS or "")
except ValueError as exc:
    raise ConfigurationError(f"TINHSO_WORKING_HOURS: {exc}") from None

# --- Applications -----------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "mozilla_django_oidc",
    "ninja",  # the API documentation's Swagger UI from its own static files, not a CDN
    "tinhso.core",
    "tinhso.places",
    "tinhso.people",
    "tinhso.catalogue",
    "tinhso.dossiers",
    "tinhso.documents",
    "tinhso.feedback",
    "tinhso.payments",
    "tinhso.datastore",
    "tinhso.verify",
    "tinhso.dvcqg",
    "tinhso.sandbox",
    "tinhso.ioc",
    "tinhso.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "tinhso.core.csp.ContentSecurityPolicyMiddleware",
    "tinhso.core.edge.RefuseMalformedInputMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "tinhso.web.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "tinhso.core.middleware.RequestContextMiddleware",
    "tinhso.people.middleware.RequireSecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "tinhso.web.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "tinhso.urls"
WSGI_APPLICATION = "tinhso.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Django admin templates corrected where they print English whatever the language.
        "DIRS": [BASE_DIR / "web" / "admin_templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tinhso.web.context.platform",
            ],
            # `{{ answer|ngay }}`: ISO date strings as dd/mm/yyyy, in every template.
            "builtins": ["tinhso.web.templatetags.dates"],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
_default_db = f"sqlite:///{VAR_DIR / 'tinhso.sqlite3'}"
DATABASE_URL = env(
    "DATABASE_URL",
    _default_db,
    doc="Database address, e.g. `postgres://user:pass@host:5432/tinhso`. Default: SQLite in "
    "`var/tinhso.sqlite3`.",
)
try:
    _db = dj_database_url.parse(DATABASE_URL or _default_db, conn_max_age=60)
except Exception as exc:  # dj_database_url raises several types for a malformed URL
    raise ConfigurationError(f"DATABASE_URL is not a valid database address: {exc}") from None
if _db["ENGINE"] == "django.db.backends.sqlite3":
    Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Kept across requests as on PostgreSQL (60 s): a new SQLite connection costs more than
    # a hot API request (the init pragmas, WAL's shared memory, Django's functions: about
    # 2.5 ms of CPU against 0.5 ms for the whole public look-up; issue 12). Each gunicorn
    # thread holds its own; between requests it holds no transaction, so WAL checkpoints
    # and other processes' writes are not held up.
    _db["CONN_MAX_AGE"] = 60
    _db["OPTIONS"] = {
        # IMMEDIATE: a write transaction takes the write lock at BEGIN, so read-then-write
        # sequences (audit chain, numbering) serialise instead of failing mid-way.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so tests can hand the database to worker processes they start; one
    # per test process, so parallel runs do not share it.
    _db["TEST"] = {"NAME": str(VAR_DIR / f"test-tinhso-{os.getpid()}.sqlite3")}
elif _db["ENGINE"] == "django.db.backends.postgresql":
    _db.setdefault("OPTIONS", {})["connect_timeout"] = 5
    # No JIT: PostgreSQL compiles a query whose estimated cost passes jit_above_cost, about a
    # second of CPU that a web request's query of a few milliseconds never pays back. The
    # document search's year steps are estimated over a thousand years (generate_series with
    # bounds read by the query), and took 1.3 s instead of 7 ms with it (issue 12).
    _db["OPTIONS"]["options"] = (_db["OPTIONS"].get("options", "") + " -c jit=off").strip()
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- People and sign-in -----------------------------------------------------------------
AUTH_USER_MODEL = "people.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "tinhso.people.auth.PhoneEmailOrUsernameBackend",
    "tinhso.people.oidc.CitizenOIDCBackend",
]
LOGIN_URL = "people:sign-in"
LOGIN_REDIRECT_URL = "dossiers:mine"
LOGOUT_REDIRECT_URL = "web:home"
# The first hasher makes new hashes; the others still verify older ones (upgraded at sign-in).
PASSWORD_HASHERS = [
    "tinhso.core.passwords.OwaspArgon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AXES_FAILURE_LIMIT = env_int(
    "TINHSO_LOCKOUT_FAILURES", 5, doc="Failed sign-ins in a row that lock an account."
)
AXES_COOLOFF_TIME = (
    env_int(
        "TINHSO_LOCKOUT_MINUTES", 15, doc="Minutes an account stays locked after too many failures."
    )
    / 60
)
# Lock the account, not the address: a commune office's staff share one NAT address, and an
# address lock would shut them all out for one person's typos. Rotating user agents or
# cookies cannot get around an account lock, which is what axes.W006 warns about.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "tinhso.people.views.locked_out"
AXES_USERNAME_FORM_FIELD = "username"
AXES_IPWARE_PROXY_COUNT = env_int(
    "TINHSO_PROXY_COUNT",
    0,
    doc="Number of reverse proxies in front of the app whose X-Forwarded-For is trusted for "
    "client addresses (audit, lockout). 0 = use the socket address.",
)
AXES_VERBOSE = False

OTP_TOTP_ISSUER = env(
    "TINHSO_TOTP_ISSUER", "tinhso", doc="Issuer name shown in authenticator apps."
)

# OpenID Connect for citizens (VNeID / national portal single sign-on is an OIDC provider).
OIDC_ISSUER = env(
    "OIDC_ISSUER",
    "",
    doc="Issuer URL of the citizens' OpenID Connect provider (e.g. VNeID through the national "
    "portal). Empty: OIDC sign-in is off. Endpoints are read from its discovery document "
    "unless the OIDC_OP_* variables are set.",
)
OIDC_RP_CLIENT_ID = env("OIDC_RP_CLIENT_ID", "", doc="Client id registered with the provider.")
OIDC_RP_CLIENT_SECRET = env("OIDC_RP_CLIENT_SECRET", "", doc="Client secret for that client id.")
OIDC_RP_SIGN_ALGO = env("OIDC_RP_SIGN_ALGO", "RS256", doc="ID token signing algorithm.")
OIDC_RP_SCOPES = env("OIDC_RP_SCOPES", "openid profile email phone", doc="Scopes requested.")
OIDC_OP_AUTHORIZATION_ENDPOINT = env(
    "OIDC_OP_AUTHORIZATION_ENDPOINT", "", doc="Override: the provider's authorization endpoint."
)
OIDC_OP_TOKEN_ENDPOINT = env(
    "OIDC_OP_TOKEN_ENDPOINT", "", doc="Override: the provider's token endpoint."
)
OIDC_OP_USER_ENDPOINT = env(
    "OIDC_OP_USER_ENDPOINT", "", doc="Override: the provider's userinfo endpoint."
)
OIDC_OP_JWKS_ENDPOINT = env("OIDC_OP_JWKS_ENDPOINT", "", doc="Override: the provider's JWKS URL.")
OIDC_AUTH_REQUEST_EXTRA_PARAMS = {
    "acr_values": env("OIDC_ACR_VALUES", "LoA1", doc="acr_values sent to the provider (VNeID LoA).")
}
OIDC_CLAIM_PERSONAL_ID = env(
    "OIDC_CLAIM_PERSONAL_ID",
    "personal_id",
    doc="Claim carrying the citizen's 12-digit personal identification number.",
)
OIDC_CREATE_USER = True
# Our view discovers the provider's endpoints from OIDC_ISSUER when they are not set.
OIDC_AUTHENTICATE_CLASS = "tinhso.people.oidc.CitizenAuthenticationRequestView"
OIDC_STORE_ID_TOKEN = False
OIDC_USERNAME_ALGO = "tinhso.people.oidc.username_for_claims"
LOGIN_REDIRECT_URL_FAILURE = "/dang-nhap/"

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = env("LANGUAGE_CODE", "vi", doc="Default interface language (vi or en).")
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
TIME_ZONE = env("TIME_ZONE", "Asia/Ho_Chi_Minh", doc="Time zone of the legal clock and the UI.")
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates as dd/mm/yyyy and HH:MM dd/mm/yyyy in both languages (tinhso/formats/).
FORMAT_MODULE_PATH = ["tinhso.formats"]

# --- Files ------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
S3_BUCKET = env(
    "TINHSO_S3_BUCKET",
    "",
    doc="S3-compatible bucket for uploaded and generated files. Empty: files under `var/media`.",
)
S3_OPTIONS = {
    "endpoint_url": env(
        "TINHSO_S3_ENDPOINT_URL", "", doc="S3 endpoint (MinIO, Ceph, a cloud region's URL)."
    )
    or None,
    "region_name": env("TINHSO_S3_REGION", "", doc="S3 region name.") or None,
    "access_key": env("TINHSO_S3_ACCESS_KEY", "", doc="S3 access key id."),
    "secret_key": env("TINHSO_S3_SECRET_KEY", "", doc="S3 secret key."),
}
_storage_default: dict[str, object] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
if S3_BUCKET:
    _storage_default = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            **S3_OPTIONS,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
STORAGES = {
    "default": _storage_default,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Dossiers (online public services) --------------------------------------------------
DOSSIER_FILE_TYPES = env_list(
    "TINHSO_DOSSIER_FILE_TYPES",
    "pdf,jpg,png,docx,xlsx,odt",
    doc="File types citizens may attach, checked by content, not by name.",
)
DOSSIER_MAX_FILE_BYTES = (
    env_int("TINHSO_DOSSIER_MAX_FILE_MB", 10, doc="Largest attached file, in MB.") * 1024 * 1024
)
DOSSIER_MAX_DOSSIER_BYTES = (
    env_int("TINHSO_DOSSIER_MAX_DOSSIER_MB", 50, doc="Largest total of a dossier's files, in MB.")
    * 1024
    * 1024
)
# Every upload path that takes a ZIP-based file (DOCX, XLSX, ODT) bounds what it expands to
# (core/archives.py); entry count, ratio and nesting bounds are constants there.
UPLOAD_MAX_EXPANDED_BYTES = (
    env_int(
        "TINHSO_UPLOAD_MAX_EXPANDED_MB",
        100,
        doc="Largest total a ZIP-based upload (DOCX, XLSX, ODT) may expand to, in MB.",
    )
    * 1024
    * 1024
)
DOSSIER_LOOKUPS_PER_MINUTE = env_int(
    "TINHSO_LOOKUPS_PER_MINUTE",
    10,
    doc="Dossier codes with a failed public look-up allowed per client address per minute.",
)
DOSSIER_LOOKUPS_PER_CODE_PER_MINUTE = env_int(
    "TINHSO_LOOKUPS_PER_CODE_PER_MINUTE",
    5,
    doc="Failed public look-ups of one dossier code allowed per minute from one address "
    "(from all addresses together, 20 times that).",
)
DOSSIER_RECEPTION_CUTOFF = env(
    "TINHSO_DOSSIER_RECEPTION_CUTOFF",
    "15:00",
    doc="Dossiers received at or after this time count from 07:30 on the next working day "
    "(the 15:00 rule; its article is UNCONFIRMED).",
)
DOSSIER_WITHIN_DAY = env(
    "TINHSO_DOSSIER_WITHIN_DAY",
    "end_of_day",
    doc="What a time limit of 'trong ngày' means: end_of_day (due at the end of the working "
    "day the clock starts) or working_day (8 working hours). UNCONFIRMED.",
)
if DOSSIER_WITHIN_DAY not in {"end_of_day", "working_day"}:
    raise ConfigurationError(
        f"TINHSO_DOSSIER_WITHIN_DAY={DOSSIER_WITHIN_DAY!r}: set it to end_of_day or working_day"
    )
# The citizen's data store (docs/datastore.md)
DATASTORE_SHARE_DAYS = env_int(
    "TINHSO_DATASTORE_SHARE_DAYS",
    7,
    doc="Days a link the citizen shares with an agency stays valid, unless they choose fewer "
    "(1 to this). The law sets no figure [UNCONFIRMED].",
)
DATASTORE_MAX_DOCUMENTS = env_int(
    "TINHSO_DATASTORE_MAX_DOCUMENTS",
    500,
    doc="Most documents one owner may upload to their store (issued results and digitised "
    "papers are not counted and always enter).",
)
DATASTORE_MAX_BYTES = (
    env_int(
        "TINHSO_DATASTORE_MAX_MB",
        500,
        doc="Largest total, in MB, of the documents one owner uploaded to their store.",
    )
    * 1024
    * 1024
)
DATASTORE_PREFILL_FIELDS = env(
    "TINHSO_DATASTORE_PREFILL_FIELDS",
    "",
    doc="E-form fields prefilled from the citizen's account or data store, over the table in "
    'datastore/prefill.py: a JSON object of field name → source ("citizen.address", '
    '"store.GKS.number"); an empty source removes a field. No text sets these [UNCONFIRMED].',
)
DOSSIER_DUE_SOON_HOURS = env_int(
    "TINHSO_DOSSIER_DUE_SOON_HOURS", 16, doc="Working hours ahead that count as 'due soon'."
)
DOSSIER_POPULARITY_DAYS = env_int(
    "TINHSO_DOSSIER_POPULARITY_DAYS",
    365,
    doc="Days of submitted dossiers counted for each procedure's popularity "
    "(home page order, search ties).",
)
DOSSIER_APOLOGY_WARNING_HOURS = env_int(
    "TINHSO_DOSSIER_APOLOGY_WARNING_HOURS",
    8,
    doc="Working hours before the appointment when the agency at fault is asked to apologise.",
)
DOSSIER_FORMS_DIR = env(
    "TINHSO_DOSSIER_FORMS_DIR",
    "",
    doc="Folder of replacement templates for the one-stop forms (01-04, tracking sheet).",
)
DOSSIER_FORMS_PLACE = env(
    "TINHSO_DOSSIER_FORMS_PLACE", "", doc="Place name printed on forms; default the province's."
)
# The submission API carries files base64-encoded in JSON (4/3 of their size): let a full
# dossier through, and nothing larger.
DATA_UPLOAD_MAX_MEMORY_SIZE = DOSSIER_MAX_DOSSIER_BYTES * 4 // 3 + 1024 * 1024

# --- Feedback (field reports): videos and Open311 media_url ------------------------------
FEEDBACK_MAX_VIDEOS = env_int(
    "TINHSO_FEEDBACK_MAX_VIDEOS", 2, doc="Videos one field report may carry (of its 5 files)."
)
FEEDBACK_VIDEO_MAX_BYTES = (
    env_int("TINHSO_FEEDBACK_VIDEO_MAX_MB", 50, doc="Largest field-report video, in MB.")
    * 1024
    * 1024
)
FEEDBACK_VIDEO_MAX_SECONDS = env_int(
    "TINHSO_FEEDBACK_VIDEO_MAX_SECONDS", 60, doc="Longest field-report video, in seconds."
)
FEEDBACK_VIDEO_MAX_SIDE = env_int(
    "TINHSO_FEEDBACK_VIDEO_MAX_SIDE",
    3840,
    doc="Largest width or height of a field-report video, in pixels (3840: 4K).",
)
FEEDBACK_VIDEO_TIMEOUT_SECONDS = env_int(
    "TINHSO_FEEDBACK_VIDEO_TIMEOUT_SECONDS",
    30,
    doc="Time allowed to each ffprobe/ffmpeg run on an uploaded video.",
)
FEEDBACK_MEDIA_FETCH_ALLOW = env_list(
    "TINHSO_FEEDBACK_MEDIA_FETCH_ALLOW",
    "",
    doc="Hosts an Open311 media_url may point to although they resolve to a private, "
    "loopback or link-local address (comma-separated). Empty: only public addresses.",
)
FEEDBACK_MEDIA_FETCH_MAX_BYTES = (
    env_int(
        "TINHSO_FEEDBACK_MEDIA_FETCH_MAX_MB",
        8,
        doc="Largest image fetched from an Open311 media_url, in MB.",
    )
    * 1024
    * 1024
)
FEEDBACK_MEDIA_FETCH_TIMEOUT_SECONDS = env_int(
    "TINHSO_FEEDBACK_MEDIA_FETCH_TIMEOUT_SECONDS",
    10,
    doc="Connect and read timeout when fetching an Open311 media_url.",
)

# --- Background work --------------------------------------------------------------------
BROKER_URL = env(
    "TINHSO_BROKER_URL",
    "",
    doc="Celery broker (`redis://127.0.0.1:6379/0` or `amqp://guest:guest@127.0.0.1:5672//`). "
    "Empty: the embedded worker polls the outbox table and no broker server is needed.",
)
CELERY_BROKER_URL = BROKER_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
OUTBOX_LEASE_SECONDS = env_int(
    "TINHSO_OUTBOX_LEASE_SECONDS",
    120,
    doc="Seconds a worker holds a taken outbox message before another worker may retry it.",
)
OUTBOX_MAX_ATTEMPTS = env_int(
    "TINHSO_OUTBOX_MAX_ATTEMPTS", 8, doc="Attempts before an outbox message is parked."
)
AUDIT_SEAL_SECONDS = env_int(
    "TINHSO_AUDIT_SEAL_SECONDS",
    5,
    doc="How often the worker seals new audit records into the hash chain with a signed "
    "checkpoint.",
)
AUDIT_SEAL_BATCH = env_int(
    "TINHSO_AUDIT_SEAL_BATCH", 5000, doc="Most audit records sealed under one checkpoint."
)
AUDIT_ANCHOR_DIR = env(
    "TINHSO_AUDIT_ANCHOR_DIR",
    str(VAR_DIR / "audit"),
    doc="Folder of the audit anchor file (`checkpoints.jsonl`), a copy of every signed "
    "checkpoint outside the database. In production, a store the database user cannot "
    "write (another host's mount, write-once object storage). Default: `var/audit/`.",
)
AUDIT_TSA_URL = env(
    "TINHSO_AUDIT_TSA_URL",
    "",
    doc="RFC 3161 timestamp authority for audit checkpoints. Empty: checkpoints are signed "
    "but not timestamped.",
)

# --- Official documents ------------------------------------------------------------------
DOCUMENTS_TSA_URL = env(
    "TINHSO_DOCUMENTS_TSA_URL",
    "",
    doc="RFC 3161 timestamp authority. Set: PDF signatures are PAdES B-T; empty: B-B.",
)
DOCUMENTS_REMOTE_SIGNING_TOKEN = env(
    "TINHSO_DOCUMENTS_REMOTE_SIGNING_TOKEN",
    "",
    doc="Bearer token for the remote signing service (CSC API v2 signHash).",
)
DOCUMENTS_PKCS11_MODULE = env(
    "TINHSO_DOCUMENTS_PKCS11_MODULE",
    "",
    doc="PKCS#11 module (shared library) of the USB tokens/HSM officials sign with, e.g. "
    "`/usr/lib/softhsm/libsofthsm2.so`. Empty: signing with tokens is not configured.",
)
DOCUMENTS_REVOCATION = env(
    "TINHSO_DOCUMENTS_REVOCATION",
    "soft",
    doc="Revocation check when verifying signed PDFs: `soft` (fetch CRL/OCSP named in the "
    "certificates; unreachable counts as unknown), `hard` (unreachable fails) or `off`.",
)
if DOCUMENTS_REVOCATION not in {"soft", "hard", "off"}:
    raise ConfigurationError(
        f"TINHSO_DOCUMENTS_REVOCATION={DOCUMENTS_REVOCATION!r}: set it to soft, hard or off"
    )
DOCUMENTS_REVOCATION_TIMEOUT = env_int(
    "TINHSO_DOCUMENTS_REVOCATION_TIMEOUT",
    5,
    doc="Seconds to wait for each CRL or OCSP request when verifying signed PDFs.",
)
DOCUMENTS_SOFFICE = env(
    "TINHSO_DOCUMENTS_SOFFICE",
    "soffice",
    doc="LibreOffice binary that converts DOCX drafts to PDF (headless).",
)
DOCUMENTS_CONVERT_TIMEOUT = env_int(
    "TINHSO_DOCUMENTS_CONVERT_TIMEOUT",
    60,
    doc="Seconds one DOCX to PDF conversion may take before it is stopped.",
)
DOCUMENTS_EDXML_RECEIVE_PER_MINUTE = env_int(
    "TINHSO_EDXML_RECEIVE_PER_MINUTE",
    120,
    doc="Requests the edXML receiving endpoint admits per minute from one client address, "
    "and from one partner once its signature verified; over it, 429 with `Retry-After`.",
)

# --- Payments (payments/, docs/payments.md) ---------------------------------------------
# Outside production the gateway addresses default to the embedded VNPay sandbox
# (sandbox/, a local adapter speaking the VNPay 2.1.0 protocol) with a demo merchant; a
# production deployment must set all four, and the sandbox is never served there.
VNPAY_DEMO_TMN_CODE = "TINHSO01"
VNPAY_DEMO_HASH_SECRET = "TINHSODEMOSECRETKEYFORSANDBOXONLY"  # noqa: S105 (public demo value)
VNPAY_TMN_CODE = env(
    "TINHSO_VNPAY_TMN_CODE",
    "" if PRODUCTION else VNPAY_DEMO_TMN_CODE,
    doc="VNPay merchant code (vnp_TmnCode). Default outside production: the sandbox's demo "
    "merchant.",
)
VNPAY_HASH_SECRET = env(
    "TINHSO_VNPAY_HASH_SECRET",
    "" if PRODUCTION else VNPAY_DEMO_HASH_SECRET,
    doc="VNPay secret for HMAC-SHA512 signatures (vnp_HashSecret). Default outside production: "
    "the sandbox's demo secret.",
)
VNPAY_URL = env(
    "TINHSO_VNPAY_URL",
    "" if PRODUCTION else SITE_URL.rstrip("/") + "/sandbox/vnpay/pay",
    doc="VNPay payment page the citizen is sent to. Default outside production: the embedded "
    "sandbox.",
)
VNPAY_API_URL = env(
    "TINHSO_VNPAY_API_URL",
    "" if PRODUCTION else SITE_URL.rstrip("/") + "/sandbox/vnpay/api",
    doc="VNPay merchant web API (QueryDR and refund). Default outside production: the embedded "
    "sandbox.",
)
PAYMENTS_GATEWAY_TIMEOUT = env_int(
    "TINHSO_PAYMENTS_GATEWAY_TIMEOUT",
    10,
    doc="Seconds a call to a payment gateway's API may take.",
)
PAYMENTS_EXPIRY_MINUTES = env_int(
    "TINHSO_PAYMENTS_EXPIRY_MINUTES",
    15,
    doc="Minutes a started online payment stays open at the gateway (vnp_ExpireDate); after "
    "that the ledger asks the gateway and closes it.",
)
PAYMENTS_RECEIPT_SERIES = env(
    "TINHSO_PAYMENTS_RECEIPT_SERIES",
    "BL-TS",
    doc="Series (ký hiệu) of the electronic receipts (biên lai điện tử); numbers restart at 1 "
    "each year within it.",
)
# The national payment platform (PayGov): reconstructed messages (payments/paygov.py), so
# the version is configurable too. No sandbox: empty until a partner agreement gives values.
PAYGOV_URL = env(
    "TINHSO_PAYGOV_URL",
    "",
    doc="The national payment platform's message endpoint (INIT, QUERY, GET_BILL; JSON POST). "
    "Empty: PayGov is not offered.",
)
PAYGOV_PARTNER_CODE = env(
    "TINHSO_PAYGOV_PARTNER_CODE",
    "",
    doc="Partner code given by the platform (MaDoiTac).",
)
PAYGOV_SECRET = env(
    "TINHSO_PAYGOV_SECRET",
    "",
    doc="Secret appended to every PayGov checksum (MaXacThuc, SHA-256).",
)
PAYGOV_TOKEN = env(
    "TINHSO_PAYGOV_TOKEN",
    "",
    doc="Bearer token sent with each PayGov message. Empty: no Authorization header.",
)
PAYGOV_VERSION = env(
    "TINHSO_PAYGOV_VERSION",
    "1.0.6",
    doc="Message version sent as PhienBan.",
)
# --- The national public-service portal (dvcqg/, docs/dvcqg.md) -------------------------
# Sync is off while the address is empty (the default): no message is queued.
DVCQG_URL = env(
    "TINHSO_DVCQG_URL",
    "",
    doc="Base address of the national public-service portal's integration service (or the "
    "province's LGSP in front of it); the adapter posts to `/auth` and `/service` under it. "
    "Empty: dossiers are not synced.",
)
DVCQG_USERNAME = env(
    "TINHSO_DVCQG_USERNAME", "", doc="Account name the portal gave the province (`/auth`)."
)
DVCQG_PASSWORD = env("TINHSO_DVCQG_PASSWORD", "", doc="Password of that account.")
DVCQG_UNIT_CODE = env(
    "TINHSO_DVCQG_UNIT_CODE",
    "",
    doc="The province's unit code at the portal, sent as `dstcode` and `madonvi`.",
)
# The national procedure database, read on a schedule (dvcqg/catalogue_sync.py): changes are
# reported for an administrator to publish, never published by the sync itself.
CATALOGUE_SOURCE_URL = env(
    "TINHSO_CATALOGUE_SOURCE_URL",
    "",
    doc="Where the province's procedures are read from each day: an http(s) address answering "
    "the national portal's procedure records (a JSON list of `{code, data}` records), or a "
    "file or folder of them. Empty: no catalogue sync.",
)
# --- Electronic results and their public verification (verify/, docs/datastore.md) -------
VERIFY_FAILURES_PER_MINUTE = env_int(
    "TINHSO_VERIFY_FAILURES_PER_MINUTE",
    10,
    doc="Unknown verification codes one client address may try a minute on /xac-thuc/ "
    "before it is asked to wait (429).",
)
VERIFY_UPLOADS_PER_MINUTE = env_int(
    "TINHSO_VERIFY_UPLOADS_PER_MINUTE",
    5,
    doc="PDF files one client address may have checked a minute on /xac-thuc/<code> (each "
    "check verifies a signature) before it is asked to wait (429).",
)
# --- The national data store (datastore/national.py) [UNCONFIRMED transport] ----------------
DATASTORE_NATIONAL_URL = env(
    "TINHSO_DATASTORE_NATIONAL_URL",
    "",
    doc="Base address of the national portal's service that answers GetKetQuaGiayTo and "
    "GetGiayToByUrl (`/auth`, `/service` under it). Empty: TINHSO_DVCQG_URL; both empty: "
    "the national store is not used.",
)
DATASTORE_NATIONAL_TIMEOUT = env_int(
    "TINHSO_DATASTORE_NATIONAL_TIMEOUT",
    20,
    doc="Seconds to wait for the national store's answer (the connection: 5 seconds).",
)
DATASTORE_NATIONAL_MAX_MB = env_int(
    "TINHSO_DATASTORE_NATIONAL_MAX_MB",
    10,
    doc="Largest file, in MB, accepted from the national store (GetGiayToByUrl).",
)
# The sandbox stands in for VNPay only while the site uses it as VNPay: outside production and
# with the demo merchant's public secret, never beside a real merchant's (sandbox/views.py
# checks this, and the gateway address, again at each request).
SANDBOX = not PRODUCTION and VNPAY_HASH_SECRET == VNPAY_DEMO_HASH_SECRET
# With no national store configured, the embedded/demo site asks the sandbox's stand-in
# (sandbox/national_store.py: the real protocol on its side, the demo citizen's papers).
DATASTORE_NATIONAL_SANDBOX = SANDBOX and not DATASTORE_NATIONAL_URL and not DVCQG_URL
if DATASTORE_NATIONAL_SANDBOX:
    DATASTORE_NATIONAL_URL = SITE_URL.rstrip("/") + "/sandbox/kho-du-lieu-quoc-gia"

# --- API ------------------------------------------------------------------------------
API_DOCS = env_bool(
    "TINHSO_API_DOCS",
    not PRODUCTION,
    doc="Serve the API's interactive documentation at /api/v1/docs (the OpenAPI document at "
    "/api/v1/openapi.json stays). Default: on in embedded mode, off in production.",
)

# --- Maps -------------------------------------------------------------------------------
MAP_TILE_URL = check_tile_url(
    env(
        "TINHSO_MAP_TILE_URL",
        "",
        doc="Map tile server, as https://host/{z}/{x}/{y}.png. Empty: maps show positions on a "
        "plain background and no browser is sent to a third party.",
    )
)
MAP_TILE_ATTRIBUTION = env(
    "TINHSO_MAP_TILE_ATTRIBUTION",
    "© OpenStreetMap",
    doc="Attribution the tile server's licence asks for, shown under every map with tiles.",
)

# --- Notifications ----------------------------------------------------------------------
EMAIL_URL = env(
    "TINHSO_EMAIL_URL",
    "",
    doc="SMTP server, `smtp://user:pass@host:587?tls=1` (or `smtps://` for implicit TLS). "
    "Empty: e-mails are written to `var/mail/` as .eml files (local adapter).",
)
DEFAULT_FROM_EMAIL = env(
    "TINHSO_EMAIL_FROM", "tinhso <no-reply@localhost>", doc="Sender of outgoing e-mail."
)
SMS_URL = env(
    "TINHSO_SMS_URL",
    "",
    doc="HTTP endpoint of the SMS brand-name gateway. Empty: SMS are written to the log by the "
    "local adapter and not sent.",
)
SMS_TOKEN = env("TINHSO_SMS_TOKEN", "", doc="Bearer token for the SMS gateway.")
SMS_BRANDNAME = env("TINHSO_SMS_BRANDNAME", "TINHSO", doc="Registered SMS brand name.")
ZALO_URL = env(
    "TINHSO_ZALO_URL",
    "",
    doc="Zalo Notification Service template-message endpoint. Empty: Zalo messages are written to "
    "the log by the local adapter and not sent.",
)
ZALO_ACCESS_TOKEN = env("TINHSO_ZALO_ACCESS_TOKEN", "", doc="Zalo OA access token.")

# --- Security ---------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
CSRF_COOKIE_HTTPONLY = False
# The site's Vietnamese page for a refused form instead of Django's English 403.
CSRF_FAILURE_VIEW = "tinhso.web.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
_ssl_redirect = env_bool("TINHSO_SSL_REDIRECT", True, doc="Redirect HTTP to HTTPS (production).")
_hsts_seconds = env_int("TINHSO_HSTS_SECONDS", 31536000, doc="HSTS max-age in production.")
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = _ssl_redirect
    SECURE_HSTS_SECONDS = _hsts_seconds
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOG_LEVEL = env("TINHSO_LOG_LEVEL", "INFO", doc="Logging level of the tinhso loggers.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "tinhso": {"handlers": ["console"], "level": LOG_LEVEL},
        "django": {"handlers": ["console"], "level": "WARNING"},
    },
}
