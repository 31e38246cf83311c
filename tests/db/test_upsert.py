from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from crowndesk.auth.models import Tenant
from crowndesk.db.engine import create_engine, create_sessionmaker
from crowndesk.db.tenancy import TenantViolation, set_tenant
from crowndesk.db.types import UTCDateTime, utcnow
from crowndesk.db.upsert import bulk_upsert, commit_upserts, direct_commits, prepare_upsert

# A stand-in for a mirrored table, created inside the test's transaction.
metadata = MetaData()
procedures = Table(
    "test_upsert_procedures",
    metadata,
    Column("id", Uuid, primary_key=True, default=uuid.uuid4),
    Column("tenant_id", Uuid, nullable=False),
    Column("pms_id", String(20), nullable=False),
    Column("code", String(10), nullable=False),
    Column("fee", Numeric(12, 2), nullable=False),
    Column("note", String(100)),
    Column("created_at", UTCDateTime, default=utcnow, nullable=False),
    Column("updated_at", UTCDateTime, default=utcnow, nullable=False),
    UniqueConstraint("tenant_id", "pms_id"),
)
KEY = ["tenant_id", "pms_id"]
# Where a run keeps its progress: what `commit_upserts(also=...)` brings up to date.
runs = Table(
    "test_upsert_runs",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("pages", Integer, nullable=False),
    Column("seen_at", UTCDateTime),
)


@pytest_asyncio.fixture
async def tenant_session(
    connection: AsyncConnection, session: AsyncSession
) -> AsyncIterator[AsyncSession]:
    await connection.run_sync(metadata.create_all)
    tenant = Tenant(name="Upsert Dental")
    session.add(tenant)
    await session.flush()
    set_tenant(session, tenant.id)
    yield session


def _rows(n: int, fee: str = "100.00", start: int = 0) -> list[dict[str, object]]:
    return [
        {"pms_id": str(i), "code": "D0120", "fee": Decimal(fee), "note": None}
        for i in range(start, start + n)
    ]


