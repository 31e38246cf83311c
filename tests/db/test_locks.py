from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from crowndesk.db.engine import create_engine
from crowndesk.db.locks import LockNotAvailable, lock_key, named_lock


class TestNamedLock:
    async def test_second_holder_is_refused_until_release(self, engine: AsyncEngine) -> None:
        async with named_lock(engine, "sync:clinic-1:patients"):
            with pytest.raises(LockNotAvailable) as refused:
                async with named_lock(engine, "sync:clinic-1:patients"):
                    pass
            assert refused.value.status_code == 409
            async with named_lock(engine, "sync:clinic-1:appointments"):
                pass  # other names are independent
        async with named_lock(engine, "sync:clinic-1:patients"):
            pass  # released

    async def test_released_when_the_body_raises(self, engine: AsyncEngine) -> None:
        with pytest.raises(RuntimeError):
            async with named_lock(engine, "boom"):
                raise RuntimeError("work failed")
        async with named_lock(engine, "boom"):
            pass

    async def test_held_across_engines_on_postgresql_only(
        self, engine: AsyncEngine, database_url: str
    ) -> None:
        other = create_engine(database_url)
        try:
            async with named_lock(engine, "shared"):
                if engine.dialect.name == "postgresql":
                    # another process (here: another pool) is refused too
                    with pytest.raises(LockNotAvailable):
                        async with named_lock(other, "shared"):
                            pass
                else:
                    # SQLite deployments are one process: the lock is process-wide per database
                    with pytest.raises(LockNotAvailable):
                        async with named_lock(other, "shared"):
                            pass
        finally:
            await other.dispose()

    async def test_concurrent_triggers_one_wins(self, engine: AsyncEngine) -> None:
        async def attempt() -> bool:
            try:
                async with named_lock(engine, "race"):
                    await asyncio.sleep(0.05)
                    return True
            except LockNotAvailable:
                return False

        results = await asyncio.gather(*(attempt() for _ in range(5)))
        assert results.count(True) == 1

    def test_keys_are_stable_signed_64_bit(self) -> None:
        assert lock_key("a") == lock_key("a") != lock_key("b")
        assert -(2**63) <= lock_key("a") < 2**63
