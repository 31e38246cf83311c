"""Two `crowndesk worker` processes (procrastinate, PostgreSQL) handed the same sync work at
once: each clinic and entity is synced by exactly one run, once, and the mirror converges."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import func, select, text
from tests.pms.sync.support import (
    SECRET,
    Practice,
    assert_mirrored,
    connect_practice,
    start_sandbox,
)

from crowndesk.audit.models import ActivityLog
from crowndesk.clinics.models import ConnectionMode
from crowndesk.config import Settings
from crowndesk.core.crypto import SecretBox
from crowndesk.db.engine import create_engine, create_sessionmaker
from crowndesk.db.migrate import upgrade
from crowndesk.db.tenancy import unscoped
from crowndesk.jobs.distributed import DistributedRunner
from crowndesk.jobs.registry import load_task_modules, make_env
from crowndesk.odsim import SandboxServer
from crowndesk.pms.sync.engine import SyncEnv
from crowndesk.pms.sync.models import RunState, SyncRun
from crowndesk.pms.sync.registry import ENTITIES, ENTITY_NAMES
from crowndesk.pms.sync.tasks import RUN_TASK

pytestmark = pytest.mark.skipif(
    not os.environ.get("CROWNDESK_TEST_DATABASE_URL"),
    reason="the distributed runner (procrastinate) needs PostgreSQL; "
    "CROWNDESK_TEST_DATABASE_URL does not point at one",
)

PATIENTS = 120
INTERVAL_MS = 10  # paced so that a batch takes long enough for the second worker to start
WAIT_SECONDS = 240  # generous: the machine is shared


@pytest.fixture
def database_url(databases: Any) -> str:
    url: str = databases.new("workers")
    upgrade(url)
    return url


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    server = start_sandbox(patients=PATIENTS)
    try:
        yield server
    finally:
        server.stop()


@pytest_asyncio.fixture
async def env(database_url: str) -> AsyncIterator[SyncEnv]:
    engine = create_engine(database_url)
    yield SyncEnv(engine, create_sessionmaker(engine), SecretBox(SECRET))
    await engine.dispose()


@pytest_asyncio.fixture
async def practices(env: SyncEnv, sandbox: SandboxServer) -> list[Practice]:
    """Two organisations whose clinics use the same Open Dental office."""
    return [
        await connect_practice(env, sandbox, mode=ConnectionMode.remote, interval_ms=INTERVAL_MS)
        for _ in range(2)
    ]


@pytest_asyncio.fixture
async def runner(env: SyncEnv, database_url: str, tmp_path: Path) -> AsyncIterator[Any]:
    """Enqueues as `crowndesk serve` would (and creates procrastinate's tables)."""
    load_task_modules()
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        secret_key=SECRET,
        jobs_runner="distributed",
    )
    runner = DistributedRunner(make_env(settings, env.engine, env.sessionmaker))
    await runner.start()
    yield runner
    await runner.stop()


async def start_worker(database_url: str, data_dir: Path) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "CROWNDESK_DATABASE_URL": database_url,
        "CROWNDESK_JOBS_RUNNER": "distributed",
        "CROWNDESK_DATA_DIR": str(data_dir),
        "CROWNDESK_SECRET_KEY": SECRET,
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "crowndesk.cli",
        "worker",
        "--concurrency",
        "1",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def run_two_workers(env: SyncEnv, database_url: str, data_dir: Path, jobs: int) -> None:
    """Two worker processes until `jobs` sync jobs have finished and no run is active."""
    workers = [await start_worker(database_url, data_dir) for _ in range(2)]
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_SECONDS
        while not await _all_done(env, jobs):
            for worker in workers:
                assert worker.returncode is None, "a worker stopped"
            assert loop.time() < deadline, "the workers did not finish the sync jobs"
            await asyncio.sleep(0.2)
    finally:
        for worker in workers:
            if worker.returncode is None:
                worker.send_signal(signal.SIGTERM)
        results = [await asyncio.wait_for(w.communicate(), timeout=60) for w in workers]
    for worker, (_, stderr) in zip(workers, results, strict=True):
        assert worker.returncode == 0, stderr.decode(errors="replace")