class TestBulkUpsert:
    async def test_inserts_then_updates_then_leaves_alone(
        self, tenant_session: AsyncSession
    ) -> None:
        first = await bulk_upsert(
            tenant_session, procedures, _rows(25), conflict_columns=KEY, batch_size=10
        )
        assert (first.inserted, first.updated, first.unchanged) == (25, 0, 0)
        changed = _rows(10, fee="120.50") + _rows(15, start=10) + _rows(5, start=25)
        second = await bulk_upsert(
            tenant_session, procedures, changed, conflict_columns=KEY, batch_size=7
        )
        assert (second.inserted, second.updated, second.unchanged) == (5, 10, 15)
        fees = await tenant_session.execute(select(procedures.c.pms_id, procedures.c.fee))
        by_id = {pms_id: fee for pms_id, fee in fees}
        assert by_id["3"] == Decimal("120.50")
        assert by_id["12"] == Decimal("100.00")
        assert len(by_id) == 30

    async def test_a_null_to_value_change_counts_as_update(
        self, tenant_session: AsyncSession
    ) -> None:
        await bulk_upsert(tenant_session, procedures, _rows(1), conflict_columns=KEY)
        row = _rows(1)[0] | {"note": "now noted"}
        result = await bulk_upsert(tenant_session, procedures, [row], conflict_columns=KEY)
        assert result.updated == 1

    async def test_the_last_duplicate_in_a_batch_wins(self, tenant_session: AsyncSession) -> None:
        rows = _rows(1, fee="1.00") + _rows(1, fee="2.00")
        result = await bulk_upsert(tenant_session, procedures, rows, conflict_columns=KEY)
        assert result.inserted == 1
        assert await tenant_session.scalar(select(procedures.c.fee)) == Decimal("2.00")

    async def test_keeps_ids_and_created_at_on_update(self, tenant_session: AsyncSession) -> None:
        await bulk_upsert(tenant_session, procedures, _rows(1), conflict_columns=KEY)
        before = (
            await tenant_session.execute(select(procedures.c.id, procedures.c.created_at))
        ).one()
        await bulk_upsert(tenant_session, procedures, _rows(1, fee="5.00"), conflict_columns=KEY)
        after = (
            await tenant_session.execute(select(procedures.c.id, procedures.c.created_at))
        ).one()
        assert before == after

    async def test_refuses_rows_of_another_tenant(self, tenant_session: AsyncSession) -> None:
        rows = [_rows(1)[0] | {"tenant_id": uuid.uuid4()}]
        with pytest.raises(TenantViolation):
            await bulk_upsert(tenant_session, procedures, rows, conflict_columns=KEY)

    async def test_refuses_without_a_tenant(
        self, connection: AsyncConnection, sessionmaker
    ) -> None:  # type: ignore[no-untyped-def]
        await connection.run_sync(metadata.create_all)
        async with sessionmaker() as bare:
            with pytest.raises(TenantViolation):
                await bulk_upsert(bare, procedures, _rows(1), conflict_columns=KEY)
            assert await bare.scalar(select(func.count()).select_from(procedures)) == 0

    async def test_a_batch_larger_than_one_statement_counts_and_stores_every_row(
        self, tenant_session: AsyncSession
    ) -> None:
        # 8 columns x 6,000 rows is more values than one SQLite statement may bind.
        first = await bulk_upsert(
            tenant_session, procedures, _rows(6000), conflict_columns=KEY, batch_size=6000
        )
        assert (first.inserted, first.updated, first.unchanged) == (6000, 0, 0)
        rows = _rows(3000) + _rows(2000, fee="9.99", start=3000) + _rows(1500, start=6000)
        second = await bulk_upsert(
            tenant_session, procedures, rows, conflict_columns=KEY, batch_size=6500
        )
        assert (second.inserted, second.updated, second.unchanged) == (1500, 2000, 3000)
        stored = await tenant_session.execute(
            select(procedures.c.fee, func.count()).group_by(procedures.c.fee)
        )
        assert dict(stored.all()) == {Decimal("100.00"): 5500, Decimal("9.99"): 2000}

    async def test_values_come_back_as_written(self, tenant_session: AsyncSession) -> None:
        # The fast conversions (ids as hex, date-times as ISO text) store what the ORM would.
        moment = utcnow().replace(microsecond=0)
        row = _rows(1)[0] | {"note": "ünïcode ✓", "created_at": moment}
        await bulk_upsert(tenant_session, procedures, [row], conflict_columns=KEY)
        stored = (await tenant_session.execute(select(procedures))).one()
        assert isinstance(stored.id, uuid.UUID)
        assert stored.tenant_id == tenant_session.info["tenant_id"]
        assert (stored.note, stored.fee, stored.created_at) == (row["note"], row["fee"], moment)
        assert stored.updated_at >= moment

    async def test_new_rows_get_distinct_random_ids_and_a_given_id_is_kept(
        self, tenant_session: AsyncSession
    ) -> None:
        given = uuid.uuid4()
        rows = [_rows(1)[0] | {"id": given}, *_rows(499, start=1)]
        await bulk_upsert(tenant_session, procedures, rows, conflict_columns=KEY)
        ids = dict(
            (await tenant_session.execute(select(procedures.c.pms_id, procedures.c.id))).all()
        )
        assert ids["0"] == given
        fresh = [ids[str(i)] for i in range(1, 500)]
        assert len(set(fresh)) == 499
        assert {(u.version, u.variant) for u in fresh} == {(4, uuid.RFC_4122)}


