"""The procrastinate runner, on PostgreSQL only: each test gets a database of its own."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from psycopg import sql
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from crowndesk.app import create_app
from crowndesk.audit.models import ActivityLog
from crowndesk.auth.models import Tenant
from crowndesk.config import Settings, normalize_database_url
from crowndesk.db.engine import create_engine, create_sessionmaker, unit_of_work
from crowndesk.db.migrate import upgrade
from crowndesk.db.tenancy import unscoped
from crowndesk.jobs.distributed import SCHEDULE_PREFIX, DistributedRunner, libpq_url
from crowndesk.jobs.heartbeat import ACTION, HEARTBEAT
from crowndesk.jobs.registry import JobEnv, Registry, load_task_modules, make_env

pytestmark = pytest.mark.skipif(
    not os.environ.get("CROWNDESK_TEST_DATABASE_URL"), reason="procrastinate needs PostgreSQL"
)

SECRET = "test-secret-key-" + "x" * 40
RECORD = "demo.record"


@pytest.fixture
def database_url() -> Iterator[str]:
    """A fresh, empty database with a `job_runs` table for the tasks to write into."""
    server = libpq_url(normalize_database_url(os.environ["CROWNDESK_TEST_DATABASE_URL"]))
    name = f"crowndesk_jobs_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE job_runs (id serial PRIMARY KEY, i int, "
            "started double precision, ended double precision)"
        )
    try:
        yield normalize_database_url(url)
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path, database_url=database_url, secret_key=SECRET, jobs_runner="distributed"
    )


@pytest.fixture
def reg() -> Registry:
    reg = Registry()

    @reg.task(RECORD)
    async def record(env: JobEnv, i: int) -> None:
        started = time.monotonic()
        await asyncio.sleep(0.03)
        ended = time.monotonic()
        async with env.engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO job_runs (i, started, ended) VALUES (:i, :s, :e)"),
                {"i": i, "s": started, "e": ended},
            )

    return reg


RunnerFactory = Callable[[], DistributedRunner]


@pytest_asyncio.fixture
async def make_runner(settings: Settings, reg: Registry) -> AsyncIterator[RunnerFactory]:
    """Runners as separate processes would have them: each its own engine and pool."""
    made: list[DistributedRunner] = []

    def make() -> DistributedRunner:
        engine = create_engine(settings.database_url)
        runner = DistributedRunner(
            make_env(settings, engine, create_sessionmaker(engine)), registry=reg, retry_base=0.01
        )
        made.append(runner)
        return runner

    yield make
    for runner in made:
        await runner.stop()
        await runner.env.engine.dispose()


async def _query(database_url: str, query: str) -> list[tuple[Any, ...]]:
    async with await psycopg.AsyncConnection.connect(libpq_url(database_url)) as conn:
        cursor = await conn.execute(query)  # type: ignore[arg-type]
        return await cursor.fetchall()


async def run_workers(
    runners: list[DistributedRunner], until: Callable[[], Awaitable[bool]], within: float = 20
) -> None:
    """Run the runners' workers side by side until `until()` holds, then stop them."""
    workers = [
        asyncio.create_task(
            runner.run_worker(
                concurrency=2,
                name=f"worker-{n}",
                polling_interval=0.05,
                install_signal_handlers=False,
            )
        )
        for n, runner in enumerate(runners)
    ]
    try:
        deadline = time.monotonic() + within
        while not await until():
            assert time.monotonic() < deadline, "the workers did not finish in time"
            for worker in workers:
                if worker.done():
                    worker.result()  # a worker that died says why
            await asyncio.sleep(0.05)
    finally:
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)


class TestStart:
    async def test_applies_the_schema_once(self, make_runner: RunnerFactory) -> None:
        first, second = make_runner(), make_runner()
        await asyncio.gather(first.start(), second.start())  # simultaneous first starts
        assert await first.ensure_schema() is False  # already there
        await first.enqueue(RECORD, i=1)


class TestEnqueue:
    async def test_an_identical_job_still_queued_is_dropped(
        self, make_runner: RunnerFactory, database_url: str
    ) -> None:
        runner = make_runner()
        await runner.enqueue(RECORD, lock="clinic:1", i=1)
        await runner.enqueue(RECORD, lock="clinic:1", i=1)  # dropped
        await runner.enqueue(RECORD, lock="clinic:1", i=2)  # other arguments
        await runner.enqueue(RECORD, i=3)
        await runner.enqueue(RECORD, i=3)  # no lock: never dropped
        rows = await _query(
            database_url, "SELECT args->>'i', lock FROM procrastinate_jobs ORDER BY id"
        )
        assert rows == [("1", "clinic:1"), ("2", "clinic:1"), ("3", None), ("3", None)]


