"""Dialect-aware bulk upsert: `INSERT .. ON CONFLICT DO UPDATE` in batches.

Rows whose values already match are left alone (`DO UPDATE .. WHERE` some column differs),
so the counts tell inserted, updated and unchanged apart — the sync engine reports all three.

This is the sync's hot path, so a batch is handled column by column and goes below
SQLAlchemy's per-row parameter handling. Values are converted by SQLAlchemy's own bind
processors (each distinct value of a column once, or the plain method where the conversion is
one), so stored values are exactly what the ORM writes. Then:

- PostgreSQL: the batch is COPied into a temporary table and merged with one
  `INSERT .. SELECT .. ON CONFLICT`; `xmax` tells inserts from updates.
- SQLite: one multi-row `INSERT .. VALUES (..), (..) .. ON CONFLICT` per batch (as many rows
  as SQLite's limit of bound values allows); the table's largest rowid before and after tells
  how many rows were inserted. The statement runs whole inside SQLite, which lets go of
  Python's GIL while it works, so the sync maps its next page meanwhile. (`executemany` is a
  little faster alone, but it takes the GIL back for every row and so stalls behind any other
  Python work in the process — by two orders of magnitude.)

Statements are built and compiled once per table, column set and merge plan.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import chain
from operator import attrgetter, itemgetter, methodcaller
from typing import Any

from sqlalchemy import (
    Table,
    bindparam,
    literal_column,
    or_,
    select,
)
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.dml import UpdateBase

from crowndesk.db.base import Base
from crowndesk.db.tenancy import TenantViolation, current_tenant
from crowndesk.db.types import UTCDateTime, utcnow

Merge = Callable[[Any, Any], Any]
"""How an updated column is computed from the stored value and the incoming one (both SQL
expressions). Pass module-level functions: statements are cached by them."""


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


@dataclass(frozen=True, slots=True)
class _Plan:
    conflict_columns: tuple[str, ...]
    update_columns: tuple[str, ...]
    compare_columns: tuple[str, ...]
    merge: tuple[tuple[str, Merge], ...]


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
    result = UpsertResult()
    for batch in prepare_upsert(
        session,
        target,
        rows,
        conflict_columns=conflict_columns,
        update_columns=update_columns,
        compare_columns=compare_columns,
        merge=merge,
        batch_size=batch_size,
    ):
        result += await batch.write(session)
    return result


@dataclass(frozen=True, slots=True)
class PreparedUpsert:
    """One batch converted for the driver (`prepare_upsert`), ready to `write`."""

    table: Table
    plan: _Plan
    dialect: Dialect
    columns: tuple[str, ...]
    values: list[list[Any]]

    def check_dialect(self, connection: AsyncConnection) -> None:
        if connection.dialect is not self.dialect:
            raise ValueError("prepared for another database")

    async def write(self, session: AsyncSession) -> UpsertResult:
        return await self.write_on(await session.connection())

    async def write_on(self, connection: AsyncConnection) -> UpsertResult:
        self.check_dialect(connection)
        if self.dialect.name == "postgresql":
            return await _upsert_postgresql(connection, self)
        return await _upsert_sqlite(connection, self)


async def commit_upserts(
    target: AsyncSession | AsyncConnection,
    batches: Sequence[PreparedUpsert],
    *,
    also: UpdateBase | None = None,
) -> list[UpsertResult]:
    """Write prepared batches and commit them, all or nothing. `also`, a Core insert, update
    or delete without Python-side defaults (a run's progress), is executed in the same
    transaction.

    - A session: with whatever else it holds, and it commits. But when `direct_commits` says
      so (SQLite, the session holding no transaction), the whole transaction (`BEGIN
      IMMEDIATE`, the batches, `COMMIT`) is one call on the driver's thread rather than five
      or more hand-overs through the event loop, each waiting for the GIL while the caller
      maps its next page; such calls may be queued behind each other.
    - A connection holding no transaction (PostgreSQL: one of a caller's own, so that two
      batches can be written at once on two of them): a transaction of its own.
    """
    connection = (
        target if isinstance(target, AsyncConnection) else await _free_sqlite_connection(target)
    )
    if connection is None:
        assert isinstance(target, AsyncSession)
        try:
            results = [await batch.write(target) for batch in batches]
            if also is not None:
                await target.execute(also)
            await target.commit()
        except BaseException:
            await target.rollback()
            raise
        return results
    for batch in batches:
        batch.check_dialect(connection)
    if connection.dialect.name != "sqlite":
        async with connection.begin():
            results = [await batch.write_on(connection) for batch in batches]
            if also is not None:
                await connection.execute(also)
        return results
    jobs = [_sqlite_job(batch) for batch in batches]
    extra = None if also is None else _sqlite_sql(also, connection.dialect)
    return await _on_driver_thread(connection, _commit_sqlite, jobs, extra)  # type: ignore[no-any-return]


async def direct_commits(session: AsyncSession) -> bool:
    """Whether `commit_upserts` goes straight to the driver: then a caller may start the next
    call before the last one returned (they run in order), as long as it does nothing else
    with the session meanwhile."""
    return await _free_sqlite_connection(session) is not None


async def _free_sqlite_connection(session: AsyncSession) -> AsyncConnection | None:
    """The SQLite connection the session is bound to, if neither holds a transaction."""
    bind = session.bind
    if (
        not isinstance(bind, AsyncConnection)
        or bind.dialect.name != "sqlite"
        or session.in_transaction()
        or bind.in_transaction()
    ):
        return None
    return bind


def prepare_upsert(
    session: AsyncSession,
    target: type[Base] | Table,
    rows: Iterable[Mapping[str, Any]],
    *,
    conflict_columns: Sequence[str],
    update_columns: Sequence[str] | None = None,
    compare_columns: Sequence[str] | None = None,
    merge: Mapping[str, Merge] | None = None,
    batch_size: int = 1000,
) -> list[PreparedUpsert]:
    """`bulk_upsert`'s CPU work, without the database: the sync does it for the next page
    while the database writes the current one."""
    table: Table = target if isinstance(target, Table) else target.__table__  # type: ignore[assignment]
    tenant_id = current_tenant(session)
    if "tenant_id" in table.c and tenant_id is None:
        raise TenantViolation(f"no tenant bound to the session for {table.name}")
    dialect = session.get_bind().dialect
    if dialect.name not in ("postgresql", "sqlite"):
        raise ValueError(f"bulk upsert supports SQLite and PostgreSQL, not {dialect.name}")
    if update_columns is None:
        skip = {*conflict_columns, "id", "tenant_id", "created_at"}
        update_columns = [c.name for c in table.c if c.name not in skip]
    if compare_columns is None:
        compare_columns = [c for c in update_columns if c != "updated_at"]
    plan = _Plan(
        tuple(conflict_columns),
        tuple(update_columns),
        tuple(compare_columns),
        tuple(sorted((merge or {}).items())),
    )
    batches: list[PreparedUpsert] = []
    pending = list(rows)
    for start in range(0, len(pending), batch_size):
        columns, values = _columnar(
            table, pending[start : start + batch_size], plan.conflict_columns, tenant_id, dialect
        )
        batches.append(PreparedUpsert(table, plan, dialect, columns, values))
    return batches


def _columnar(
    table: Table,
    rows: list[Mapping[str, Any]],
    conflict_columns: Sequence[str],
    tenant_id: Any,
    dialect: Dialect,
) -> tuple[tuple[str, ...], list[list[Any]]]:
    """The batch as the driver wants it: its column names (in table order) and, per column,
    the converted values. One row per key: the last one wins, as if applied in order."""
    tenant_owned = "tenant_id" in table.c
    names: set[str] = set()
    for row in rows:
        names.update(row)
    unknown = names.difference(table.c.keys())
    if unknown:
        raise ValueError(f"{table.name} has no column(s) {', '.join(sorted(unknown))}")
    if tenant_owned and "tenant_id" in names:
        if any(row.get("tenant_id", tenant_id) != tenant_id for row in rows):
            raise TenantViolation(f"a row for {table.name} names another tenant")
        names.discard("tenant_id")  # stamped below, like on rows that leave it out
    given = [column.name for column in table.c if column.name in names]
    by_name = dict(zip(given, _transpose(rows, given), strict=True))
    key = [by_name[name] for name in conflict_columns if name in by_name]
    if key:
        last = {k: i for i, k in enumerate(zip(*key, strict=True))}
        if len(last) < len(rows):
            keep = sorted(last.values())
            rows = [rows[i] for i in keep]
            by_name = {name: [values[i] for i in keep] for name, values in by_name.items()}
    count = len(rows)
    columns: list[str] = []
    values: list[list[Any]] = []
    for column, convert in _converters(table, dialect):
        name = column.name
        default = column.default
        if name == "tenant_id" and tenant_owned:
            raw = [tenant_id] * count
        elif default is not None and (name not in names or None in by_name[name]):
            # Python-side defaults do not run for these statements. The key gets one per row;
            # other defaults (timestamps) one per batch, as a database default would.
            make: Callable[[Any], Any] = (
                default.arg if default.is_callable else lambda _, v=default.arg: v  # type: ignore[attr-defined,misc]
            )
            given_values = by_name.get(name) or [None] * count
            if column.primary_key and getattr(make, "__wrapped__", None) is uuid.uuid4:
                # Random ids straight in the driver's form: uuid4() and then its hex cost
                # more than the rest of a row's conversion.
                fresh = iter(_random_hex_ids(given_values.count(None)))
                values.append([next(fresh) if v is None else convert([v])[0] for v in given_values])
                columns.append(name)
                continue
            if column.primary_key:
                raw = [make(None) if v is None else v for v in given_values]
            else:
                value = make(None)
                raw = [value if v is None else v for v in given_values]
        elif name in names:
            raw = by_name[name]
        else:
            continue
        columns.append(name)
        first = raw[0] if raw else None
        if all(value is first for value in raw):  # the clinic, the sync's clock ...
            values.append(convert([first]) * count)
        else:
            values.append(convert(raw))
    return tuple(columns), values


_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)  # version 4, RFC 4122 variant


def _random_hex_ids(count: int) -> list[str]:
    """`count` random (version 4) UUIDs as 32 hex digits, the form both databases take
    them in (SQLite stores it; PostgreSQL's COPY reads it)."""
    data = os.urandom(16 * count)
    from_bytes = int.from_bytes
    return [
        f"{from_bytes(data[i : i + 16]) & _UUID4_CLEAR | _UUID4_SET:032x}"
        for i in range(0, 16 * count, 16)
    ]


def _transpose(rows: list[Mapping[str, Any]], names: list[str]) -> list[list[Any]]:
    """Per name, its values down the rows (None where a row leaves it out)."""
    if not names:
        return []
    if len(names) > 1:
        try:
            return [list(values) for values in zip(*map(itemgetter(*names), rows), strict=True)]
        except KeyError:  # some rows leave some columns out
            pass
    return [[row.get(name) for row in rows] for name in names]


Converter = Callable[[list[Any]], list[Any]]


@lru_cache(maxsize=256)
def _converters(table: Table, dialect: Dialect) -> tuple[tuple[Any, Converter], ...]:
    """Per column, SQLAlchemy's bind processing applied to a whole column at once."""
    return tuple(
        (column, _converter(column.type._cached_bind_processor(dialect))) for column in table.c
    )


def _converter(process: Callable[[Any], Any] | None) -> Converter:
    if process is None:
        return lambda values: values
    # Where SQLAlchemy's conversion is a plain method call (ids as hex on SQLite, date-times as
    # ISO text), the method is called directly: several times faster down a whole column.
    for sample, method in _PLAIN_METHODS:
        try:
            plain = process(sample) == method(sample)
        except Exception:  # noqa: BLE001 - not this kind of column
            plain = False
        if plain:
            return lambda values: [None if v is None else method(v) for v in values]

    def convert(values: list[Any]) -> list[Any]:
        # Values repeat a lot down a column (the clinic, a parent, a status): each distinct
        # value is converted once.
        try:
            done = {value: process(value) for value in set(values) if value is not None}
        except TypeError:  # unhashable (a JSON payload)
            return [None if value is None else process(value) for value in values]
        done[None] = None
        return [done[value] for value in values]

    return convert


_PLAIN_METHODS: tuple[tuple[Any, Callable[[Any], Any]], ...] = (
    (uuid.UUID("12345678-9abc-4def-8123-456789abcdef"), attrgetter("hex")),
    (
        datetime(2024, 5, 6, 7, 8, 9, 123456),  # noqa: DTZ001 - naive, as SQLite stores them
        methodcaller("isoformat", " ", "microseconds"),
    ),
)


def _on_conflict(insert: Any, table: Table, plan: _Plan, now: Any) -> Any:
    """`ON CONFLICT (key) DO UPDATE SET .. WHERE some compared column differs`."""
    excluded = insert.excluded
    merge = dict(plan.merge)
    values: dict[str, Any] = {
        name: merge[name](table.c[name], excluded[name]) if name in merge else excluded[name]
        for name in plan.update_columns
    }
    if "updated_at" in table.c:
        values["updated_at"] = now
    differs = [table.c[name].is_distinct_from(values[name]) for name in plan.compare_columns]
    return insert.on_conflict_do_update(
        index_elements=list(plan.conflict_columns),
        set_=values,
        where=or_(*differs) if differs else None,
    )


_NOW = "_upsert_now"


# ---------------------------------------------------------------------------- PostgreSQL
@dataclass(frozen=True, slots=True)
class _PostgresStatements:
    prepare: str  # the temporary table, emptied
    copy: str
    merge: Any  # INSERT .. SELECT .. ON CONFLICT .. RETURNING (xmax = 0)


@lru_cache(maxsize=256)
def _postgres_statements(
    table: Table, columns: tuple[str, ...], plan: _Plan, dialect: Dialect
) -> _PostgresStatements:
    staged = (
        "_upsert_"
        + hashlib.blake2b(f"{table.name}:{','.join(columns)}".encode(), digest_size=6).hexdigest()
    )
    quote = dialect.identifier_preparer.quote
    column_list = ", ".join(quote(name) for name in columns)
    source = sql_table(staged, *(sql_column(name) for name in columns))
    insert = postgresql.insert(table).from_select(list(columns), select(*source.c))
    now = bindparam(_NOW, type_=UTCDateTime())
    # xmax is 0 on a freshly inserted row version: one round trip tells all three counts.
    merge = _on_conflict(insert, table, plan, now).returning(
        literal_column("(xmax = 0)").label("inserted")
    )
    return _PostgresStatements(
        prepare=(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staged} AS "  # noqa: S608 - our names
            f"SELECT {column_list} FROM {quote(table.name)} WITH NO DATA; "
            f"DELETE FROM {staged}"
        ),
        copy=f"COPY {staged} ({column_list}) FROM STDIN",
        merge=merge,
    )


async def _upsert_postgresql(connection: AsyncConnection, batch: PreparedUpsert) -> UpsertResult:
    """COPY the batch into a temporary table, then one `INSERT .. SELECT .. ON CONFLICT`:
    about twice as fast as executemany, and the Python cost per row is a few µs."""
    values = batch.values
    statements = _postgres_statements(batch.table, batch.columns, batch.plan, batch.dialect)
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    async with driver.cursor() as cursor:
        await cursor.execute(statements.prepare)
        async with cursor.copy(statements.copy) as copy:
            for row in zip(*values, strict=True):
                await copy.write_row(row)
    flags = (await connection.execute(statements.merge, {_NOW: utcnow()})).scalars().all()
    inserted = sum(1 for flag in flags if flag)
    count = len(values[0])
    return UpsertResult(inserted, len(flags) - inserted, count - len(flags))


# ---------------------------------------------------------------------------- SQLite
# Parameters one statement may bind: SQLite's default limit since 3.32 (999 before).
_SQLITE_VARIABLES = 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999


@dataclass(frozen=True, slots=True)
class _SQLiteStatements:
    head: str  # INSERT INTO t (columns) VALUES
    row: str  # (?, ?, ...)
    tail: str  # ON CONFLICT ..
    now_params: int  # how many times the tail binds the clock
    now: Callable[[Any], Any] | None  # bind processing of the clock
    rows_per_statement: int
    last_rowid: str


@lru_cache(maxsize=256)
def _sqlite_statements(
    table: Table, columns: tuple[str, ...], plan: _Plan, dialect: Dialect
) -> _SQLiteStatements:
    if table.dialect_options["sqlite"].get("with_rowid") is False:
        raise ValueError(f"bulk upsert counts inserts by rowid; {table.name} has none")
    insert = sqlite.insert(table).values({name: bindparam(name) for name in columns})
    now = bindparam(_NOW, type_=UTCDateTime())
    compiled: Any = _on_conflict(insert, table, plan, now).compile(dialect=dialect)
    row = "(" + ", ".join("?" * len(columns)) + ")"
    head, found, tail = compiled.string.partition(f" VALUES {row}")
    clock = compiled.positiontup[len(columns) :]
    if not found or tuple(compiled.positiontup[: len(columns)]) != columns or set(clock) - {_NOW}:
        raise AssertionError(f"unexpected upsert statement for {table.name}")
    return _SQLiteStatements(
        head=head + " VALUES ",
        row=row,
        tail=tail,
        now_params=len(clock),
        now=UTCDateTime()._cached_bind_processor(dialect),
        rows_per_statement=max(1, (_SQLITE_VARIABLES - len(clock)) // len(columns)),
        last_rowid=f"SELECT max(rowid) FROM {dialect.identifier_preparer.quote(table.name)}",  # noqa: S608
    )


@dataclass(frozen=True, slots=True)
class _SQLiteJob:
    """A batch's statements with their parameters, made on the caller's thread: the driver's
    thread, which every page waits for, only runs them."""

    last_rowid: str
    statements: list[tuple[str, list[Any]]]
    rows: int


def _sqlite_job(batch: PreparedUpsert) -> _SQLiteJob:
    statements = _sqlite_statements(batch.table, batch.columns, batch.plan, batch.dialect)
    now = utcnow()
    clock = [statements.now(now) if statements.now else now] * statements.now_params
    count = len(batch.values[0]) if batch.values else 0
    step = statements.rows_per_statement
    work = []
    for start in range(0, count, step):
        chunk = [column[start : start + step] for column in batch.values]
        rows = len(chunk[0])
        sql = statements.head + ", ".join([statements.row] * rows) + statements.tail
        work.append((sql, [*chain.from_iterable(zip(*chunk, strict=True)), *clock]))
    return _SQLiteJob(statements.last_rowid, work, count)


async def _upsert_sqlite(connection: AsyncConnection, batch: PreparedUpsert) -> UpsertResult:
    """One multi-row `INSERT .. VALUES (..), (..) .. ON CONFLICT` per up to 32,766 values,
    with the rowid reads around it, in one call on the driver's thread: every hand-over
    between the event loop and that thread waits for the GIL while the sync maps its next
    page, and a batch would otherwise make three."""
    return await _on_driver_thread(connection, _write_sqlite, _sqlite_job(batch))  # type: ignore[no-any-return]


async def _on_driver_thread(
    connection: AsyncConnection, work: Callable[..., Any], *args: Any
) -> Any:
    """`work(dbapi_connection, *args)` in one call on aiosqlite's thread (one per
    connection), its sqlite3 errors raised as SQLAlchemy raises them."""
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    try:
        return await driver._execute(work, driver._conn, *args)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(None, None, exc, sqlite3.Error) from exc


def _sqlite_sql(statement: UpdateBase, dialect: Dialect) -> tuple[str, list[Any]]:
    """A Core statement as SQLite's driver takes it: its SQL and its converted parameters."""
    compiled: Any = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    if compiled.insert_prefetch or compiled.update_prefetch:
        raise ValueError("a statement run beside the upserts cannot have Python-side defaults")
    given = compiled.construct_params()
    params = []
    for name in compiled.positiontup:
        value = given[name]
        process = compiled.binds[name].type._cached_bind_processor(dialect)
        params.append(value if process is None or value is None else process(value))
    return compiled.string, params


def _commit_sqlite(
    dbapi: sqlite3.Connection, jobs: list[_SQLiteJob], extra: tuple[str, list[Any]] | None
) -> list[UpsertResult]:
    dbapi.execute("BEGIN IMMEDIATE")
    try:
        results = [_write_sqlite(dbapi, job) for job in jobs]
        if extra is not None:
            dbapi.execute(*extra)
    except BaseException:
        dbapi.execute("ROLLBACK")
        raise
    dbapi.execute("COMMIT")
    return results


def _write_sqlite(dbapi: sqlite3.Connection, job: _SQLiteJob) -> UpsertResult:
    # SQLite does not tell an insert from an update, but every inserted row takes the next
    # rowid (one past the largest) and this transaction is the only writer.
    before = dbapi.execute(job.last_rowid).fetchone()[0] or 0
    # The rows changed; `DO UPDATE .. WHERE` leaves unchanged rows out of that count.
    touched = sum(dbapi.execute(sql, params).rowcount for sql, params in job.statements)
    after = dbapi.execute(job.last_rowid).fetchone()[0] or 0
    inserted = after - before
    return UpsertResult(inserted, touched - inserted, job.rows - touched)