async def _all_done(env: SyncEnv, jobs: int) -> bool:
    async with env.engine.connect() as conn:
        finished = await conn.scalar(
            text(
                "SELECT count(*) FROM procrastinate_jobs "
                "WHERE task_name = :task AND status IN ('succeeded', 'failed')"
            ),
            {"task": RUN_TASK},
        )
        active = await conn.scalar(
            text("SELECT count(*) FROM sync_runs WHERE state IN ('queued', 'running')")
        )
    return finished == jobs and active == 0


async def _job_statuses(env: SyncEnv, task: str) -> list[str]:
    async with env.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT status FROM procrastinate_jobs WHERE task_name = :task"), {"task": task}
        )
        return [status for (status,) in rows.all()]


async def _runs(env: SyncEnv) -> list[SyncRun]:
    async with env.sessionmaker() as session:
        with unscoped(session):
            return list((await session.execute(select(SyncRun))).scalars())


async def _run_events(env: SyncEnv) -> Counter[Any]:
    """How many times each run was carried out to the end (one audit event per execution)."""
    async with env.sessionmaker() as session:
        with unscoped(session):
            rows = await session.execute(
                select(ActivityLog.entity_id).where(ActivityLog.action.like("pms_sync.run_%"))
            )
            return Counter(rows.scalars())


async def _assert_no_duplicates(env: SyncEnv) -> None:
    async with env.sessionmaker() as session:
        with unscoped(session):
            for spec in ENTITIES:
                model: Any = spec.model
                rows = (
                    await session.execute(
                        select(model.clinic_id, model.pms_id, func.count())
                        .group_by(model.clinic_id, model.pms_id)
                        .having(func.count() > 1)
                    )
                ).all()
                assert rows == [], spec.name


class TestTwoWorkers:
    async def test_a_sync_job_delivered_to_both_workers_is_carried_out_once(
        self,
        env: SyncEnv,
        practices: list[Practice],
        runner: Any,
        sandbox: SandboxServer,
        database_url: str,
        tmp_path: Path,
    ) -> None:
        for practice in practices:
            runs = await practice.queue()
            run_ids = [str(run.id) for run in runs]
            # The same job twice (as a retried or doubly-sent job arrives): no queueing lock.
            for _ in range(2):
                await runner.enqueue(RUN_TASK, tenant_id=str(practice.tenant_id), run_ids=run_ids)

        await run_two_workers(env, database_url, tmp_path, jobs=4)

        requests_served = sandbox.sandbox.stats_dict()["requests"]
        runs = await _runs(env)
        per_clinic_entity = Counter((run.clinic_id, run.entity) for run in runs)
        assert set(per_clinic_entity.values()) == {1}
        assert len(per_clinic_entity) == 2 * len(ENTITY_NAMES)
        assert {run.state for run in runs} == {RunState.succeeded}
        assert {run.error for run in runs} == {None}
        events = await _run_events(env)
        assert {events[run.id] for run in runs} == {1}  # carried out once each
        assert sum(run.requests for run in runs) == requests_served  # no work beside the runs
        assert await _job_statuses(env, RUN_TASK) == ["succeeded"] * 4
        await _assert_no_duplicates(env)
        for practice in practices:
            await assert_mirrored(practice)

    async def test_two_dispatches_at_once_queue_each_clinic_and_entity_once(
        self,
        env: SyncEnv,
        practices: list[Practice],
        runner: Any,
        database_url: str,
        tmp_path: Path,
    ) -> None:
        for _ in range(2):
            await runner.enqueue("pms_sync.dispatch")

        # Each dispatch queues for both clinics; the one that comes second is refused.
        await run_two_workers(env, database_url, tmp_path, jobs=2)

        runs = await _runs(env)
        per_clinic_entity = Counter((run.clinic_id, run.entity) for run in runs)
        assert set(per_clinic_entity.values()) == {1}
        assert len(per_clinic_entity) == 2 * len(ENTITY_NAMES)
        assert {run.state for run in runs} == {RunState.succeeded}
        events = await _run_events(env)
        assert {events[run.id] for run in runs} == {1}
        assert await _job_statuses(env, "pms_sync.dispatch") == ["succeeded"] * 2
        await _assert_no_duplicates(env)
        for practice in practices:
            await assert_mirrored(practice)
