"""Dialect-aware bulk upsert: `INSERT .. ON CONFLICT DO UPDATE` in batches.

Rows whose values already match are left alone (`DO UPDATE .. WHERE` some column differs),
so the counts tell inserted, updated and unchanged apart — the sync engine reports all three.

This is the sync's hot path, so it goes below SQLAlchemy's per-row parameter handling: on
PostgreSQL a batch is COPied into a temporary table and merged with one `INSERT .. SELECT`;
on SQLite the compiled statement runs as the driver's executemany on values converted by
SQLAlchemy's own bind processors (so stored values are exactly what the ORM writes).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, func, literal_column, or_, select, tuple_
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from crowndesk.db.base import Base
from crowndesk.db.tenancy import TenantViolation, current_tenant
from crowndesk.db.types import UTCDateTime, utcnow


@dataclass(slots=True)
class UpsertResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: UpsertResult) -> UpsertResult:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self


async def bulk_upsert(
    session: AsyncSession,
    target: type[Base] | Table,
    rows: Iterable[Mapping[str, Any]],
    *,
    conflict_columns: Sequence[str],
    update_columns: Sequence[str] | None = None,
    compare_columns: Sequence[str] | None = None,
    merge: Mapping[str, Merge] | None = None,
    batch_size: int = 1000,
) -> UpsertResult:
    """Insert new rows into a model's table and update changed ones, matching on
    `conflict_columns` (which need a unique constraint).

    Rows of a tenant-owned model are stamped with the session's tenant; a row naming another
    tenant is refused (`TenantViolation`). Column keys are the table's column names.
    """
    table: Table = target if isinstance(target, Table) else target.__table__  # type: ignore[assignment]
    tenant_id = current_tenant(session)
    tenant_owned = "tenant_id" in table.c
    if update_columns is None:
        skip = {*conflict_columns, "id", "tenant_id", "created_at"}
        update_columns = [c.name for c in table.c if c.name not in skip]
    if compare_columns is None:
        compare_columns = [c for c in update_columns if c != "updated_at"]
    plan = _Plan(update_columns, compare_columns, merge or {})

    # Python-side defaults (ids, timestamps) do not run for multi-row statements, so they
    # are applied here.
    defaults = [
        (column.name, column.default.arg)  # type: ignore[attr-defined]
        for column in table.c
        if column.default is not None and column.default.is_callable
    ]
    result = UpsertResult()
    batch: list[dict[str, Any]] = []
    for raw in rows:
        batch.append(_prepare(table, raw, tenant_owned, tenant_id, defaults))
        if len(batch) >= batch_size:
            result += await _upsert_batch(session, table, batch, conflict_columns, plan)
            batch = []
    if batch:
        result += await _upsert_batch(session, table, batch, conflict_columns, plan)
    return result


def _prepare(
    table: Table,
    raw: Mapping[str, Any],
    tenant_owned: bool,
    tenant_id: Any,
    defaults: list[tuple[str, Callable[[Any], Any]]],
) -> dict[str, Any]:
    row = dict(raw)
    if tenant_owned:
        if tenant_id is None:
            raise TenantViolation(f"no tenant bound to the session for {table.name}")
        if row.setdefault("tenant_id", tenant_id) != tenant_id:
            raise TenantViolation(f"a row for {table.name} names another tenant")
    for name, make in defaults:
        if name not in row:
            row[name] = make(None)
    return row


async def _upsert_batch(
    session: AsyncSession,
    table: Table,
    batch: list[dict[str, Any]],
    conflict_columns: Sequence[str],
    plan: _Plan,
) -> UpsertResult:
    # One row per key: the last one wins, as if the rows had been applied in order.
    batch = list({tuple(row[name] for name in conflict_columns): row for row in batch}.values())
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return await _upsert_postgresql(session, table, batch, conflict_columns, plan)
    if dialect == "sqlite":
        return await _upsert_sqlite(session, table, batch, conflict_columns, plan)
    raise ValueError(f"bulk upsert supports SQLite and PostgreSQL, not {dialect}")


def _on_conflict(
    insert: Any, table: Table, conflict_columns: Sequence[str], plan: _Plan, now: Any
) -> Any:
    """`ON CONFLICT (key) DO UPDATE SET .. WHERE some compared column differs`."""
    excluded = insert.excluded
    values: dict[str, Any] = {
        name: plan.merge[name](table.c[name], excluded[name])
        if name in plan.merge
        else excluded[name]
        for name in plan.update_columns
    }
    if "updated_at" in table.c:
        values["updated_at"] = now
    differs = [table.c[name].is_distinct_from(values[name]) for name in plan.compare_columns]
    return insert.on_conflict_do_update(
        index_elements=list(conflict_columns),
        set_=values,
        where=or_(*differs) if differs else None,
    )


def _columns(table: Table, batch: list[dict[str, Any]]) -> list[str]:
    names: set[str] = set()
    for row in batch:
        names.update(row)
    unknown = names.difference(table.c.keys())
    if unknown:
        raise ValueError(f"{table.name} has no column(s) {', '.join(sorted(unknown))}")
    return [c.name for c in table.c if c.name in names]


def _column_values(
    batch: list[dict[str, Any]], name: str, process: Callable[[Any], Any] | None
) -> list[Any]:
    """One column of the batch as the driver wants it (SQLAlchemy's own bind processing,
    applied column by column instead of row by row)."""
    values = [row.get(name) for row in batch]
    if process is None:
        return values
    # Values repeat a lot down a column (the clinic, the run's clock, a status): convert each
    # distinct value once.
    try:
        done = {value: process(value) for value in set(values) if value is not None}
    except TypeError:  # unhashable (a JSON payload)
        return [None if value is None else process(value) for value in values]
    done[None] = None
    return [done[value] for value in values]


async def _upsert_postgresql(
    session: AsyncSession,
    table: Table,
    batch: list[dict[str, Any]],
    conflict_columns: Sequence[str],
    plan: _Plan,
) -> UpsertResult:
    """COPY the batch into a temporary table, then one `INSERT .. SELECT .. ON CONFLICT`:
    about twice as fast as executemany, and the Python cost per row is a few µs."""
    columns = _columns(table, batch)
    connection = await session.connection()
    dialect = connection.dialect
    staged = (
        "_upsert_"
        + hashlib.blake2b(f"{table.name}:{','.join(columns)}".encode(), digest_size=6).hexdigest()
    )
    quote = dialect.identifier_preparer.quote
    column_list = ", ".join(quote(name) for name in columns)
    data = zip(
        *(
            _column_values(batch, name, table.c[name].type._cached_bind_processor(dialect))
            for name in columns
        ),
        strict=True,
    )
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    async with driver.cursor() as cursor:
        await cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staged} AS "  # noqa: S608 - our names
            f"SELECT {column_list} FROM {quote(table.name)} WITH NO DATA"
        )
        await cursor.execute(f"DELETE FROM {staged}")  # noqa: S608
        async with cursor.copy(f"COPY {staged} ({column_list}) FROM STDIN") as copy:
            for row in data:
                await copy.write_row(row)
    source = sql_table(staged, *(sql_column(name) for name in columns))
    insert = postgresql.insert(table).from_select(columns, select(*source.c))
    stmt = _on_conflict(insert, table, conflict_columns, plan, utcnow())
    # xmax is 0 on a freshly inserted row version: one round trip tells all three counts.
    stmt = stmt.returning(literal_column("(xmax = 0)").label("inserted"))
    flags = (await session.execute(stmt)).scalars().all()
    inserted = sum(1 for flag in flags if flag)
    return UpsertResult(inserted, len(flags) - inserted, len(batch) - len(flags))


_NOW = "_upsert_now"


async def _upsert_sqlite(
    session: AsyncSession,
    table: Table,
    batch: list[dict[str, Any]],
    conflict_columns: Sequence[str],
    plan: _Plan,
) -> UpsertResult:
    """The statement compiled once per batch and executed through the driver with values
    converted column by column: SQLAlchemy's per-row parameter handling costs more than
    SQLite's own work."""
    columns = _columns(table, batch)
    connection = await session.connection()
    dialect = connection.dialect
    insert = sqlite.insert(table).values(
        {name: bindparam(name, type_=table.c[name].type) for name in columns}
    )
    now = bindparam(_NOW, utcnow(), type_=UTCDateTime())
    stmt = _on_conflict(insert, table, conflict_columns, plan, now)
    compiled: Any = stmt.compile(dialect=dialect)
    by_column: dict[str, list[Any]] = {}
    for name in columns:
        by_column[name] = _column_values(
            batch, name, table.c[name].type._cached_bind_processor(dialect)
        )
    order: list[list[Any]] = []
    for name in compiled.positiontup:
        if name in by_column:
            order.append(by_column[name])
            continue
        bind = compiled.binds[name]  # a constant of the statement (the SET clause's now ...)
        process = bind.type._cached_bind_processor(dialect)
        value = bind.effective_value
        order.append([process(value) if process and value is not None else value] * len(batch))
    params = list(zip(*order, strict=True))
    # SQLite cannot tell an insert from an update: count the keys already there first.
    existing = await _count_existing(session, table, batch, conflict_columns)
    # An executemany reports the rows it changed in all; `DO UPDATE .. WHERE` leaves
    # unchanged rows out of that count.
    touched = (await connection.exec_driver_sql(compiled.string, params)).rowcount
    inserted = len(batch) - existing
    return UpsertResult(inserted, touched - inserted, existing - (touched - inserted))


