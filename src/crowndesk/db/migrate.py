"""Alembic, driven from code: `crowndesk migrate`, `serve` start-up, readiness, tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine

from crowndesk.config import sync_database_url


def migrations_dir() -> Path:
    here = Path(__file__).resolve()
    for candidate in (here.parents[1] / "migrations", here.parents[3] / "migrations"):
        if (candidate / "env.py").exists():
            return candidate
    raise FileNotFoundError("the Alembic migrations folder is missing from this installation")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", sync_database_url(database_url).replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def head_revision() -> str | None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return script.get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def is_up_to_date(database_url: str) -> bool:
    engine = create_engine(sync_database_url(database_url))
    try:
        with engine.connect() as connection:
            return current_revision(connection) == head_revision()
    finally:
        engine.dispose()
