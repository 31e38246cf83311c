"""Sync tests: a real database that commits (runs commit page by page) and a sandbox over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.pms.sync.support import SECRET, Practice, connect_practice, start_sandbox

from crowndesk.core.crypto import SecretBox
from crowndesk.db.engine import SessionMaker, create_engine, create_sessionmaker
from crowndesk.db.migrate import upgrade
from crowndesk.odsim import SandboxServer
from crowndesk.pms.sync.engine import SyncEnv


@pytest.fixture(scope="module")
def sync_database_url(databases: Any, request: pytest.FixtureRequest) -> str:
    url: str = databases.new("sync_" + request.module.__name__.rsplit(".", 1)[-1][:20])
    upgrade(url)
    return url


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def sync_engine(sync_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(sync_database_url)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
def sync_sessionmaker(sync_engine: AsyncEngine) -> SessionMaker:
    return create_sessionmaker(sync_engine)


@pytest.fixture
def sync_env(sync_engine: AsyncEngine, sync_sessionmaker: SessionMaker) -> SyncEnv:
    return SyncEnv(sync_engine, sync_sessionmaker, SecretBox(SECRET))


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    server = start_sandbox()
    try:
        yield server
    finally:
        server.stop()


@pytest_asyncio.fixture
async def practice(sync_env: SyncEnv, sandbox: SandboxServer) -> Practice:
    return await connect_practice(sync_env, sandbox)
