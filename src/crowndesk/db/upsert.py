"""Dialect-aware bulk upsert: `INSERT .. ON CONFLICT DO UPDATE` in batches.

Rows whose values already match are left alone (`DO UPDATE .. WHERE` some column differs),
so the counts tell inserted, updated and unchanged apart — the sync engine reports all three.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, func, literal_column, or_, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from crowndesk.db.base import Base
from crowndesk.db.tenancy import TenantViolation, current_tenant
from crowndesk.db.types import utcnow


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

    result = UpsertResult()
    batch: list[dict[str, Any]] = []
    for raw in rows:
        batch.append(_prepare(table, raw, tenant_owned, tenant_id))
        if len(batch) >= batch_size:
            result += await _upsert_batch(session, table, batch, conflict_columns, plan)
            batch = []
    if batch:
        result += await _upsert_batch(session, table, batch, conflict_columns, plan)
    return result


def _prepare(
    table: Table, raw: Mapping[str, Any], tenant_owned: bool, tenant_id: Any
) -> dict[str, Any]:
    row = dict(raw)
    if tenant_owned:
        if tenant_id is None:
            raise TenantViolation(f"no tenant bound to the session for {table.name}")
        if row.setdefault("tenant_id", tenant_id) != tenant_id:
            raise TenantViolation(f"a row for {table.name} names another tenant")
    # Python-side defaults (ids, timestamps) do not run for multi-row Core statements with
    # differing keys, so apply them here.
    for column in table.c:
        if column.name not in row and column.default is not None and column.default.is_callable:
            row[column.name] = column.default.arg(None)  # type: ignore[attr-defined]
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
    if dialect not in _INSERTS:
        raise ValueError(f"bulk upsert supports SQLite and PostgreSQL, not {dialect}")
    insert = _INSERTS[dialect](table)
    excluded = insert.excluded
    values: dict[str, Any] = {
        name: plan.merge[name](table.c[name], excluded[name])
        if name in plan.merge
        else excluded[name]
        for name in plan.update_columns
    }
    if "updated_at" in table.c:
        values["updated_at"] = utcnow()
    changed = or_(*(table.c[name].is_distinct_from(values[name]) for name in plan.compare_columns))
    stmt: Any = insert.on_conflict_do_update(
        index_elements=list(conflict_columns),
        set_=values,
        where=changed if plan.compare_columns else None,
    )
    if dialect == "postgresql":
        # xmax is 0 on a freshly inserted row version: one round trip tells all three counts.
        stmt = stmt.returning(literal_column("(xmax = 0)").label("inserted"))
        flags = (await session.execute(stmt, batch)).scalars().all()
        inserted = sum(1 for flag in flags if flag)
        return UpsertResult(inserted, len(flags) - inserted, len(batch) - len(flags))
    # SQLite cannot tell an insert from an update in RETURNING: count the keys already there.
    existing = await _count_existing(session, table, batch, conflict_columns)
    touched = len(
        (await session.execute(stmt.returning(table.c[conflict_columns[0]]), batch)).all()
    )
    inserted = len(batch) - existing
    return UpsertResult(inserted, touched - inserted, existing - (touched - inserted))


Merge = Callable[[Any, Any], Any]


@dataclass(frozen=True, slots=True)
class _Plan:
    update_columns: Sequence[str]
    compare_columns: Sequence[str]
    merge: Mapping[str, Merge]


_INSERTS: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


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
