from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine
from structlog.testing import capture_logs

from crowndesk.config import Settings
from crowndesk.db.engine import SessionMaker
from crowndesk.jobs.embedded import EmbeddedRunner
from crowndesk.jobs.registry import JobEnv, Registry, UnknownTask, make_env


@pytest.fixture
def reg() -> Registry:
    return Registry()


@pytest_asyncio.fixture
async def runner(
    reg: Registry, settings: Settings, engine: AsyncEngine, sessionmaker: SessionMaker
) -> AsyncIterator[EmbeddedRunner]:
    runner = EmbeddedRunner(
        make_env(settings, engine, sessionmaker),
        registry=reg,
        first_run_delay=timedelta(0),
        retry_base=0.01,
        shutdown_grace=0.5,
    )
    yield runner
    await runner.stop()


class TestEnqueue:
    async def test_runs_the_task_with_its_environment_and_arguments(
        self, reg: Registry, runner: EmbeddedRunner
    ) -> None:
        calls: list[tuple[JobEnv, dict[str, Any]]] = []

        @reg.task("demo.record")
        async def record(env: JobEnv, **kwargs: Any) -> None:
            calls.append((env, kwargs))

        await runner.enqueue("demo.record", clinic_id="c-1", ids=(1, 2))
        await runner.drain()
        [(env, kwargs)] = calls
        assert env.runner is runner
        assert kwargs == {"clinic_id": "c-1", "ids": [1, 2]}  # through JSON, as when distributed

    async def test_a_task_can_enqueue_a_follow_up(
        self, reg: Registry, runner: EmbeddedRunner
    ) -> None:
        seen: list[str] = []

        @reg.task("demo.first")
        async def first(env: JobEnv) -> None:
            seen.append("first")
            await env.runner.enqueue("demo.second")

        @reg.task("demo.second")
        async def second(env: JobEnv) -> None:
            seen.append("second")

        await runner.enqueue("demo.first")
        await runner.drain()
        assert seen == ["first", "second"]

    async def test_an_unknown_task_is_refused(self, runner: EmbeddedRunner) -> None:
        with pytest.raises(UnknownTask):
            await runner.enqueue("demo.missing")

    async def test_arguments_json_cannot_carry_are_refused(
        self, reg: Registry, runner: EmbeddedRunner
    ) -> None:
        @reg.task("demo.record")
        async def record(env: JobEnv, **kwargs: Any) -> None:
            return None

        with pytest.raises(TypeError, match="JSON"):
            await runner.enqueue("demo.record", clinic_id=uuid4())


class TestLock:
    async def test_jobs_sharing_a_lock_never_overlap(
        self, reg: Registry, runner: EmbeddedRunner
    ) -> None:
        intervals: list[tuple[int, float, float]] = []

        @reg.task("demo.slow")
        async def slow(env: JobEnv, i: int) -> None:
            started = time.monotonic()
            await asyncio.sleep(0.01)
            intervals.append((i, started, time.monotonic()))

        for i in range(6):
            await runner.enqueue("demo.slow", lock="clinic:1", i=i)
        await runner.drain()
        assert sorted(i for i, _, _ in intervals) == list(range(6))
        ordered = sorted(intervals, key=lambda row: row[1])
        for (_, _, ended), (_, started, _) in zip(ordered, ordered[1:], strict=False):
            assert started >= ended

    async def test_jobs_with_different_locks_run_together(
        self, reg: Registry, runner: EmbeddedRunner
    ) -> None:
        arrived = {"a": asyncio.Event(), "b": asyncio.Event()}

        @reg.task("demo.meet")
        async def meet(env: JobEnv, me: str, other: str) -> None:
            arrived[me].set()
            await asyncio.wait_for(arrived[other].wait(), timeout=2)  # only if both run at once

        await runner.enqueue("demo.meet", lock="clinic:a", me="a", other="b")
        await runner.enqueue("demo.meet", lock="clinic:b", me="b", other="a")
        with capture_logs() as logs:
            await runner.drain()
        assert not [entry for entry in logs if entry["event"] == "job.failed"]


class TestDuplicates:
    async def test_an_identical_job_still_queued_is_dropped(
        self, reg: Registry, runner: EmbeddedRunner
    ) -> None:
        gate, started = asyncio.Event(), asyncio.Event()
        runs: list[str] = []

        @reg.task("demo.sync")
        async def sync(env: JobEnv, clinic: str) -> None:
            runs.append(clinic)
            started.set()
            await gate.wait()

        await runner.enqueue("demo.sync", lock="sync:1", clinic="1")
        await runner.enqueue("demo.sync", lock="sync:1", clinic="1")  # first not started: dropped
        await asyncio.wait_for(started.wait(), timeout=2)
        await runner.enqueue("demo.sync", lock="sync:1", clinic="1")  # first running: queued
        await runner.enqueue("demo.sync", lock="sync:1", clinic="1")  # second queued: dropped
        gate.set()
        await runner.drain()
        assert runs == ["1", "1"]

    async def test_different_arguments_are_not_duplicates(
        self, reg: Registry, runner: EmbeddedRunner
    ) -> None:
        runs: list[str] = []

        @reg.task("demo.sync")
        async def sync(env: JobEnv, entity: str) -> None:
            runs.append(entity)

        await runner.enqueue("demo.sync", lock="clinic:1", entity="patients")
        await runner.enqueue("demo.sync", lock="clinic:1", entity="appointments")
        await runner.drain()
        assert runs == ["patients", "appointments"]

    async def test_jobs_without_a_lock_are_never_dropped(
        self, reg: Registry, runner: EmbeddedRunner
    ) -> None:
        runs: list[int] = []

        @reg.task("demo.count")
        async def count(env: JobEnv) -> None:
            runs.append(1)

        for _ in range(3):
            await runner.enqueue("demo.count")
        await runner.drain()
        assert len(runs) == 3


