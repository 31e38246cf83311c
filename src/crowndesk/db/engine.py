"""Engines and sessions for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from crowndesk.core.context import Context
from crowndesk.db.tenancy import set_tenant

SessionMaker = async_sessionmaker[AsyncSession]

GIL_SWITCH_SECONDS = 0.0005
"""The GIL switch interval once a SQLite engine exists. aiosqlite runs each connection on a
thread of its own, which needs the GIL back after every statement; with CPython's default
(5 ms) it waits up to that long behind the event loop each time. Measured in a full sync of a
10,000-patient practice: 3.6 s of 33 s went to such waits around the short statements of each
page (BEGIN, reading the largest rowid); at 0.5 ms, 0.6 s."""


def configure_sqlite(engine: Engine, begin: str = "BEGIN IMMEDIATE") -> None:
    """Foreign keys on, WAL, and SQLAlchemy's recipe so BEGIN/SAVEPOINT work as documented.

    Transactions begin IMMEDIATE: a deferred one that reads and then writes fails at once
    ("database is locked") if another writer committed in between, which a sync run and a
    request writing at the same moment would meet. Writers queue up (busy_timeout) instead.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)


def create_engine(url: str, *, sqlite_begin: str = "BEGIN IMMEDIATE", **kwargs: Any) -> AsyncEngine:
    """`sqlite_begin="BEGIN"` suits tests that hold one long transaction on a connection while
    other connections read."""
    if url.startswith("sqlite"):
        # One file, many short transactions: no pool to hold stale connections across loops.
        engine = create_async_engine(url, poolclass=NullPool, **kwargs)
        configure_sqlite(engine.sync_engine, sqlite_begin)
        if sys.getswitchinterval() > GIL_SWITCH_SECONDS:
            sys.setswitchinterval(GIL_SWITCH_SECONDS)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    return create_async_engine(url, **kwargs)


def create_sessionmaker(bind: Any, **kwargs: Any) -> SessionMaker:
    return async_sessionmaker(bind=bind, expire_on_commit=False, **kwargs)


@asynccontextmanager
async def unit_of_work(
    sessionmaker: SessionMaker, ctx: Context | None = None
) -> AsyncIterator[AsyncSession]:
    """One transaction for a job or a command: commit on success, roll back on any error."""
    async with sessionmaker() as session:
        if ctx is not None:
            set_tenant(session, ctx.tenant_id)
            session.info["context"] = ctx
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
