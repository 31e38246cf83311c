"""One registry of tasks and schedules, shared by every runner.

A domain declares its jobs in `<domain>/tasks.py`:

    @task("claims.transmit", retries=5)
    async def transmit(env: JobEnv, claim_id: str) -> None:
        async with unit_of_work(env.sessionmaker, ctx) as session: ...

    schedule("claims.poll_acks", "claims.poll_acks", every=timedelta(minutes=15))

A task receives a `JobEnv` (everything needed to open its own transaction and enqueue follow-up
jobs) and JSON-serialisable keyword arguments: the distributed runner stores them in PostgreSQL,
and the embedded runner passes them through JSON too, so both runners see the same values.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from crowndesk.config import Settings
from crowndesk.core.logging import get_logger

log = get_logger(__name__)

__all__ = [
    "TASK_MODULES",
    "EnvFactory",
    "JobEnv",
    "JobRunner",
    "OffRunner",
    "Registry",
    "RegistryError",
    "ScheduleSpec",
    "TaskFn",
    "TaskSpec",
    "UnknownTask",
    "dedupe_key",
    "encode_kwargs",
    "load_task_modules",
    "make_env",
    "registry",
    "run_attempts",
    "schedule",
    "task",
]

# Every module that registers tasks. A fixed list, so a worker knows every task it may meet.
TASK_MODULES = ("crowndesk.jobs.heartbeat", "crowndesk.pms.sync.tasks")


class RegistryError(ValueError):
    """A task or schedule declaration is wrong: a programming error, found at import time."""


class UnknownTask(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no task named {name!r} is registered")
        self.name = name


@dataclass(frozen=True, slots=True)
class JobEnv:
    """What a task receives: everything to open its own transaction."""

    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    runner: JobRunner  # to enqueue follow-up jobs


TaskFn = Callable[..., Awaitable[None]]
EnvFactory = Callable[["JobRunner"], JobEnv]


class JobRunner(Protocol):
    async def enqueue(self, task: str, *, lock: str | None = None, **kwargs: Any) -> None:
        """Run `task(env, **kwargs)` in the background.

        Jobs sharing a `lock` string never run at the same time, and a job enqueued while an
        identical one (same task, lock and arguments) is still queued — not yet started — is
        dropped rather than queued twice. Without a lock there is neither exclusion nor dropping.
        """
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass(frozen=True, slots=True)
class TaskSpec:
    name: str
    fn: TaskFn
    retries: int = 0


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    name: str
    task: str
    every: timedelta
    kwargs: dict[str, Any] = field(default_factory=dict)


def _same_function(a: TaskFn, b: TaskFn) -> bool:
    # A module imported twice (a reload, pytest's importlib mode) defines a new function object
    # with the same qualified name: that is the same task, not a clash.
    return a is b or (
        getattr(a, "__module__", None) == getattr(b, "__module__", None)
        and getattr(a, "__qualname__", None) == getattr(b, "__qualname__", None)
    )


class Registry:
    """Tasks by name and schedules by name. Runners read it when they are built."""

    def __init__(self) -> None:
        self.tasks: dict[str, TaskSpec] = {}
        self.schedules: dict[str, ScheduleSpec] = {}

    def task(self, name: str, *, retries: int = 0) -> Callable[[TaskFn], TaskFn]:
        if not name:
            raise RegistryError("a task needs a name")
        if retries < 0:
            raise RegistryError(f"task {name!r}: retries must be 0 or more")

        def register(fn: TaskFn) -> TaskFn:
            existing = self.tasks.get(name)
            if existing is not None and not _same_function(existing.fn, fn):
                raise RegistryError(
                    f"task {name!r} is already registered by "
                    f"{existing.fn.__module__}.{existing.fn.__qualname__}"
                )
            self.tasks[name] = TaskSpec(name=name, fn=fn, retries=retries)
            return fn

        return register

    def schedule(
        self,
        name: str,
        task: str,
        *,
        every: timedelta,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        if task not in self.tasks:
            raise RegistryError(f"schedule {name!r} names task {task!r}, which is not registered")
        if every <= timedelta(0):
            raise RegistryError(f"schedule {name!r}: the interval must be positive")
        spec = ScheduleSpec(name=name, task=task, every=every, kwargs=encode_kwargs(kwargs or {}))
        existing = self.schedules.get(name)
        if existing is not None and existing != spec:
            raise RegistryError(f"schedule {name!r} is already registered differently")
        self.schedules[name] = spec

    def get(self, name: str) -> TaskSpec:
        try:
            return self.tasks[name]
        except KeyError:
            raise UnknownTask(name) from None


registry = Registry()


def task(name: str, *, retries: int = 0) -> Callable[[TaskFn], TaskFn]:
    """Register `async def fn(env, **kwargs)` as task `name` in the global registry."""
    return registry.task(name, retries=retries)


def schedule(
    name: str, task: str, *, every: timedelta, kwargs: dict[str, Any] | None = None
) -> None:
    """Run `task` every `every` (with `kwargs`); the task must be registered first."""
    registry.schedule(name, task, every=every, kwargs=kwargs)


def load_task_modules() -> None:
    """Import every module that registers tasks, so a runner knows all of them."""
    for module in TASK_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            # Only a module that is not written yet may be missing, never one of its imports.
            missing = exc.name or ""
            if not (module == missing or module.startswith(missing + ".")):
                raise


def encode_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The arguments as a task will receive them: through JSON, as the distributed runner does.

    Raises TypeError for values JSON cannot carry (pass `str(uuid)`, ISO dates ...).
    """
    try:
        decoded: dict[str, Any] = json.loads(json.dumps(kwargs))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"job arguments must be JSON-serialisable: {exc}") from None
    return decoded