class TestRetries:
    async def test_a_failing_task_is_retried_then_given_up(
        self, reg: Registry, runner: EmbeddedRunner
    ) -> None:
        attempts: list[int] = []

        @reg.task("demo.flaky", retries=2)
        async def flaky(env: JobEnv) -> None:
            attempts.append(1)
            raise ValueError("patient Jane Doe has no chart")

        with capture_logs() as logs:
            await runner.enqueue("demo.flaky", lock="clinic:1")
            await runner.drain()
        assert len(attempts) == 3
        assert [entry["event"] for entry in logs] == ["job.retry", "job.retry", "job.failed"]
        failed = logs[-1]
        assert (failed["task"], failed["lock"], failed["error"]) == (
            "demo.flaky",
            "clinic:1",
            "ValueError",
        )
        assert "Jane" not in repr(logs)  # no exception message (PHI) in the logs

    async def test_a_task_that_recovers_stops_retrying(
        self, reg: Registry, runner: EmbeddedRunner
    ) -> None:
        attempts: list[int] = []

        @reg.task("demo.flaky", retries=5)
        async def flaky(env: JobEnv) -> None:
            attempts.append(1)
            if len(attempts) < 2:
                raise ConnectionError

        await runner.enqueue("demo.flaky")
        await runner.drain()
        assert len(attempts) == 2

    async def test_without_retries_a_failure_runs_once(
        self, reg: Registry, runner: EmbeddedRunner
    ) -> None:
        attempts: list[int] = []

        @reg.task("demo.flaky")
        async def flaky(env: JobEnv) -> None:
            attempts.append(1)
            raise RuntimeError

        await runner.enqueue("demo.flaky")
        await runner.drain()
        assert len(attempts) == 1


class TestSchedules:
    async def test_a_schedule_fires_at_its_interval_until_stopped(
        self, reg: Registry, runner: EmbeddedRunner
    ) -> None:
        ticks: list[dict[str, Any]] = []

        @reg.task("demo.tick")
        async def tick(env: JobEnv, **kwargs: Any) -> None:
            ticks.append(kwargs)

        reg.schedule("demo.often", "demo.tick", every=timedelta(seconds=0.05), kwargs={"n": 1})
        await runner.start()
        for _ in range(100):
            if len(ticks) >= 3:
                break
            await asyncio.sleep(0.05)
        assert len(ticks) >= 3
        assert ticks[0] == {"n": 1}
        await runner.stop()
        seen = len(ticks)
        await asyncio.sleep(0.15)
        assert len(ticks) == seen

    async def test_a_slow_run_is_never_doubled(self, reg: Registry, runner: EmbeddedRunner) -> None:
        running: list[int] = []
        most = 0
        runs = 0

        @reg.task("demo.slow")
        async def slow(env: JobEnv) -> None:
            nonlocal most, runs
            running.append(1)
            most = max(most, len(running))
            await asyncio.sleep(0.08)
            running.pop()
            runs += 1

        reg.schedule("demo.often", "demo.slow", every=timedelta(seconds=0.02))
        await runner.start()
        for _ in range(100):
            if runs >= 2:
                break
            await asyncio.sleep(0.05)
        await runner.stop()
        assert runs >= 2
        assert most == 1


class TestStop:
    async def test_a_job_still_running_is_cancelled(
        self, reg: Registry, settings: Settings, engine: AsyncEngine, sessionmaker: SessionMaker
    ) -> None:
        runner = EmbeddedRunner(
            make_env(settings, engine, sessionmaker), registry=reg, shutdown_grace=0.05
        )
        started = asyncio.Event()
        cancelled: list[bool] = []

        @reg.task("demo.forever")
        async def forever(env: JobEnv) -> None:
            started.set()
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                cancelled.append(True)
                raise

        await runner.start()
        await runner.enqueue("demo.forever", lock="x")
        await asyncio.wait_for(started.wait(), timeout=2)
        await asyncio.wait_for(runner.stop(), timeout=2)
        assert cancelled == [True]
        await runner.drain()  # nothing left

    async def test_a_job_finishing_within_the_grace_completes(
        self, reg: Registry, runner: EmbeddedRunner
    ) -> None:
        done: list[bool] = []

        @reg.task("demo.short")
        async def short(env: JobEnv) -> None:
            await asyncio.sleep(0.02)
            done.append(True)

        await runner.start()
        await runner.enqueue("demo.short")
        await runner.stop()
        assert done == [True]
