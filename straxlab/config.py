"""Deployment configuration, read from environment variables only.

Settings that staff or managers change at run time (capacity, opening hours, thresholds)
do not belong here: they live in the settings table (``straxlab.core.settings``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_SECRET_KEY = "dev-only-insecure-secret-key"  # noqa: S105
DEVELOPMENT_ENVIRONMENTS = {"development", "test"}
# The interface languages, the default first.
LANGUAGES = ("nl", "en")


class ConfigError(RuntimeError):
    """The deployment configuration is unsafe or incomplete."""


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def normalise_database_url(url: str) -> str:
    """Point ``postgres://`` and ``postgresql://`` URLs at the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


class Config:
    """Production-safe defaults; every value can be set from the environment."""

    def __init__(self) -> None:
        self.STRAXLAB_ENV = os.environ.get("STRAXLAB_ENV", "production")
        self.SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
        self.DATABASE_URL = os.environ.get("DATABASE_URL", "")
        self.LAB_TIMEZONE = os.environ.get("LAB_TIMEZONE", "Europe/Amsterdam")
        self.BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")
        self.SQLITE_BUSY_TIMEOUT_MS = _int("SQLITE_BUSY_TIMEOUT_MS", 5000)

        self.MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
        self.MAIL_PORT = _int("MAIL_PORT", 587)
        self.MAIL_USE_TLS = _bool("MAIL_USE_TLS", True)
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
        self.MAIL_FROM = os.environ.get("MAIL_FROM", "STRAX-lab <strax-lab@localhost>")

        # argon2id cost; the defaults are RFC 9106's second recommendation (64 MiB, t=3).
        self.PASSWORD_HASH_TIME_COST = _int("PASSWORD_HASH_TIME_COST", 3)
        self.PASSWORD_HASH_MEMORY_KIB = _int("PASSWORD_HASH_MEMORY_KIB", 65536)
        self.PASSWORD_HASH_PARALLELISM = _int("PASSWORD_HASH_PARALLELISM", 4)

        self.BABEL_DEFAULT_LOCALE = LANGUAGES[0]
        self.BABEL_DEFAULT_TIMEZONE = self.LAB_TIMEZONE

        # Behind a reverse proxy: how many proxies' X-Forwarded-* headers to trust (0: none).
        self.TRUSTED_PROXY_COUNT = _int("TRUSTED_PROXY_COUNT", 0)
        # Login throttling; counters must be shared by all workers in production (redis://...).
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_HEADERS_ENABLED = True
        self.LOGIN_LIMIT_PER_ACCOUNT = os.environ.get(
            "LOGIN_LIMIT_PER_ACCOUNT", "10 per 15 minutes"
        )
        self.LOGIN_LIMIT_PER_ADDRESS = os.environ.get(
            "LOGIN_LIMIT_PER_ADDRESS", "100 per 15 minutes"
        )
        # Password reset requests (each may send a mail): per e-mail address asked for, and
        # per client address.
        # Requests per calendar link (all feeds of one token share the count).
        self.FEED_LIMIT_PER_TOKEN = os.environ.get("FEED_LIMIT_PER_TOKEN", "60 per minute")
        self.PASSWORD_RESET_LIMIT_PER_ACCOUNT = os.environ.get(
            "PASSWORD_RESET_LIMIT_PER_ACCOUNT", "5 per hour"
        )
        self.PASSWORD_RESET_LIMIT_PER_ADDRESS = os.environ.get(
            "PASSWORD_RESET_LIMIT_PER_ADDRESS", "30 per hour"
        )

        self.SESSION_COOKIE_NAME = "straxlab_session"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.PERMANENT_SESSION_LIFETIME = _int("SESSION_LIFETIME_SECONDS", 8 * 3600)
        self.WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
        self.MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 8 * 1024 * 1024)
        self.TESTING = False
        # Only the concurrency test's negative control switches this off (TestConfig).
        self.LENDING_RACE_GUARD = True

        if self.STRAXLAB_ENV == "development":
            self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
            self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE

    def database_url(self, instance_path: str) -> str:
        if self.DATABASE_URL:
            return normalise_database_url(self.DATABASE_URL)
        return "sqlite:///" + str(Path(instance_path) / "straxlab.sqlite")

    def check(self) -> None:
        """Refuse an unsafe or broken configuration with a message that says what to set."""
        try:
            ZoneInfo(self.LAB_TIMEZONE)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"LAB_TIMEZONE={self.LAB_TIMEZONE!r} is not a time zone; use a name such as "
                "Europe/Amsterdam."
            ) from None
        if not self.LENDING_RACE_GUARD and self.STRAXLAB_ENV != "test":
            raise ConfigError("LENDING_RACE_GUARD may be switched off in tests only.")
        if self.STRAXLAB_ENV in DEVELOPMENT_ENVIRONMENTS:
            return
        if self.SECRET_KEY == DEFAULT_SECRET_KEY or len(self.SECRET_KEY) < 32:
            raise ConfigError(
                "straxlab refuses to start in production with the default or a short SECRET_KEY. "
                "Set SECRET_KEY to a random string of at least 32 characters, for example: "
                'export SECRET_KEY="$(python3 -c '
                "'import secrets; print(secrets.token_hex(32))')\". "
                "For local development set STRAXLAB_ENV=development instead (make run does)."
            )

    def as_flask_config(self, instance_path: str) -> dict[str, Any]:
        values = {key: getattr(self, key) for key in dir(self) if key.isupper()}
        values["SQLALCHEMY_DATABASE_URI"] = self.database_url(instance_path)
        return values


class TestConfig(Config):
    """Fast hashing and a throwaway database; CSRF stays on so tests see what users see."""

    def __init__(self, database_url: str = "sqlite://") -> None:
        super().__init__()
        self.STRAXLAB_ENV = "test"
        self.TESTING = True
        self.SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"  # noqa: S105
        self.DATABASE_URL = database_url
        self.SESSION_COOKIE_SECURE = False
        self.REMEMBER_COOKIE_SECURE = False
        self.PASSWORD_HASH_TIME_COST = 1
        self.PASSWORD_HASH_MEMORY_KIB = 8
        self.PASSWORD_HASH_PARALLELISM = 1
        self.MAIL_SERVER = ""