class TestCommitUpserts:
    """`commit_upserts` on a connection of its own. Given a session: SQLite writes the whole
    transaction in one call on the driver's thread; PostgreSQL goes through the session. Given
    a connection: a transaction of its own on it."""

    @pytest_asyncio.fixture
    async def own_connection(self, databases: Any) -> AsyncIterator[AsyncConnection]:
        engine = create_engine(databases.new("commit_upserts"))
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        async with engine.connect() as conn:
            yield conn
        await engine.dispose()

    async def test_commits_every_batch_and_counts_them(
        self, own_connection: AsyncConnection
    ) -> None:
        tenant_id = uuid.uuid4()
        async with create_sessionmaker(own_connection)() as session:
            set_tenant(session, tenant_id)
            await bulk_upsert(session, procedures, _rows(2), conflict_columns=KEY)
            await session.commit()
            batches = prepare_upsert(
                session, procedures, _rows(3, fee="7.00"), conflict_columns=KEY, batch_size=2
            )
            results = await commit_upserts(session, batches)
            assert [(r.inserted, r.updated, r.unchanged) for r in results] == [(0, 2, 0), (1, 0, 0)]
            assert not session.in_transaction()
            assert not own_connection.in_transaction()
        # Committed: a transaction of another connection sees it.
        async with own_connection.engine.connect() as other:
            fees = (await other.execute(select(procedures.c.fee))).scalars().all()
        assert fees == [Decimal("7.00")] * 3

    async def test_a_batch_that_fails_takes_the_whole_transaction_with_it(
        self, own_connection: AsyncConnection
    ) -> None:
        async with create_sessionmaker(own_connection)() as session:
            set_tenant(session, uuid.uuid4())
            good, bad = prepare_upsert(
                session, procedures, _rows(4), conflict_columns=KEY, batch_size=2
            )
            values = [list(column) for column in bad.values]
            values[bad.columns.index("code")][0] = None  # NOT NULL
            with pytest.raises(IntegrityError):
                await commit_upserts(session, [good, dataclasses.replace(bad, values=values)])
            count = await session.scalar(select(func.count()).select_from(procedures))
            await session.commit()
        assert count == 0

    @pytest.fixture(params=[False, True], ids=["free", "in_transaction"])
    def in_transaction(self, request: pytest.FixtureRequest) -> bool:
        """Whether the session already holds a transaction: then even SQLite's batches go
        through the session (on PostgreSQL they always do)."""
        return bool(request.param)

    async def test_also_is_committed_with_the_batches(
        self, own_connection: AsyncConnection, in_transaction: bool
    ) -> None:
        moment = utcnow().replace(microsecond=0)
        async with _session_with_runs(own_connection, in_transaction) as (session, ours, other):
            direct = own_connection.dialect.name == "sqlite" and not in_transaction
            assert await direct_commits(session) is direct
            batches = prepare_upsert(
                session, procedures, _rows(3), conflict_columns=KEY, batch_size=2
            )
            # The run's id in the WHERE clause: stored as the ORM stores it, or nothing matches.
            also = (
                update(runs).where(runs.c.id == ours).values(pages=runs.c.pages + 3, seen_at=moment)
            )
            results = await commit_upserts(session, batches, also=also)
            assert [(r.inserted, r.updated, r.unchanged) for r in results] == [(2, 0, 0), (1, 0, 0)]
            assert not session.in_transaction()
            assert not own_connection.in_transaction()
        fees, progress = await _committed(own_connection)
        assert fees == [Decimal("100.00")] * 3
        assert progress == {ours: (3, moment), other: (0, None)}

    async def test_a_failing_batch_takes_also_with_it(
        self, own_connection: AsyncConnection, in_transaction: bool
    ) -> None:
        async with _session_with_runs(own_connection, in_transaction) as (session, ours, _):
            good, bad = prepare_upsert(
                session, procedures, _rows(4), conflict_columns=KEY, batch_size=2
            )
            values = [list(column) for column in bad.values]
            values[bad.columns.index("code")][0] = None  # NOT NULL
            also = update(runs).where(runs.c.id == ours).values(pages=1)
            with pytest.raises(IntegrityError):
                await commit_upserts(
                    session, [good, dataclasses.replace(bad, values=values)], also=also
                )
            assert not session.in_transaction()
            assert not own_connection.in_transaction()
            fees, progress = await _committed(own_connection)
            assert fees == []
            assert progress[ours] == (0, None)
            # Nothing left half done: the next call goes through.
            if in_transaction:
                await session.execute(select(1))
            also = update(runs).where(runs.c.id == ours).values(pages=2)
            (result,) = await commit_upserts(session, [good], also=also)
            assert (result.inserted, result.updated, result.unchanged) == (2, 0, 0)
        fees, progress = await _committed(own_connection)
        assert fees == [Decimal("100.00")] * 2
        assert progress[ours] == (2, None)

    async def test_a_failing_also_takes_the_batches_with_it(
        self, own_connection: AsyncConnection, in_transaction: bool
    ) -> None:
        async with _session_with_runs(own_connection, in_transaction) as (session, ours, _):
            batches = prepare_upsert(
                session, procedures, _rows(3), conflict_columns=KEY, batch_size=2
            )
            also = update(runs).where(runs.c.id == ours).values(pages=None)  # NOT NULL
            with pytest.raises(IntegrityError):
                await commit_upserts(session, batches, also=also)
            assert not session.in_transaction()
            assert not own_connection.in_transaction()
        fees, progress = await _committed(own_connection)
        assert fees == []
        assert progress[ours] == (0, None)

    async def test_a_refused_row_raises_sqlalchemys_error(
        self,
        own_connection: AsyncConnection,
        in_transaction: bool,
    ) -> None:
        # On both paths and both databases, so that callers catch one kind.
        async with create_sessionmaker(own_connection)() as session:
            set_tenant(session, uuid.uuid4())
            if in_transaction:
                await session.execute(select(1))
            (batch,) = prepare_upsert(session, procedures, _rows(2), conflict_columns=KEY)
            values = [list(column) for column in batch.values]
            values[batch.columns.index("code")][0] = None  # NOT NULL
            with pytest.raises(IntegrityError):
                await commit_upserts(session, [dataclasses.replace(batch, values=values)])

    async def test_calls_started_together_on_the_direct_path_land_in_order(
        self, own_connection: AsyncConnection
    ) -> None:
        if own_connection.dialect.name != "sqlite":
            pytest.skip("only SQLite commits straight through the driver")
        async with create_sessionmaker(own_connection)() as session:
            set_tenant(session, uuid.uuid4())
            ours, _ = await _two_runs(session)
            assert await direct_commits(session)
            first = prepare_upsert(session, procedures, _rows(3, fee="1.00"), conflict_columns=KEY)
            # The second updates a row the first inserts: in the other order it would insert it,
            # and the first would then set it back.
            second = prepare_upsert(session, procedures, _rows(1, fee="2.00"), conflict_columns=KEY)
            results = await asyncio.gather(
                commit_upserts(
                    session, first, also=update(runs).where(runs.c.id == ours).values(pages=1)
                ),
                commit_upserts(
                    session, second, also=update(runs).where(runs.c.id == ours).values(pages=2)
                ),
            )
            assert [[(r.inserted, r.updated, r.unchanged) for r in rs] for rs in results] == [
                [(3, 0, 0)],
                [(0, 1, 0)],
            ]
        fees, progress = await _committed(own_connection)
        assert fees == [Decimal("1.00"), Decimal("1.00"), Decimal("2.00")]
        assert progress[ours] == (2, None)

    async def test_connections_of_their_own_write_at_once(
        self, own_connection: AsyncConnection
    ) -> None:
        # As the sync writes PostgreSQL pages: each call a transaction of its own, on its own
        # connection, both under way together (different rows, different progress rows).
        engine = own_connection.engine
        async with create_sessionmaker(own_connection)() as session:
            set_tenant(session, uuid.uuid4())
            ours, other = await _two_runs(session)
            first = prepare_upsert(session, procedures, _rows(3, fee="1.00"), conflict_columns=KEY)
            second = prepare_upsert(
                session, procedures, _rows(2, fee="2.00", start=3), conflict_columns=KEY
            )
        async with engine.connect() as one, engine.connect() as two:
            results = await asyncio.gather(
                commit_upserts(
                    one, first, also=update(runs).where(runs.c.id == ours).values(pages=1)
                ),
                commit_upserts(
                    two, second, also=update(runs).where(runs.c.id == other).values(pages=2)
                ),
            )
            assert not one.in_transaction()
            assert not two.in_transaction()
        assert [[(r.inserted, r.updated, r.unchanged) for r in rs] for rs in results] == [
            [(3, 0, 0)],
            [(2, 0, 0)],
        ]
        fees, progress = await _committed(own_connection)
        assert fees == [Decimal("1.00")] * 3 + [Decimal("2.00")] * 2
        assert progress == {ours: (1, None), other: (2, None)}