class TestWorkers:
    async def test_jobs_sharing_a_lock_run_once_each_and_never_overlap(
        self, make_runner: RunnerFactory, database_url: str
    ) -> None:
        enqueuer = make_runner()
        for i in range(12):
            await enqueuer.enqueue(RECORD, lock="clinic:1", i=i)

        async def all_ran() -> bool:
            return len(await _query(database_url, "SELECT id FROM job_runs")) >= 12

        await run_workers([make_runner(), make_runner()], all_ran)

        runs = await _query(database_url, "SELECT i, started, ended FROM job_runs ORDER BY started")
        assert sorted(i for i, _, _ in runs) == list(range(12))  # each exactly once
        for (_, _, ended), (_, started, _) in zip(runs, runs[1:], strict=False):
            assert started >= ended
        statuses = await _query(database_url, "SELECT status FROM procrastinate_jobs")
        assert [status for (status,) in statuses] == ["succeeded"] * 12

    async def test_a_failing_job_is_retried_then_marked_failed(
        self, make_runner: RunnerFactory, reg: Registry, database_url: str
    ) -> None:
        attempts: list[int] = []

        @reg.task("demo.flaky", retries=2)
        async def flaky(env: JobEnv) -> None:
            attempts.append(1)
            raise ValueError("patient Jane Doe")

        runner = make_runner()
        await runner.enqueue("demo.flaky", lock="clinic:1")
        await runner.run_worker(wait=False, install_signal_handlers=False)
        assert len(attempts) == 3
        rows = await _query(database_url, "SELECT status FROM procrastinate_jobs")
        assert rows == [("failed",)]

    async def test_a_schedule_is_deferred_once_per_tick_with_two_workers(
        self, settings: Settings, reg: Registry, make_runner: RunnerFactory, database_url: str
    ) -> None:
        reg.schedule("demo.minutely", RECORD, every=timedelta(minutes=1), kwargs={"i": -1})
        first, second = make_runner(), make_runner()
        await first.start()  # the schema, before both workers race for the tick

        async def ticked() -> bool:
            return bool(await _query(database_url, "SELECT id FROM job_runs"))

        await run_workers([first, second], ticked)
        await asyncio.sleep(0.3)  # room for a second run, which must not come

        defers = await _query(
            database_url,
            "SELECT defer_timestamp FROM procrastinate_periodic_defers "
            f"WHERE task_name = '{SCHEDULE_PREFIX}demo.minutely'",
        )
        jobs = await _query(
            database_url,
            f"SELECT id FROM procrastinate_jobs WHERE task_name = '{SCHEDULE_PREFIX}demo.minutely'",
        )
        runs = await _query(database_url, "SELECT i FROM job_runs")
        assert len(defers) == len({stamp for (stamp,) in defers}) >= 1
        assert len(jobs) == len(defers)
        assert runs == [(-1,)] * len(defers)


class TestServe:
    async def test_serve_only_enqueues(self, settings: Settings, database_url: str) -> None:
        app = create_app(settings)
        jobs = app.state.jobs
        assert isinstance(jobs, DistributedRunner)
        async with LifespanManager(app):
            await jobs.enqueue(HEARTBEAT)
            await asyncio.sleep(0.3)
        rows = await _query(database_url, "SELECT task_name, status FROM procrastinate_jobs")
        assert rows == [(HEARTBEAT, "todo")]  # waiting for a worker


class TestWorkerCommand:
    async def test_runs_queued_jobs_until_told_to_stop(
        self, settings: Settings, database_url: str, tmp_path: Path
    ) -> None:
        upgrade(database_url)
        load_task_modules()
        engine = create_engine(database_url)
        try:
            async with unit_of_work(create_sessionmaker(engine)) as session:
                session.add(Tenant(name="Worker Dental"))
            runner = DistributedRunner(make_env(settings, engine, create_sessionmaker(engine)))
            await runner.enqueue(HEARTBEAT)
            await runner.stop()
            env = {
                **os.environ,
                "CROWNDESK_DATABASE_URL": database_url,
                "CROWNDESK_JOBS_RUNNER": "distributed",
                "CROWNDESK_DATA_DIR": str(tmp_path),
                "CROWNDESK_SECRET_KEY": SECRET,
            }
            worker = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "crowndesk.cli",
                "worker",
                "--concurrency",
                "2",
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            try:
                sessionmaker = create_sessionmaker(engine)
                deadline = time.monotonic() + 20
                while True:
                    async with sessionmaker() as session:
                        with unscoped(session):
                            done = await session.scalar(
                                select(ActivityLog.id).where(ActivityLog.action == ACTION)
                            )
                    if done:
                        break
                    assert worker.returncode is None, "the worker stopped"
                    assert time.monotonic() < deadline, "the worker did not run the job"
                    await asyncio.sleep(0.1)
            finally:
                worker.send_signal(signal.SIGTERM)
                _, stderr = await asyncio.wait_for(worker.communicate(), timeout=20)
            assert worker.returncode == 0, stderr.decode()
        finally:
            await engine.dispose()
        statuses = await _query(
            database_url, f"SELECT status FROM procrastinate_jobs WHERE task_name = '{HEARTBEAT}'"
        )
        assert statuses == [("succeeded",)]
