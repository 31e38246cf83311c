"""The embedded runner: jobs and schedules inside the `crowndesk serve` process.

For SQLite deployments and small PostgreSQL ones. Schedules run on APScheduler 3's asyncio
scheduler; an enqueued job is an asyncio task in the same event loop. Nothing survives a restart:
a queued job is lost with the process, and the schedules run again shortly after start.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from crowndesk.core.logging import get_logger
from crowndesk.jobs.registry import (
    EnvFactory,
    Registry,
    ScheduleSpec,
    TaskSpec,
    dedupe_key,
    encode_kwargs,
    run_attempts,
)
from crowndesk.jobs.registry import registry as global_registry

log = get_logger(__name__)


class EmbeddedRunner:
    """Runs jobs as asyncio tasks of the current event loop, and the registry's schedules.

    - a job with a `lock` waits until no other job holding that lock runs (in this process);
    - a job is dropped when an identical one (task, lock, arguments) is queued and not yet started;
    - a failing job is retried `retries` times, after `retry_base` s, doubling up to `retry_cap` s,
      holding its lock meanwhile;
    - each schedule runs every `every`, first `first_run_delay` after `start()`; a run that is
      still busy when the next is due makes that one wait (coalesced, never two at once).
    """

    def __init__(
        self,
        env_factory: EnvFactory,
        *,
        registry: Registry | None = None,
        first_run_delay: timedelta = timedelta(seconds=10),
        retry_base: float = 1.0,
        retry_cap: float = 60.0,
        shutdown_grace: float = 5.0,
    ) -> None:
        self.registry = registry if registry is not None else global_registry
        self.env = env_factory(self)
        self.first_run_delay = first_run_delay
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self.shutdown_grace = shutdown_grace
        self._scheduler: AsyncIOScheduler | None = None
        self._jobs: set[asyncio.Task[bool]] = set()
        self._queued: set[str] = set()
        self._locks: dict[str, asyncio.Lock] = {}
        self._lock_users: dict[str, int] = {}

    @property
    def running(self) -> bool:
        return self._scheduler is not None

    async def start(self) -> None:
        if self._scheduler is not None:
            return
        # Our own `job.*` logs say what ran; APScheduler's per-run INFO lines are noise.
        aps_logger = logging.getLogger("apscheduler")
        if aps_logger.level == logging.NOTSET:
            aps_logger.setLevel(logging.WARNING)
        scheduler = AsyncIOScheduler(timezone=UTC)
        first = datetime.now(UTC) + self.first_run_delay
        for spec in self.registry.schedules.values():
            scheduler.add_job(
                self._tick,
                IntervalTrigger(seconds=spec.every.total_seconds(), timezone=UTC),
                args=[spec],
                id=spec.name,
                name=spec.name,
                next_run_time=first,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=None,
            )
        scheduler.start()
        self._scheduler = scheduler
        log.info("jobs.started", runner="embedded", schedules=len(self.registry.schedules))

    async def stop(self) -> None:
        """Stop the schedules, give running jobs `shutdown_grace` seconds, cancel the rest."""
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.pause()
        if self._jobs:
            await asyncio.wait(set(self._jobs), timeout=self.shutdown_grace)
        for job in list(self._jobs):
            job.cancel()
        if self._jobs:
            await asyncio.gather(*self._jobs, return_exceptions=True)
        await asyncio.sleep(0)  # let the schedule coroutines see their jobs end
        if scheduler is not None:
            scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # APScheduler shuts down on the next turn of the loop

    async def enqueue(self, task: str, *, lock: str | None = None, **kwargs: Any) -> None:
        self._submit(self.registry.get(task), lock, encode_kwargs(kwargs))

    async def drain(self) -> None:
        """Wait until no job is queued or running (jobs enqueued meanwhile included)."""
        while self._jobs:
            await asyncio.wait(set(self._jobs))

    def _submit(
        self, spec: TaskSpec, lock: str | None, kwargs: dict[str, Any]
    ) -> asyncio.Task[bool] | None:
        key = dedupe_key(spec.name, lock, kwargs) if lock is not None else None
        if key is not None:
            if key in self._queued:
                log.debug("job.dropped", task=spec.name, lock=lock, reason="already queued")
                return None
            self._queued.add(key)
        job = asyncio.get_running_loop().create_task(
            self._run(spec, lock, key, kwargs), name=f"job {spec.name}"
        )
        self._jobs.add(job)
        job.add_done_callback(self._jobs.discard)
        return job

    async def _run(
        self, spec: TaskSpec, lock: str | None, key: str | None, kwargs: dict[str, Any]
    ) -> bool:
        if lock is None:
            return await self._attempts(spec, lock, kwargs)
        self._lock_users[lock] = self._lock_users.get(lock, 0) + 1
        mutex = self._locks.setdefault(lock, asyncio.Lock())
        try:
            async with mutex:
                if key is not None:
                    self._queued.discard(key)  # started: an identical job may queue again
                return await self._attempts(spec, lock, kwargs)
        finally:
            if key is not None:
                self._queued.discard(key)  # cancelled while waiting
            self._lock_users[lock] -= 1
            if not self._lock_users[lock]:
                del self._lock_users[lock]
                del self._locks[lock]

    async def _attempts(self, spec: TaskSpec, lock: str | None, kwargs: dict[str, Any]) -> bool:
        return await run_attempts(
            spec, self.env, kwargs, lock=lock, retry_base=self.retry_base, retry_cap=self.retry_cap
        )

    async def _tick(self, schedule: ScheduleSpec) -> None:
        # Wait for the run, so APScheduler's max_instances=1 keeps one run of a schedule at once.
        job = self._submit(self.registry.get(schedule.task), None, dict(schedule.kwargs))
        if job is not None:
            await asyncio.wait({job})
