"""Configuration read from the environment when the app is created, never at import."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from portal.hours import parse_business_hours

ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """Raised when the environment cannot produce a safe configuration."""


ENVIRONMENTS = ("development", "production")
MIN_SECRET_KEY_LENGTH = 32
# Values that have appeared in this repository's docs or tests: never sign production sessions.
DEMO_SECRET_KEYS = frozenset({"test-secret-key", "e2e-secret", "change-me", "changeme", "secret", "dev"})


def _instance_secret_key(instance_dir: Path) -> str:
    """A key generated once per checkout, so local sessions survive restarts."""
    path = instance_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: if two workers race, one wins and the other reads its key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _normalise_db_url(url: str) -> str:
    # psycopg 3 is the driver we install; accept the plain scheme people paste.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_config(instance_dir: Path, env: dict[str, str] | None = None) -> dict:
    env = dict(os.environ if env is None else env)
    environment = env.get("CALMLINE_ENV") or "development"
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"CALMLINE_ENV={environment!r} is not one of: {', '.join(ENVIRONMENTS)} "
                          "(spelled exactly so, in lower case)")
    production = environment == "production"

    secret = env.get("SECRET_KEY")
    if production:
        _check_production_secret(secret)
    elif not secret:
        secret = _instance_secret_key(instance_dir)

    db_url = _normalise_db_url(env.get("DATABASE_URL") or f"sqlite:///{instance_dir / 'calmline.db'}")
    redis_url = env.get("REDIS_URL") or None
    public_url = (env.get("PUBLIC_URL") or "").strip().rstrip("/")
    if production:
        _check_shared_limits(env, redis_url)
        _check_public_url(public_url)
    business_hours = env.get("BUSINESS_HOURS") or "Mon-Fri 08:00-20:00, Sat 09:00-17:00"
    try:  # articles render the hours from it: a typo must stop the start, not every article page
        parse_business_hours(business_hours)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None

    log_format = (env.get("LOG_FORMAT") or ("json" if production else "text")).strip().lower()
    if log_format not in ("json", "text"):
        raise ConfigError(f"LOG_FORMAT={log_format!r} is not one of: json, text")

    return {
        "CALMLINE_ENV": environment,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": db_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(db_url),
        "SEARCH_INDEX_DIR": env.get("SEARCH_INDEX_DIR") or str(instance_dir / "search_index"),
        "KB_ARTICLES_DIR": env.get("KB_ARTICLES_DIR") or str(ROOT / "kb_articles"),
        "REDIS_URL": redis_url,
        "BRAND_NAME": env.get("BRAND_NAME") or "Brightnest",
        # Rate limits: shared across workers through Redis when it is configured.
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT") or "10 per minute;50 per hour",
        # Failed logins per account from anywhere (portal/auth/throttle.py).
        "LOGIN_ACCOUNT_RATE_LIMIT": env.get("LOGIN_ACCOUNT_RATE_LIMIT") or "5 per minute;20 per hour",
        # Reverse proxies whose X-Forwarded-For/-Proto are trusted (ProxyFix); 0 trusts none.
        "TRUSTED_PROXY_HOPS": int(env.get("TRUSTED_PROXY_HOPS") or 0),
        # One JSON line per request and log record ("json", the production default) or plain text.
        "LOG_FORMAT": log_format,
        # /metrics answers a bearer token equal to this; unset, loopback callers only.
        "METRICS_TOKEN": env.get("METRICS_TOKEN") or "",
        # Where customers reach the portal: the links in emails are made on it, never on the
        # request's Host header (required in production).
        "PUBLIC_URL": public_url,
        "REGISTER_RATE_LIMIT": env.get("REGISTER_RATE_LIMIT") or "5 per minute;20 per hour",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag(env.get("SESSION_COOKIE_SECURE"), default=production),
        "REMEMBER_COOKIE_DURATION": timedelta(days=int(env.get("REMEMBER_COOKIE_DAYS") or 30)),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _flag(env.get("SESSION_COOKIE_SECURE"), default=production),
        "MAX_CONTENT_LENGTH": 1 * 1024 * 1024,
        # Files attached in chat and on tickets (portal/attachments): kept here, outside the web
        # root; each at most ATTACHMENT_MAX_BYTES, at most ATTACHMENT_MAX_PER_MESSAGE in one
        # message (only the upload routes take bodies past MAX_CONTENT_LENGTH, up to both together).
        "ATTACHMENT_DIR": env.get("ATTACHMENT_DIR") or str(instance_dir / "attachments"),
        "ATTACHMENT_MAX_BYTES": int(env.get("ATTACHMENT_MAX_BYTES") or 10 * 1024 * 1024),
        "ATTACHMENT_MAX_PER_MESSAGE": int(env.get("ATTACHMENT_MAX_PER_MESSAGE") or 5),
        "ATTACHMENT_MAX_PIXELS": int(env.get("ATTACHMENT_MAX_PIXELS") or 40_000_000),
        "WTF_CSRF_TIME_LIMIT": None,
        "SEARCH_MAX_QUERY_LENGTH": 200,
        # Search by meaning as well as by words (sentence embeddings; portal/search/semantic.py).
        "SEARCH_SEMANTIC": _flag(env.get("SEARCH_SEMANTIC"), default=True),
        # "whoosh" (an index directory on this box) or "postgresql" (tables every box shares;
        # SEARCH_DATABASE_URL, or the portal's own DATABASE_URL when that is PostgreSQL).
        "SEARCH_BACKEND": (env.get("SEARCH_BACKEND") or "whoosh").strip().lower(),
        "SEARCH_DATABASE_URL": env.get("SEARCH_DATABASE_URL") or None,
        "SEARCH_SCHEMA": env.get("SEARCH_SCHEMA") or "calmline_search",
        "RASA_URL": env.get("RASA_URL") or "http://127.0.0.1:5005",
        "RASA_TOKEN": env.get("RASA_TOKEN") or None,
        "RASA_TIMEOUT_SECONDS": float(env.get("RASA_TIMEOUT_SECONDS") or 8),
        # The bot's action server authenticates to the portal's API with this token.
        "BOT_SERVICE_TOKEN": env.get("BOT_SERVICE_TOKEN") or "",
        "CHAT_RATE_LIMIT": env.get("CHAT_RATE_LIMIT") or "30 per minute;300 per hour",
        # The forum's "ask before you post" suggestions and their deflection notes, per client.
        "FORUM_SUGGEST_RATE_LIMIT": env.get("FORUM_SUGGEST_RATE_LIMIT") or "60 per minute",
        # First-response SLA by priority (hours), and resolution SLA.
        "SLA_HOURS": {"urgent": 1.0, "high": 4.0, "normal": 24.0, "low": 72.0},
        "RESOLUTION_HOURS": {"urgent": 8.0, "high": 24.0, "normal": 72.0, "low": 168.0},
        # When people answer live: days (Mon=0) and hours in BUSINESS_TIMEZONE. Outside them,
        # or with no agent's console open, a handoff says so and gives the SLA's reply time.
        "BUSINESS_HOURS": business_hours,
        "BUSINESS_TIMEZONE": env.get("BUSINESS_TIMEZONE") or "Europe/London",
        "PRESENCE_SECONDS": float(env.get("PRESENCE_SECONDS") or 60),
        # Email to customers: SMTP when MAIL_SERVER is set, otherwise written to the log.
        "MAIL_SERVER": env.get("MAIL_SERVER") or "",
        "MAIL_PORT": int(env.get("MAIL_PORT") or 587),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or "",
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or "",
        "MAIL_USE_TLS": _flag(env.get("MAIL_USE_TLS"), default=True),
        "MAIL_FROM": env.get("MAIL_FROM") or "support@example.com",
        # A visitor without an account reopens their ticket from the link in a reply's email.
        "TICKET_LINK_DAYS": int(env.get("TICKET_LINK_DAYS") or 30),
        # A live-chat reply is also mailed when the customer has not followed the chat for this
        # long, at most once per CHAT_REPLY_MAIL_MINUTES unless they came back in between.
        "CUSTOMER_AWAY_SECONDS": float(env.get("CUSTOMER_AWAY_SECONDS") or 60),
        "CHAT_REPLY_MAIL_MINUTES": float(env.get("CHAT_REPLY_MAIL_MINUTES") or 10),
        # Live chat delivery: how long one SSE response stays open before the browser reconnects.
        "SSE_STREAM_SECONDS": float(env.get("SSE_STREAM_SECONDS") or 25),
        # Streams one worker process keeps open at most, in all and per client (account, visitor
        # cookie or address). Past them, clients follow by polling. Unset, SSE_MAX_STREAMS is
        # fitted at the worker's start to gunicorn's --worker-connections under gevent (1,500 of
        # the Procfile's 2,000) or its --threads under gthread (24 of 32: there each stream holds
        # a thread); set to them or more, the worker refuses to start (gunicorn.conf.py).
        "SSE_MAX_STREAMS": int(env["SSE_MAX_STREAMS"]) if (env.get("SSE_MAX_STREAMS") or "").strip() else None,
        "SSE_MAX_STREAMS_PER_CLIENT": int(env.get("SSE_MAX_STREAMS_PER_CLIENT") or 3),
        "KB_PAGE_CACHE_SECONDS": float(env.get("KB_PAGE_CACHE_SECONDS") or 30),
        # Forum moderation defaults; moderators can override each at /moderation/settings.
        "FORUM_AUTO_HIDE_FLAGS": int(env.get("FORUM_AUTO_HIDE_FLAGS") or 3),
        "FORUM_NEW_USER_APPROVAL_POSTS": int(env.get("FORUM_NEW_USER_APPROVAL_POSTS") or 0),
        "FORUM_POST_RATE_LIMIT_POSTS": int(env.get("FORUM_POST_RATE_LIMIT_POSTS") or 10),
        "FORUM_POST_RATE_LIMIT_MINUTES": int(env.get("FORUM_POST_RATE_LIMIT_MINUTES") or 5),
    }


def _check_public_url(public_url: str) -> None:
    """Links in emails made from the Host header point wherever the requester said: a password
    or registration link could go to an attacker's site."""
    parts = urlsplit(public_url)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError("PUBLIC_URL must be set when CALMLINE_ENV=production: the address customers use, "
                          "such as https://help.example.com (links in emails are made on it)")


