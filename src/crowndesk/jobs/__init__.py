"""Background jobs: one registry of tasks and schedules (`crowndesk.jobs.registry`), and the
runners over it.

- `embedded` (default): APScheduler and asyncio tasks inside `crowndesk serve`; SQLite or PostgreSQL.
- `distributed`: procrastinate on PostgreSQL; `crowndesk worker` runs the jobs and schedules,
  `serve` only enqueues.
- `off`: nothing runs (tests, maintenance); enqueued jobs are remembered, not run.

`CROWNDESK_JOBS_RUNNER` picks one; `build_runner` makes it. The app keeps it on `app.state.jobs`.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from crowndesk.config import Settings
from crowndesk.jobs.embedded import EmbeddedRunner
from crowndesk.jobs.registry import (
    JobEnv,
    JobRunner,
    OffRunner,
    Registry,
    RegistryError,
    ScheduleSpec,
    TaskFn,
    TaskSpec,
    UnknownTask,
    load_task_modules,
    make_env,
    schedule,
    task,
)
from crowndesk.jobs.registry import registry as global_registry

__all__ = [
    "EmbeddedRunner",
    "JobEnv",
    "JobRunner",
    "OffRunner",
    "Registry",
    "RegistryError",
    "ScheduleSpec",
    "TaskFn",
    "TaskSpec",
    "UnknownTask",
    "build_runner",
    "load_task_modules",
    "make_env",
    "schedule",
    "task",
]


def build_runner(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    jobs_registry: Registry | None = None,
) -> JobRunner:
    """The runner the settings ask for, over every registered task. Nothing starts yet."""
    if jobs_registry is None:
        load_task_modules()
        jobs_registry = global_registry
    if settings.jobs_runner == "off":
        return OffRunner(jobs_registry)
    env = make_env(settings, engine, sessionmaker)
    if settings.jobs_runner == "distributed":
        from crowndesk.jobs.distributed import DistributedRunner  # imports procrastinate

        return DistributedRunner(env, registry=jobs_registry)
    return EmbeddedRunner(env, registry=jobs_registry)
