"""One Open Dental payload → one of our rows, by an entity spec."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from crowndesk.db.base import PMS_SOURCE
from crowndesk.db.tenancy import current_tenant
from crowndesk.pms.opendental.formats import key as read_key
from crowndesk.pms.opendental.formats import timestamp
from crowndesk.pms.sync.registry import spec_for
from crowndesk.pms.sync.spec import EntitySpec

KeyMap = dict[str, "uuid.UUID | str"]
"""Open Dental key → our id; on SQLite the id's hex text until a row first links to it."""
KeyMaps = dict[str, KeyMap]


@dataclass(slots=True)
class KeyMapCache:
    """Key maps kept between the runs of one sync: a full sync links five entities to the
    procedures, and reading their map is most of a small run's time.

    A map is used again only while its table holds as many of the clinic's rows as when it
    was read. The sync never deletes a mirrored row (a deletion in Open Dental sets
    `pms_deleted_at`) and a row's key and id never change, so the same count means the same
    keys; counting is a small fraction of reading them."""

    maps: dict[tuple[Any, uuid.UUID, str], KeyMap] = field(default_factory=dict)


async def key_map(
    session: AsyncSession, entity: str, clinic_id: uuid.UUID, cache: KeyMapCache | None = None
) -> KeyMap:
    """Open Dental key → our id, for every row of an entity at a clinic.

    A Core query with the tenant spelled out, taken as the driver gives it: a parent table
    has up to hundreds of thousands of rows, few of which a run may link to, and the ORM's or
    the id type's per-row work would be most of the cost."""
    table: Any = spec_for(entity).model.__table__
    tenant_id = current_tenant(session)
    scope = (
        table.c.tenant_id == tenant_id,
        table.c.clinic_id == clinic_id,
        table.c.pms_source == PMS_SOURCE,
    )
    slot = (tenant_id, clinic_id, entity)
    if cache is not None and slot in cache.maps:
        kept = cache.maps[slot]
        if await session.scalar(select(func.count()).select_from(table).where(*scope)) == len(kept):
            return kept
    rows = await session.execute(
        select(table.c.pms_id, type_coerce(table.c.id, String)).where(*scope)
    )
    found: KeyMap = dict(rows.all())  # type: ignore[arg-type]
    if cache is not None:
        cache.maps[slot] = found
    return found


async def key_maps(
    session: AsyncSession, spec: EntitySpec, clinic_id: uuid.UUID, cache: KeyMapCache | None = None
) -> KeyMaps:
    maps: KeyMaps = {}
    for ref in spec.refs:
        if ref.entity not in maps:
            maps[ref.entity] = await key_map(session, ref.entity, clinic_id, cache)
    return maps


_ABSENT = object()


class Mapper:
    def __init__(
        self, spec: EntitySpec, clinic_id: uuid.UUID, maps: KeyMaps, now: datetime
    ) -> None:
        self.spec = spec
        self.clinic_id = clinic_id
        self.maps = maps
        self.now = now
        # The spec flattened once: `map` runs for every record of every run.
        self._fields = tuple((f.column, f.source, f.read, f.optional) for f in spec.fields)
        self._refs = tuple(
            (r.column, r.source, maps.get(r.entity, {}), r.entity, r.required, r.park)
            for r in spec.refs
        )

    @property
    def columns(self) -> list[str]:
        """Every column the payload decides (mapped fields, links, derived values)."""
        spec = self.spec
        return [
            *(f.column for f in spec.fields),
            *(r.column for r in spec.refs),
            *spec.derived,
        ]

    def pms_id(self, raw: Any) -> str | None:
        """The record's `pms_id`, or None when its key is missing or unreadable."""
        try:
            found = read_key(raw.get(self.spec.key)) if isinstance(raw, Mapping) else None
        except ValueError:
            return None
        return None if found is None else self.spec.pms_id_prefix + found

    def map(self, raw: Any) -> tuple[dict[str, Any], str | None]:
        """Our row for one payload, and what it waits for (`entity:key`) if a parent is
        missing. Raises ValueError naming the field (never its value) for a bad record."""
        spec = self.spec
        if not isinstance(raw, Mapping):
            raise ValueError("not a record")
        pms_id = read_key(raw.get(spec.key))
        if pms_id is None:
            raise ValueError(f"{spec.key}: missing")
        row: dict[str, Any] = {
            "clinic_id": self.clinic_id,
            "pms_source": PMS_SOURCE,
            "pms_id": spec.pms_id_prefix + pms_id,
            "last_synced_at": self.now,
            "local_modified_at": None,
        }
        get = raw.get
        source = ""
        try:
            for column, source, read, optional in self._fields:
                value = get(source, _ABSENT)
                if value is _ABSENT:
                    if not optional:
                        raise ValueError("missing")
                    row[column] = None
                else:
                    row[column] = read(value)
            if spec.stamp is not None:
                source = spec.stamp
                row["pms_updated_at"] = timestamp(get(source))
        except ValueError as exc:
            raise ValueError(f"{source}: {exc}") from None
        waiting: str | None = None
        for column, source, found_in, entity, required, park in self._refs:
            try:
                parent = read_key(get(source))
            except ValueError as exc:
                raise ValueError(f"{source}: {exc}") from None
            if parent is None:
                if required:
                    raise ValueError(f"{source}: missing")
                row[column] = None
                continue
            found = found_in.get(parent)
            if found.__class__ is str:  # SQLite's hex text: converted once, on first use
                found = found_in[parent] = uuid.UUID(found)  # type: ignore[arg-type]
            if found is None and park and waiting is None:
                waiting = f"{entity}:{parent}"
            row[column] = found
        if spec.derive is not None:
            spec.derive(row, raw)
        deleted = spec.deleted is not None and spec.deleted(raw)
        row["pms_deleted_at"] = self.now if deleted else None
        return row, waiting