def _check_production_secret(secret: str | None) -> None:
    """A short or published key lets anyone forge session cookies and CSRF tokens."""
    if not secret:
        raise ConfigError("SECRET_KEY must be set when CALMLINE_ENV=production")
    if secret in DEMO_SECRET_KEYS:
        raise ConfigError("SECRET_KEY is a demo value: generate one, e.g. "
                          "python -c 'import secrets; print(secrets.token_urlsafe(48))'")
    if len(secret) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters when "
                          f"CALMLINE_ENV=production (it has {len(secret)})")


def _check_shared_limits(env: dict[str, str], redis_url: str | None) -> None:
    """Rate limits kept in each process's memory multiply by the number of workers.

    gunicorn.conf.py exports the real worker count (CALMLINE_WORKERS); WEB_CONCURRENCY is
    gunicorn's own variable for it when another config file is used.
    """
    raw = env.get("CALMLINE_WORKERS") or env.get("WEB_CONCURRENCY") or "1"
    workers = int(raw) if raw.strip().isdigit() else 1
    if workers > 1 and not redis_url:
        raise ConfigError(f"{workers} workers without REDIS_URL: each would keep its own rate-limit counters "
                          "(login limits multiplied). Set REDIS_URL, or run one worker.")


def web_worker_class(db_url: str | None) -> str:
    """gunicorn's worker for this database (the Procfile's WEB_WORKER_CLASS, scripts/prepare-run).

    gevent on PostgreSQL: an open event stream is a greenlet, so a box follows thousands. gthread
    on SQLite (the default, one box): SQLite waits for another writer's lock asleep inside C,
    where gevent cannot switch, so one waiting request would stall every request of its worker,
    the lock's holder among them. There each stream holds a thread, up to SSE_MAX_STREAMS, and
    the widget and console follow by polling beyond."""
    return "gevent" if (db_url or "").startswith(("postgresql", "postgres:")) else "gthread"


def engine_options(db_url: str) -> dict:
    options: dict = {"pool_pre_ping": True}
    if db_url.startswith("sqlite"):
        # Several gunicorn workers share the file: wait for a writer instead of failing.
        options["connect_args"] = {"timeout": 30}
    else:
        # A worker serves dozens of requests at once (an SSE stream only while it checks). With
        # SQLAlchemy's default pool (5 kept, 10 more opened and closed again) most requests paid
        # for a new PostgreSQL connection under load: keep enough open. Per worker:
        # DATABASE_POOL_SIZE kept plus DATABASE_MAX_OVERFLOW at peaks (4 workers x 20 = 80,
        # inside PostgreSQL's default max_connections of 100).
        options["pool_size"] = _int_env("DATABASE_POOL_SIZE", 10)
        options["max_overflow"] = _int_env("DATABASE_MAX_OVERFLOW", 10)
        options["pool_recycle"] = 1800
    return options


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.isdigit() else default


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}