class TestDirectCommits:
    async def test_only_a_sqlite_connection_holding_no_transaction_commits_directly(
        self, databases: Any
    ) -> None:
        engine = create_engine(databases.new("direct_commits"))
        sqlite = engine.dialect.name == "sqlite"
        try:
            async with engine.connect() as conn:
                async with create_sessionmaker(conn)() as session:
                    assert await direct_commits(session) is sqlite
                    await session.execute(select(1))
                    assert await direct_commits(session) is False
                    await session.commit()
                    assert await direct_commits(session) is sqlite
                await conn.begin()
                async with create_sessionmaker(conn)() as session:
                    assert await direct_commits(session) is False  # the connection's transaction
                await conn.rollback()
            async with create_sessionmaker(engine)() as session:
                assert await direct_commits(session) is False  # bound to the engine
        finally:
            await engine.dispose()

    async def test_a_session_inside_the_tests_transaction_does_not(
        self, tenant_session: AsyncSession
    ) -> None:
        assert await direct_commits(tenant_session) is False


@asynccontextmanager
async def _session_with_runs(
    conn: AsyncConnection, in_transaction: bool
) -> AsyncIterator[tuple[AsyncSession, uuid.UUID, uuid.UUID]]:
    """A tenant's session on `conn` with two runs' rows committed, holding a transaction
    again if asked to."""
    async with create_sessionmaker(conn)() as session:
        set_tenant(session, uuid.uuid4())
        ours, other = await _two_runs(session)
        if in_transaction:
            await session.execute(select(1))
        yield session, ours, other


async def _two_runs(session: AsyncSession) -> tuple[uuid.UUID, uuid.UUID]:
    """Two runs' progress rows, committed: the tests update the first."""
    ours, other = uuid.uuid4(), uuid.uuid4()
    await session.execute(insert(runs), [{"id": ours, "pages": 0}, {"id": other, "pages": 0}])
    await session.commit()
    return ours, other


async def _committed(
    conn: AsyncConnection,
) -> tuple[list[Decimal], dict[uuid.UUID, tuple[int, datetime | None]]]:
    """What another connection sees: the procedures' fees and the runs' progress."""
    async with conn.engine.connect() as other:
        fees = sorted((await other.execute(select(procedures.c.fee))).scalars())
        progress = {row.id: (row.pages, row.seen_at) for row in await other.execute(select(runs))}
    return fees, progress