def dedupe_key(task: str, lock: str, kwargs: dict[str, Any]) -> str:
    """Names one job: a second enqueue with the same key while the first is queued is dropped."""
    digest = hashlib.blake2b(
        json.dumps(kwargs, sort_keys=True, separators=(",", ":")).encode(), digest_size=8
    ).hexdigest()
    return f"{task}|{lock}|{digest}"


def backoff(attempt: int, base: float, cap: float) -> float:
    """Seconds to wait before retry number `attempt` (1, 2, ...): doubling, capped."""
    return float(min(cap, base * 2 ** (attempt - 1)))


async def run_attempts(
    spec: TaskSpec,
    env: JobEnv,
    kwargs: dict[str, Any],
    *,
    lock: str | None,
    retry_base: float,
    retry_cap: float,
) -> bool:
    """Run a task, retrying it up to `spec.retries` times; log a failure without its message
    (which may name a patient). True when it finally succeeded."""
    attempts = spec.retries + 1
    for attempt in range(1, attempts + 1):
        try:
            await spec.fn(env, **kwargs)
        except Exception as exc:
            if attempt < attempts:
                delay = backoff(attempt, retry_base, retry_cap)
                log.warning(
                    "job.retry",
                    task=spec.name,
                    lock=lock,
                    attempt=attempt,
                    error=type(exc).__name__,
                    retry_in=delay,
                )
                await asyncio.sleep(delay)
                continue
            log.error(
                "job.failed", task=spec.name, lock=lock, attempts=attempt, error=type(exc).__name__
            )
            return False
        return True
    return False  # pragma: no cover  (the loop always returns)


def make_env(
    settings: Settings, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> EnvFactory:
    """An `EnvFactory` for a runner: the runner passes itself in, so tasks can enqueue."""

    def build(runner: JobRunner) -> JobEnv:
        return JobEnv(settings=settings, engine=engine, sessionmaker=sessionmaker, runner=runner)

    return build


class OffRunner:
    """The runner for `CROWNDESK_JOBS_RUNNER=off`: runs nothing, remembers what was asked."""

    def __init__(self, registry: Registry | None = None) -> None:
        self.registry = registry
        self.enqueued: list[tuple[str, str | None, dict[str, Any]]] = []

    async def enqueue(self, task: str, *, lock: str | None = None, **kwargs: Any) -> None:
        if self.registry is not None:
            self.registry.get(task)
        self.enqueued.append((task, lock, encode_kwargs(kwargs)))

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None
