"""Settings read from the environment, with safe defaults for development.

Every variable is listed in the README. ``load_config`` returns a plain dict
that ``create_app`` applies over Flask's defaults.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crm.core.worktime import parse_working_days


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message says which and how to fix it."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(env: dict, name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


def _working_days(env: dict) -> frozenset[int]:
    raw = env.get("CRM_WORKING_DAYS") or "mon-fri"
    try:
        return parse_working_days(raw)
    except ValueError as exc:
        raise ConfigError(f"CRM_WORKING_DAYS must list days such as mon-fri or sun-thu or "
                          f"mon,tue,thu: {exc}") from exc


def _time_zone(env: dict, name: str) -> ZoneInfo:
    raw = env.get(name) or "UTC"
    try:
        return ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"{name} must name a time zone such as Europe/Paris, got {raw!r}"
                          ) from exc


def _secret_key(env: dict, instance_path: Path, production: bool) -> str:
    key = env.get("SECRET_KEY")
    if key:
        return key
    if production:
        raise ConfigError(
            "SECRET_KEY is not set. In production set SECRET_KEY to a long random string, "
            'e.g. python -c "import secrets; print(secrets.token_hex(32))"'
        )
    # Development: generate once and keep it, so sessions survive a restart.
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _database_url(env: dict, instance_path: Path) -> str:
    url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'crm.sqlite3'}"
    # Hosted platforms hand out postgres:// URLs; SQLAlchemy wants the driver named.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def engine_options(url: str, pool_size: int) -> dict:
    """Connection options: fail fast when the database is away, never hang a request."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 15}}
    return {
        "pool_pre_ping": True,
        "pool_size": pool_size,
        "max_overflow": 0,
        "pool_timeout": 10,
        "connect_args": {"connect_timeout": 3},
    }


def load_config(instance_path: str, env: dict | None = None) -> dict:
    """Build the configuration from ``env`` (default: ``os.environ``)."""
    env = dict(os.environ if env is None else env)
    instance = Path(instance_path)
    production = env.get("CRM_ENV", "development") == "production"
    database_url = _database_url(env, instance)
    dev_port = _int(env, "PORT", 5000)
    base_url = env.get("CRM_BASE_URL", f"http://127.0.0.1:{dev_port}").rstrip("/")
    https = base_url.startswith("https://")
    mail_server = env.get("MAIL_SERVER") or None
    config = {
        "CRM_ENV": "production" if production else "development",
        "DEBUG": False if production else _bool(env.get("FLASK_DEBUG")),
        "SECRET_KEY": _secret_key(env, instance, production),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(
            database_url, _int(env, "CRM_DB_POOL_SIZE", 5)
        ),
        "CRM_BASE_URL": base_url,
        "CRM_DEV_PORT": dev_port,  # python app.py only; gunicorn binds where it is told
        "CRM_SITE_NAME": env.get("CRM_SITE_NAME", "Northfield Ingredients"),
        "TRUSTED_HOSTS": [h.strip() for h in env.get("TRUSTED_HOSTS", "").split(",") if h.strip()]
        or None,
        "CRM_PROXY_HOPS": _int(env, "CRM_PROXY_HOPS", 0),
        "MAX_CONTENT_LENGTH": _int(env, "CRM_MAX_CONTENT_LENGTH", 256 * 1024),
        "MAX_FORM_MEMORY_SIZE": _int(env, "CRM_MAX_CONTENT_LENGTH", 256 * 1024),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=_int(env, "CRM_IDLE_TIMEOUT_MINUTES", 120)),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": https,
        "WTF_CSRF_TIME_LIMIT": None,  # the session's idle timeout bounds a form's life
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "CRM_LOGIN_LIMIT_PER_IP": env.get("CRM_LOGIN_LIMIT_PER_IP", "20 per 10 minutes"),
        "CRM_LOGIN_LIMIT_PER_ACCOUNT": env.get("CRM_LOGIN_LIMIT_PER_ACCOUNT", "5 per 10 minutes"),
        "CRM_COMMENT_RATE_LIMIT": env.get("CRM_COMMENT_RATE_LIMIT", "5 per minute;50 per day"),
        "CRM_MIN_FILL_SECONDS": float(env.get("CRM_MIN_FILL_SECONDS") or 3),
        "CRM_PDF_RATE_LIMIT": env.get("CRM_PDF_RATE_LIMIT", "20 per minute;300 per day"),
        "CRM_INQUIRY_RATE_LIMIT": env.get("CRM_INQUIRY_RATE_LIMIT", "5 per minute;30 per day"),
        "CRM_FIRST_RESPONSE_HOURS": _int(env, "CRM_FIRST_RESPONSE_HOURS", 24),
        "CRM_WORKING_DAYS": _working_days(env),
        "CRM_WORKING_TIME_ZONE": _time_zone(env, "CRM_WORKING_TIME_ZONE"),
        "CRM_SPAM_RETENTION_DAYS": _int(env, "CRM_SPAM_RETENTION_DAYS", 30),
        "CRM_RESET_LIMIT_PER_IP": env.get("CRM_RESET_LIMIT_PER_IP", "10 per hour"),
        "CRM_RESET_LIMIT_PER_ACCOUNT": env.get("CRM_RESET_LIMIT_PER_ACCOUNT", "3 per hour"),
        "MAIL_SERVER": mail_server,
        "MAIL_PORT": _int(env, "MAIL_PORT", 25),
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS")),
        "MAIL_USE_SSL": _bool(env.get("MAIL_USE_SSL")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "Formulation CRM <crm@localhost>"),
        "CRM_MAIL_REPLY_TO": env.get("CRM_MAIL_REPLY_TO") or None,
        "CRM_MAIL_TIMEOUT": _int(env, "CRM_MAIL_TIMEOUT", 10),
        "CRM_MAIL_DIR": env.get("CRM_MAIL_DIR") or str(instance / "mail"),
        "MAIL_SUPPRESS_SEND": False,  # Flask-Mail would otherwise stay silent under TESTING
        "CRM_OUTBOX_BATCH_SIZE": _int(env, "CRM_OUTBOX_BATCH_SIZE", 50),
        "CRM_OUTBOX_LEASE_SECONDS": _int(env, "CRM_OUTBOX_LEASE_SECONDS", 300),
        "CRM_OUTBOX_MAX_ATTEMPTS": _int(env, "CRM_OUTBOX_MAX_ATTEMPTS", 8),
        "CRM_OUTBOX_BACKOFF_SECONDS": _int(env, "CRM_OUTBOX_BACKOFF_SECONDS", 30),
        "CRM_OUTBOX_POLL_SECONDS": float(env.get("CRM_OUTBOX_POLL_SECONDS") or 2),
        "BOOTSTRAP_SERVE_LOCAL": True,
    }
    if production and config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") and not _bool(
        env.get("CRM_ALLOW_SQLITE")
    ):
        raise ConfigError(
            "DATABASE_URL is not set. In production point it at PostgreSQL, "
            "e.g. postgresql+psycopg://crm:secret@db.internal/crm"
        )
    return config
