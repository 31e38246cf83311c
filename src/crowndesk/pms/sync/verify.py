"""Compare the mirror with Open Dental, field by field (`crowndesk sync --verify`)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crowndesk.clinics.models import Clinic
from crowndesk.db.types import utcnow
from crowndesk.pms.opendental.client import OpenDentalClient, QueriesNotPermitted
from crowndesk.pms.sync.engine import QUERY_PAGE, SyncEnv, connection_settings
from crowndesk.pms.sync.mapper import Mapper, key_map, key_maps
from crowndesk.pms.sync.models import SyncError, SyncPending
from crowndesk.pms.sync.registry import spec_for
from crowndesk.pms.sync.spec import EntitySpec

MAX_REPORTED = 50


@dataclass(frozen=True, slots=True)
class Difference:
    entity: str
    pms_id: str
    field: str  # a column, or "(missing)" / "(extra)" for a whole record
    ours: Any
    theirs: Any


@dataclass(slots=True)
class Verification:
    entity: str
    compared: int = 0
    differences: int = 0
    examples: list[Difference] | None = None


async def verify(env: SyncEnv, session: AsyncSession, clinic: Clinic, entity: str) -> Verification:
    """Read everything of `entity` from Open Dental and compare it with the mirror. Records
    sitting in `sync_errors` or `sync_pending` are expected to be absent and are skipped."""
    spec = spec_for(entity)
    mapper = Mapper(spec, clinic.id, await key_maps(session, spec, clinic.id), utcnow())
    model: Any = spec.model
    ours = {
        row.pms_id: row
        for row in (
            await session.execute(select(model).where(model.clinic_id == clinic.id))
        ).scalars()
        if row.pms_id.startswith(spec.pms_id_prefix)  # two resources may share a table
    }
    set_aside = await _set_aside(session, clinic.id, entity)
    result = Verification(entity, examples=[])
    compared_columns = [c for c in mapper.columns if c not in spec.local_columns]
    seen: set[str] = set()

    def differ(pms_id: str, column: str, mine: Any, theirs: Any) -> None:
        result.differences += 1
        assert result.examples is not None
        if len(result.examples) < MAX_REPORTED:
            result.examples.append(Difference(entity, pms_id, column, mine, theirs))

    async with OpenDentalClient(
        connection_settings(clinic, env.box), transport=env.transport
    ) as client:
        async for page in _everything(client, session, spec, clinic.id):
            for raw in page:
                pms_id = mapper.pms_id(raw)
                if pms_id is None or pms_id in set_aside:
                    continue
                try:
                    row, waiting = mapper.map(raw)
                except ValueError:
                    continue  # malformed as served: the engine keeps it in sync_errors
                seen.add(pms_id)
                result.compared += 1
                mine = ours.get(pms_id)
                if mine is None:
                    differ(pms_id, "(missing)", None, "present")
                    continue
                for column in compared_columns:
                    if getattr(mine, column) != row[column]:
                        differ(pms_id, column, getattr(mine, column), row[column])
                if (mine.pms_deleted_at is None) != (row["pms_deleted_at"] is None):
                    differ(pms_id, "pms_deleted_at", mine.pms_deleted_at, row["pms_deleted_at"])
    for pms_id, mine in ours.items():
        if pms_id not in seen and pms_id not in set_aside and mine.pms_deleted_at is None:
            differ(pms_id, "(extra)", "present", None)
    return result


async def _set_aside(session: AsyncSession, clinic_id: uuid.UUID, entity: str) -> set[str]:
    keys: set[str] = set()
    for model in (SyncError, SyncPending):
        rows = await session.execute(
            select(model.record_key).where(
                model.clinic_id == clinic_id, model.entity == entity, model.resolved_at.is_(None)
            )
        )
        keys.update(rows.scalars())
    return keys


async def _everything(
    client: OpenDentalClient, session: AsyncSession, spec: EntitySpec, clinic_id: uuid.UUID
) -> AsyncIterator[list[dict[str, Any]]]:
    if spec.endpoint and spec.listable:
        async for page in client.pages(spec.endpoint, dict(spec.params)):
            yield page
        return
    if spec.query:
        sql = f"SELECT * FROM {spec.query.table} ORDER BY {spec.key}"  # noqa: S608
        try:
            async for page in client.short_query(sql, page_size=QUERY_PAGE):
                yield page
            return
        except QueriesNotPermitted:
            pass
    assert spec.endpoint is not None
    relation = spec.per_parent[0]
    for parent_key in sorted(await key_map(session, relation.parent, clinic_id), key=int):
        async for page in client.pages(spec.endpoint, {**spec.params, relation.param: parent_key}):
            yield page