Merge = Callable[[Any, Any], Any]


@dataclass(frozen=True, slots=True)
class _Plan:
    update_columns: Sequence[str]
    compare_columns: Sequence[str]
    merge: Mapping[str, Merge]


async def _count_existing(
    session: AsyncSession,
    table: Table,
    batch: list[dict[str, Any]],
    conflict_columns: Sequence[str],
) -> int:
    # Key columns that hold one value across the batch (tenant, clinic ...) become equalities,
    # so the lookup is a plain `IN` on what varies: far cheaper to compile and run.
    fixed = {
        name: batch[0][name]
        for name in conflict_columns
        if all(row[name] == batch[0][name] for row in batch)
    }
    varying = [name for name in conflict_columns if name not in fixed]
    base = select(func.count()).select_from(table)
    base = base.where(*(table.c[name] == value for name, value in fixed.items()))
    if not varying:
        return int(await session.scalar(base) or 0)
    keys = [table.c[name] for name in varying]
    wanted = sorted({tuple(row[name] for name in varying) for row in batch}, key=repr)
    existing = 0
    for chunk in _chunks(wanted, 400):
        condition = (
            keys[0].in_([key[0] for key in chunk]) if len(keys) == 1 else tuple_(*keys).in_(chunk)
        )
        existing += int(await session.scalar(base.where(condition)) or 0)
    return existing


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
