"""The distributed runner: procrastinate on PostgreSQL, any number of `crowndesk worker`s.

Every registry task becomes a procrastinate task of the same name. Every schedule becomes a
periodic task named `schedule:<name>` on the cron that matches its interval (`cron_for`);
procrastinate records each periodic defer in the database, so a tick is deferred once however
many workers run. `crowndesk serve` only enqueues; the workers run the jobs and the schedules.

Procrastinate's own tables (`procrastinate_*`) are not Alembic's: `start()` creates them when
they are missing, under an advisory lock so that simultaneous first starts do not race.

Retries happen inside the job (as in the embedded runner), not through procrastinate's retry:
procrastinate puts a failed job back in the queue with its queueing lock, which violates the
lock's unique index whenever an identical job was queued meanwhile (procrastinate issues #1446,
#1543) and leaves the job stuck. A job that fails for good is marked failed in the database.

Job arguments are stored and logged by procrastinate: pass ids, never patient data.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import psycopg
from procrastinate import App, JobContext, PsycopgConnector
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy.engine import make_url

from crowndesk.config import ConfigError, Settings
from crowndesk.core.logging import get_logger
from crowndesk.db.engine import create_engine, create_sessionmaker
from crowndesk.db.locks import lock_key
from crowndesk.jobs.registry import (
    EnvFactory,
    Registry,
    ScheduleSpec,
    TaskSpec,
    dedupe_key,
    encode_kwargs,
    load_task_modules,
    make_env,
    run_attempts,
)
from crowndesk.jobs.registry import registry as global_registry

log = get_logger(__name__)

SCHEDULE_PREFIX = "schedule:"
SCHEMA_LOCK = lock_key("crowndesk.jobs.procrastinate-schema")
MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR


class JobFailed(Exception):
    """Raised to procrastinate when a job failed all its attempts (the cause is logged by type
    only: an exception message may name a patient)."""


def libpq_url(database_url: str) -> str:
    """`postgresql+psycopg://...` (SQLAlchemy) as the plain `postgresql://...` libpq wants."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def cron_for(every: timedelta) -> str:
    """The cron line closest to 'every `every`' (cron cannot express every interval exactly).

    Under a minute → every minute; N minutes → `*/N * * * *`; N hours → `0 */N * * *`;
    a day → `0 3 * * *` (03:00 UTC, off-peak); a week → Sundays at 03:00; N days → `0 3 */N * *`.
    Steps restart at each hour, day or month, so an interval that does not divide it is
    approximated (e.g. every 7 minutes also runs at :00 after :56).
    """
    seconds = every.total_seconds()
    minutes = max(1, round(seconds / MINUTE))
    if minutes < 60:
        return "* * * * *" if minutes == 1 else f"*/{minutes} * * * *"
    hours = max(1, round(seconds / HOUR))
    if hours < 24:
        return "0 * * * *" if hours == 1 else f"0 */{hours} * * *"
    days = max(1, round(seconds / DAY))
    if days == 1:
        return "0 3 * * *"
    if days == 7:
        return "0 3 * * 0"
    return f"0 3 */{days} * *"


