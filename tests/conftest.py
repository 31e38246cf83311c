"""Test databases: a real SQLite file by default, PostgreSQL when
CROWNDESK_TEST_DATABASE_URL points at a server. Migrations build the schema once per worker;
each test runs inside a transaction that is rolled back (the app's commits become savepoints).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from tests.factories import Org, register_org

from crowndesk.app import create_app
from crowndesk.config import Settings, normalize_database_url
from crowndesk.db.engine import SessionMaker, create_engine, create_sessionmaker
from crowndesk.db.migrate import upgrade
from crowndesk.jobs.registry import OffRunner


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


class DatabaseFactory:
    """Makes empty databases of the kind under test."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        server = os.environ.get("CROWNDESK_TEST_DATABASE_URL")
        self.server = normalize_database_url(server) if server else None
        self.created: list[str] = []

    @property
    def is_postgres(self) -> bool:
        return self.server is not None

    def new(self, label: str) -> str:
        name = f"crowndesk_test_{_worker()}_{label}"
        if self.server is None:
            path = self.tmp / f"{name}.db"
            path.unlink(missing_ok=True)
            return f"sqlite+aiosqlite:///{path}"
        admin = create_sync_engine(
            make_url(self.server).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self.created.append(name)
        return make_url(self.server).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if self.server is None or not self.created:
            return
        admin = create_sync_engine(
            make_url(self.server).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(tmp_path_factory.mktemp("db"))
    yield factory
    factory.drop_all()


@pytest.fixture(scope="session")
def database_url(databases: DatabaseFactory) -> str:
    url = databases.new("main")
    upgrade(url)
    return url


@pytest_asyncio.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    # Each test holds one transaction open (rolled back at the end) while others may read.
    engine = create_engine(database_url, sqlite_begin="BEGIN")
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as conn:
        transaction = await conn.begin()
        try:
            yield conn
        finally:
            await transaction.rollback()


@pytest.fixture
def sessionmaker(connection: AsyncConnection) -> SessionMaker:
    return create_sessionmaker(connection, join_transaction_mode="create_savepoint")


@pytest_asyncio.fixture
async def session(sessionmaker: SessionMaker) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        secret_key="test-secret-key-" + "x" * 40,
        allow_signup=True,
    )


@pytest.fixture
def app(settings: Settings, engine: AsyncEngine, sessionmaker: SessionMaker) -> Any:
    app = create_app(settings, engine=engine, sessionmaker=sessionmaker)
    # Jobs would share the test's one connection; tests that want them install a runner.
    app.state.jobs = OffRunner()
    return app


@pytest_asyncio.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.10", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest_asyncio.fixture
async def org(client: httpx.AsyncClient) -> Org:
    return await register_org(client)
