"""Named locks: one holder at a time across processes (PostgreSQL) or in-process (SQLite).

`named_lock` never waits: it answers at once whether the lock was taken, so a second trigger
of the same work can say "already running".
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from crowndesk.core.errors import Conflict

_local_locks: dict[str, threading.Lock] = {}
_local_guard = threading.Lock()


class LockNotAvailable(Conflict):
    def __init__(self, name: str) -> None:
        super().__init__(f"{name} is already running.")
        self.name = name


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for PostgreSQL's advisory locks."""
    return int.from_bytes(
        hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True
    )


@asynccontextmanager
async def named_lock(engine: AsyncEngine, name: str) -> AsyncIterator[None]:
    """Hold the lock `name` for the block; raise `LockNotAvailable` if someone else holds it.

    On PostgreSQL this is a session-level advisory lock on a connection of its own, so the
    work inside may commit as often as it likes; it is released when the block ends or the
    connection dies. SQLite deployments run in one process, where a process-wide lock suffices.
    """
    if engine.dialect.name == "postgresql":
        key = lock_key(name)
        async with engine.connect() as conn:
            taken = await conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
            await conn.commit()
            if not taken:
                raise LockNotAvailable(name)
            try:
                yield
            finally:
                await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                await conn.commit()
        return
    with _local_guard:
        lock = _local_locks.setdefault(f"{engine.url}|{name}", threading.Lock())
    if not lock.acquire(blocking=False):
        raise LockNotAvailable(name)
    try:
        yield
    finally:
        lock.release()