class DistributedRunner:
    """Enqueues into procrastinate's tables; `run_worker` executes jobs and schedules."""

    def __init__(
        self,
        env_factory: EnvFactory,
        *,
        registry: Registry | None = None,
        max_connections: int = 4,
        retry_base: float = 1.0,
        retry_cap: float = 60.0,
    ) -> None:
        self.registry = registry if registry is not None else global_registry
        self.env = env_factory(self)
        if self.env.settings.is_sqlite:
            raise ConfigError("the distributed job runner needs PostgreSQL, not SQLite")
        self.conninfo = libpq_url(self.env.settings.database_url)
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self.app = App(
            connector=PsycopgConnector(conninfo=self.conninfo, min_size=1, max_size=max_connections)
        )
        for spec in self.registry.tasks.values():
            self._add_task(spec)
        for schedule in self.registry.schedules.values():
            self._add_schedule(schedule)
        self._open = False
        self._opening = asyncio.Lock()

    def _add_task(self, spec: TaskSpec) -> None:
        async def run(context: JobContext, /, **kwargs: Any) -> None:
            await self._run(spec, context.job.lock, kwargs)

        self.app.task(name=spec.name, pass_context=True)(run)

    def _add_schedule(self, schedule: ScheduleSpec) -> None:
        spec = self.registry.get(schedule.task)
        name = SCHEDULE_PREFIX + schedule.name

        async def tick(timestamp: int) -> None:  # procrastinate passes the tick's time
            await self._run(spec, name, dict(schedule.kwargs))

        # The lock keeps one run of a schedule at once; the queueing lock keeps at most one
        # waiting, so a slow run does not pile up ticks behind it.
        registered = self.app.task(name=name, lock=name, queueing_lock=name)(tick)
        self.app.periodic(cron=cron_for(schedule.every), periodic_id=schedule.name)(registered)

    async def _run(self, spec: TaskSpec, lock: str | None, kwargs: dict[str, Any]) -> None:
        ok = await run_attempts(
            spec, self.env, kwargs, lock=lock, retry_base=self.retry_base, retry_cap=self.retry_cap
        )
        if not ok:
            raise JobFailed(f"{spec.name} failed after {spec.retries + 1} attempt(s)")

    async def start(self) -> None:
        """Open the connection pool and create procrastinate's tables when missing."""
        async with self._opening:
            if self._open:
                return
            await self.app.open_async()
            try:
                await self.ensure_schema()
            except BaseException:
                await self.app.close_async()
                raise
            self._open = True

    async def stop(self) -> None:
        async with self._opening:
            if self._open:
                await self.app.close_async()
                self._open = False

    async def ensure_schema(self) -> bool:
        """Apply procrastinate's schema unless its tables exist. True when it was applied."""
        async with await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True) as conn:
            await conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
            try:
                cursor = await conn.execute("SELECT to_regclass('procrastinate_jobs') IS NULL")
                row = await cursor.fetchone()
                if not (row and row[0]):
                    return False
                await self.app.schema_manager.apply_schema_async()
                log.info("jobs.schema_applied", runner="distributed")
                return True
            finally:
                await conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))

    async def enqueue(self, task: str, *, lock: str | None = None, **kwargs: Any) -> None:
        spec = self.registry.get(task)
        arguments = encode_kwargs(kwargs)
        if not self._open:
            await self.start()  # an app served without its lifespan (tests) opens on first use
        queueing_lock = dedupe_key(spec.name, lock, arguments) if lock is not None else None
        deferrer = self.app.configure_task(
            spec.name, allow_unknown=False, lock=lock, queueing_lock=queueing_lock
        )
        try:
            await deferrer.defer_async(**arguments)
        except AlreadyEnqueued:
            log.debug("job.dropped", task=spec.name, lock=lock, reason="already queued")

    async def run_worker(
        self,
        *,
        concurrency: int = 1,
        wait: bool = True,
        name: str | None = None,
        polling_interval: float = 5.0,
        install_signal_handlers: bool = True,
    ) -> None:
        """Execute jobs and defer the schedules' ticks until stopped (SIGINT/SIGTERM or
        cancellation), or with `wait=False` until the queue is empty."""
        await self.start()
        await self.app.run_worker_async(
            concurrency=concurrency,
            wait=wait,
            name=name or "crowndesk",
            fetch_job_polling_interval=polling_interval,
            abort_job_polling_interval=polling_interval,
            install_signal_handlers=install_signal_handlers,
        )


async def run_worker(settings: Settings, *, concurrency: int = 1) -> None:
    """`crowndesk worker`: one process running jobs with its own engine and pool."""
    load_task_modules()
    engine = create_engine(settings.database_url)
    runner = DistributedRunner(
        make_env(settings, engine, create_sessionmaker(engine)),
        max_connections=concurrency + 3,  # jobs, the notification listener, heartbeats, polling
    )
    try:
        log.info("jobs.worker_started", runner="distributed", concurrency=concurrency)
        await runner.run_worker(concurrency=concurrency)
    finally:
        await runner.stop()
        await engine.dispose()
