"""How settings, the app and the CLI choose and run a job runner (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from crowndesk.app import create_app
from crowndesk.cli import app as cli
from crowndesk.config import ConfigError, Settings, load_settings
from crowndesk.db.engine import SessionMaker
from crowndesk.jobs import EmbeddedRunner, OffRunner, build_runner
from crowndesk.jobs.registry import JobEnv, Registry, UnknownTask


def _env(tmp_path: Path, **extra: str) -> dict[str, str | None]:
    cleared: dict[str, str | None] = {k: None for k in os.environ if k.startswith("CROWNDESK_")}
    return cleared | {"CROWNDESK_DATA_DIR": str(tmp_path)} | extra


class TestSettings:
    def test_the_embedded_runner_is_the_default(self) -> None:
        assert Settings().jobs_runner == "embedded"

    def test_distributed_needs_postgresql(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CROWNDESK_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("CROWNDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
        monkeypatch.setenv("CROWNDESK_JOBS_RUNNER", "distributed")
        with pytest.raises(ConfigError, match=r"^CROWNDESK_JOBS_RUNNER: .*PostgreSQL"):
            load_settings()

    def test_distributed_on_postgresql_is_accepted(self) -> None:
        settings = Settings(database_url="postgresql://u@h/db", jobs_runner="distributed")
        assert settings.jobs_runner == "distributed"

    def test_an_unknown_runner_is_refused(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CROWNDESK_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("CROWNDESK_JOBS_RUNNER", "celery")
        with pytest.raises(ConfigError, match="^CROWNDESK_JOBS_RUNNER"):
            load_settings()


class TestBuildRunner:
    def test_embedded_by_default(
        self, settings: Settings, engine: AsyncEngine, sessionmaker: SessionMaker
    ) -> None:
        runner = build_runner(settings, engine, sessionmaker)
        assert isinstance(runner, EmbeddedRunner)
        assert "jobs.heartbeat" in runner.registry.tasks

    async def test_off_runs_nothing_and_remembers(
        self, settings: Settings, engine: AsyncEngine, sessionmaker: SessionMaker
    ) -> None:
        reg = Registry()
        runs: list[int] = []

        @reg.task("demo.count")
        async def count(env: JobEnv) -> None:
            runs.append(1)

        off = settings.model_copy(update={"jobs_runner": "off"})
        runner = build_runner(off, engine, sessionmaker, jobs_registry=reg)
        assert isinstance(runner, OffRunner)
        await runner.start()
        await runner.enqueue("demo.count", lock="x", n=1)
        await runner.stop()
        assert runner.enqueued == [("demo.count", "x", {"n": 1})]
        assert runs == []
        with pytest.raises(UnknownTask):
            await runner.enqueue("demo.missing")


class TestCreateApp:
    async def test_the_lifespan_starts_and_stops_the_embedded_runner(
        self, settings: Settings, engine: AsyncEngine, sessionmaker: SessionMaker
    ) -> None:
        # Not the `app` fixture: it swaps in an OffRunner for API tests.
        app = create_app(settings, engine=engine, sessionmaker=sessionmaker)
        runner = app.state.jobs
        assert isinstance(runner, EmbeddedRunner)
        assert runner.env.sessionmaker is app.state.sessionmaker
        async with LifespanManager(app):
            assert runner.running
        assert not runner.running

    async def test_a_runner_set_by_a_test_is_the_one_started(self, app: Any) -> None:
        app.state.jobs = OffRunner()
        async with LifespanManager(app):
            assert isinstance(app.state.jobs, OffRunner)


runner = CliRunner()


class TestWorkerCommand:
    def test_sqlite_is_refused_in_one_line(self, tmp_path: Path) -> None:
        result = runner.invoke(
            cli,
            ["worker"],
            env=_env(tmp_path, CROWNDESK_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}"),
        )
        assert result.exit_code == 2
        assert result.stderr.strip().splitlines() == [
            "crowndesk worker: needs PostgreSQL, and CROWNDESK_DATABASE_URL is SQLite "
            "(with SQLite, crowndesk serve runs the jobs itself)."
        ]

    def test_sqlite_with_the_distributed_runner_is_a_configuration_error(
        self, tmp_path: Path
    ) -> None:
        result = runner.invoke(
            cli,
            ["worker"],
            env=_env(
                tmp_path,
                CROWNDESK_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
                CROWNDESK_JOBS_RUNNER="distributed",
            ),
        )
        assert result.exit_code == 2
        assert "CROWNDESK_JOBS_RUNNER" in result.stderr

    def test_postgresql_without_the_distributed_runner_is_refused(self, tmp_path: Path) -> None:
        result = runner.invoke(
            cli,
            ["worker"],
            env=_env(tmp_path, CROWNDESK_DATABASE_URL="postgresql://nobody@127.0.0.1:1/none"),
        )
        assert result.exit_code == 2
        assert "CROWNDESK_JOBS_RUNNER is 'embedded'" in result.stderr
