from __future__ import annotations

import importlib
import sys
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import pytest

from crowndesk.jobs import registry as registry_module
from crowndesk.jobs.registry import (
    JobEnv,
    Registry,
    RegistryError,
    TaskFn,
    UnknownTask,
    dedupe_key,
    load_task_modules,
    registry,
)


async def _noop(env: JobEnv) -> None:
    return None


async def _other(env: JobEnv) -> None:
    return None


def _made_by_a_factory() -> TaskFn:
    async def run(env: JobEnv) -> None:
        return None

    return run


class TestTask:
    def test_registers_the_function_under_its_name(self) -> None:
        reg = Registry()
        returned = reg.task("demo.noop", retries=3)(_noop)
        assert returned is _noop
        assert reg.get("demo.noop").fn is _noop
        assert reg.tasks["demo.noop"].retries == 3

    def test_another_function_under_a_taken_name_is_refused(self) -> None:
        reg = Registry()
        reg.task("demo.noop")(_noop)
        with pytest.raises(RegistryError, match="already registered"):
            reg.task("demo.noop")(_other)

    def test_registering_the_same_function_again_is_harmless(self) -> None:
        reg = Registry()
        reg.task("demo.noop")(_noop)
        reg.task("demo.noop")(_noop)
        assert list(reg.tasks) == ["demo.noop"]

    def test_a_redefinition_of_the_same_function_is_harmless(self) -> None:
        # what a second import of a tasks module does
        reg = Registry()
        reg.task("demo.made")(_made_by_a_factory())
        reg.task("demo.made")(_made_by_a_factory())
        assert list(reg.tasks) == ["demo.made"]

    def test_negative_retries_are_refused(self) -> None:
        with pytest.raises(RegistryError, match="retries"):
            Registry().task("demo.noop", retries=-1)

    def test_an_unknown_name_is_reported(self) -> None:
        with pytest.raises(UnknownTask, match="demo.missing"):
            Registry().get("demo.missing")


class TestSchedule:
    def test_registers_a_schedule_of_a_known_task(self) -> None:
        reg = Registry()
        reg.task("demo.noop")(_noop)
        reg.schedule("demo.often", "demo.noop", every=timedelta(minutes=5), kwargs={"n": 1})
        spec = reg.schedules["demo.often"]
        assert (spec.task, spec.every, spec.kwargs) == ("demo.noop", timedelta(minutes=5), {"n": 1})

    def test_a_schedule_of_an_unknown_task_is_refused(self) -> None:
        with pytest.raises(RegistryError, match="not registered"):
            Registry().schedule("demo.often", "demo.missing", every=timedelta(minutes=5))

    def test_the_same_schedule_twice_is_harmless(self) -> None:
        reg = Registry()
        reg.task("demo.noop")(_noop)
        reg.schedule("demo.often", "demo.noop", every=timedelta(minutes=5))
        reg.schedule("demo.often", "demo.noop", every=timedelta(minutes=5))
        assert list(reg.schedules) == ["demo.often"]

    def test_a_different_schedule_under_a_taken_name_is_refused(self) -> None:
        reg = Registry()
        reg.task("demo.noop")(_noop)
        reg.schedule("demo.often", "demo.noop", every=timedelta(minutes=5))
        with pytest.raises(RegistryError, match="already registered"):
            reg.schedule("demo.often", "demo.noop", every=timedelta(minutes=10))

    def test_a_non_positive_interval_is_refused(self) -> None:
        reg = Registry()
        reg.task("demo.noop")(_noop)
        with pytest.raises(RegistryError, match="positive"):
            reg.schedule("demo.often", "demo.noop", every=timedelta(0))

    def test_arguments_json_cannot_carry_are_refused(self) -> None:
        reg = Registry()
        reg.task("demo.noop")(_noop)
        with pytest.raises(TypeError, match="JSON"):
            reg.schedule("demo.often", "demo.noop", every=timedelta(1), kwargs={"id": uuid4()})


class TestDedupeKey:
    def test_names_task_lock_and_arguments(self) -> None:
        key = dedupe_key("demo.noop", "clinic:1", {"a": 1, "b": 2})
        assert key == dedupe_key("demo.noop", "clinic:1", {"b": 2, "a": 1})
        assert key != dedupe_key("demo.noop", "clinic:1", {"a": 1, "b": 3})
        assert key != dedupe_key("demo.other", "clinic:1", {"a": 1, "b": 2})
        assert key != dedupe_key("demo.noop", "clinic:2", {"a": 1, "b": 2})


class TestLoadTaskModules:
    def test_registers_the_heartbeat_and_its_daily_schedule(self) -> None:
        load_task_modules()
        assert "jobs.heartbeat" in registry.tasks
        assert registry.schedules["jobs.heartbeat"].every == timedelta(days=1)

    def test_importing_the_tasks_modules_again_is_harmless(self) -> None:
        load_task_modules()
        importlib.reload(importlib.import_module("crowndesk.jobs.heartbeat"))
        load_task_modules()
        assert "jobs.heartbeat" in registry.tasks

    def test_a_module_not_written_yet_is_skipped(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(
            registry_module, "TASK_MODULES", ("crowndesk.jobs.heartbeat", "crowndesk.nowhere.tasks")
        )
        load_task_modules()

    def test_a_module_whose_import_is_missing_fails(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        name = f"broken_tasks_{uuid4().hex[:8]}"
        (tmp_path / f"{name}.py").write_text("import crowndesk_not_a_real_module  # noqa\n")
        monkeypatch.syspath_prepend(str(tmp_path))
        monkeypatch.setattr(registry_module, "TASK_MODULES", (name,))
        try:
            with pytest.raises(ModuleNotFoundError, match="crowndesk_not_a_real_module"):
                load_task_modules()
        finally:
            sys.modules.pop(name, None)
