"""Settings from `CROWNDESK_*` environment variables.

A bad value stops start-up with one line that names the variable (`ConfigError`).
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "CROWNDESK_"
SECRET_KEY_FILE = "secret.key"


class ConfigError(Exception):
    """A setting has a value CrownDesk cannot use. The message is one line."""


def normalize_database_url(url: str) -> str:
    """Accept the usual URL forms and pick the async driver for them."""
    url = url.strip()
    scheme, sep, rest = url.partition("://")
    if not sep or not rest:
        raise ValueError("expected a URL such as sqlite:///path or postgresql://user@host/db")
    base = scheme.split("+", 1)[0].lower()
    if base == "sqlite":
        return f"sqlite+aiosqlite://{rest}"
    if base in {"postgresql", "postgres"}:
        return f"postgresql+psycopg://{rest}"
    raise ValueError(f"unsupported database {scheme!r}: use sqlite or postgresql")


def sync_database_url(url: str) -> str:
    """The synchronous-driver form of an async URL (used by migrations)."""
    scheme, _, rest = url.partition("://")
    base = scheme.split("+", 1)[0]
    return f"sqlite://{rest}" if base == "sqlite" else f"postgresql+psycopg://{rest}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    data_dir: Path = Path("./crowndesk-data")
    database_url: str = ""
    secret_key: str = ""
    access_token_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = 15
    refresh_token_days: Annotated[int, Field(ge=1, le=365)] = 30
    allow_signup: bool = False
    login_max_failures: Annotated[int, Field(ge=1)] = 5
    login_window_minutes: Annotated[int, Field(ge=1)] = 15
    log_level: str = "INFO"
    cookie_secure: bool = False
    # Where background jobs run: in `serve` (embedded), in `crowndesk worker`s (distributed,
    # PostgreSQL only), or nowhere (off).
    jobs_runner: Literal["embedded", "distributed", "off"] = "embedded"

    @field_validator("database_url")
    @classmethod
    def _normalize_url(cls, value: str) -> str:
        return normalize_database_url(value) if value else value

    @field_validator("secret_key")
    @classmethod
    def _secret_length(cls, value: str) -> str:
        if value and len(value) < 32:
            raise ValueError("must be at least 32 characters")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return level

    @field_validator("jobs_runner")
    @classmethod
    def _jobs_runner(cls, value: str, info: ValidationInfo) -> str:
        url = str(info.data.get("database_url") or "")
        if value == "distributed" and not url.startswith("postgresql"):
            raise ValueError("'distributed' needs a PostgreSQL CROWNDESK_DATABASE_URL")
        return value

    def resolved(self) -> Settings:
        """Fill in the defaults that live in the data folder (database file, secret key)."""
        data_dir = self.data_dir.expanduser().resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        updates: dict[str, Any] = {"data_dir": data_dir}
        if not self.database_url:
            updates["database_url"] = f"sqlite+aiosqlite:///{data_dir / 'crowndesk.db'}"
        if not self.secret_key:
            updates["secret_key"] = _load_or_create_secret(data_dir / SECRET_KEY_FILE)
        return self.model_copy(update=updates)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _load_or_create_secret(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def load_settings(**overrides: Any) -> Settings:
    """Read and resolve the settings; raise `ConfigError` naming the bad variable."""
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = ENV_PREFIX + str(error["loc"][0]).upper() if error["loc"] else ENV_PREFIX
        raise ConfigError(f"{name}: {error['msg']}") from None
    return settings.resolved()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
