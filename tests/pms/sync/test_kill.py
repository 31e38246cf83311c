"""`crowndesk sync` killed with SIGKILL mid-run, then run again: the mirror converges.

The command runs as a real process against a real database file (and against PostgreSQL too
when that is the test database) and a sandbox served from this process over HTTP.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import func, select
from tests.pms.sync.support import (
    SECRET,
    Practice,
    assert_mirrored,
    connect_practice,
    start_sandbox,
)

from crowndesk.clinics.models import ConnectionMode
from crowndesk.core.crypto import SecretBox
from crowndesk.db.engine import create_engine, create_sessionmaker
from crowndesk.db.migrate import upgrade
from crowndesk.db.tenancy import unscoped
from crowndesk.odsim import SandboxServer
from crowndesk.pms.sync.engine import SyncEnv
from crowndesk.pms.sync.models import RunState, SyncRun
from crowndesk.pms.sync.registry import ENTITIES, ENTITY_NAMES
from crowndesk.procedures.models import Procedure

VICTIM = "procedures"  # in the middle of the order, and many pages long
PATIENTS = 300
INTERVAL_MS = 30  # 100-row pages (remote mode) at this pace: procedures take a few seconds
WAIT_SECONDS = 120  # generous: the machine is shared


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, databases: Any, tmp_path: Path) -> str:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'crowndesk.db'}"
    elif databases.is_postgres:
        url = databases.new("kill")
    else:
        pytest.skip("PostgreSQL is not the test database (CROWNDESK_TEST_DATABASE_URL unset)")
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
async def practice(database_url: str, sandbox: SandboxServer) -> AsyncIterator[Practice]:
    engine = create_engine(database_url)
    env = SyncEnv(engine, create_sessionmaker(engine), SecretBox(SECRET))
    try:
        yield await connect_practice(
            env, sandbox, mode=ConnectionMode.remote, interval_ms=INTERVAL_MS
        )
    finally:
        await engine.dispose()


def start_sync(database_url: str, data_dir: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CROWNDESK_DATABASE_URL": database_url,
        "CROWNDESK_SECRET_KEY": SECRET,
        "CROWNDESK_DATA_DIR": str(data_dir),
        "CROWNDESK_JOBS_RUNNER": "off",
        "COLUMNS": "200",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "crowndesk.cli", "sync"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


async def _runs(practice: Practice) -> list[SyncRun]:
    async with practice.env.sessionmaker() as session:
        with unscoped(session):
            stmt = select(SyncRun).order_by(SyncRun.created_at, SyncRun.entity)
            return list((await session.execute(stmt)).scalars())


async def _count(practice: Practice, model: Any) -> int:
    async with practice.env.sessionmaker() as session:
        with unscoped(session):
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _victim_half_written(practice: Practice, proc: subprocess.Popen[bytes]) -> None:
    """Wait until the victim's run is under way and has stored some of its rows."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while True:
        assert proc.poll() is None, "the sync finished before it could be killed"
        assert loop.time() < deadline, "the sync never reached the victim entity"
        runs = {run.entity: run for run in await _runs(practice)}
        victim = runs.get(VICTIM)
        if victim is not None and victim.state is RunState.running:
            if await _count(practice, Procedure) > 0:
                return
        await asyncio.sleep(0.05)


class TestKilledSync:
    async def test_the_next_sync_finishes_the_work_without_duplicates(
        self, practice: Practice, database_url: str, tmp_path: Path
    ) -> None:
        proc = start_sync(database_url, tmp_path)
        try:
            await _victim_half_written(practice, proc)
            proc.send_signal(signal.SIGKILL)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        left_behind = await _count(practice, Procedure)
        killed = {run.entity: run for run in await _runs(practice)}
        assert killed[VICTIM].state is RunState.running  # as the dead process left it
        later = ENTITY_NAMES[ENTITY_NAMES.index(VICTIM) + 1 :]
        assert {killed[name].state for name in later} == {RunState.queued}

        again = start_sync(database_url, tmp_path)
        output, _ = again.communicate(timeout=WAIT_SECONDS * 3)
        assert again.returncode == 0, output.decode(errors="replace")

        await assert_mirrored(practice)
        runs = await _runs(practice)
        old = {run.id: run for run in killed.values()}
        interrupted = next(run for run in runs if run.id == killed[VICTIM].id)
        assert interrupted.state is RunState.failed
        assert interrupted.error == "The run was interrupted."
        never_started = [run for run in runs if run.id in old and run.entity in later]
        assert {run.state for run in never_started} == {RunState.failed}
        assert all(run.started_at is None for run in never_started)
        second = [run for run in runs if run.id not in old]
        assert sorted(run.entity for run in second) == sorted(ENTITY_NAMES)
        assert {run.state for run in second} == {RunState.succeeded}
        assert 0 < left_behind < await _count(practice, Procedure)
        for spec in ENTITIES:
            await _assert_no_duplicates(practice, spec.model)


async def _assert_no_duplicates(practice: Practice, model: Any) -> None:
    async with practice.env.sessionmaker() as session:
        with unscoped(session):
            rows = (
                await session.execute(
                    select(model.clinic_id, model.pms_id, func.count())
                    .group_by(model.clinic_id, model.pms_id)
                    .having(func.count() > 1)
                )
            ).all()
    assert rows == [], model.__tablename__
