"""What every resource mirrored from the practice management system shares on the wire:
its Open Dental identity and sync metadata, and the list filters `clinicId`, `updatedSince`
and `includeDeleted`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query
from pydantic import AwareDatetime
from sqlalchemy import Select

from crowndesk.core.schema import Schema

S = TypeVar("S", bound="Select[*tuple[Any, ...]]")


class MirroredRead(Schema):
    id: uuid.UUID
    clinic_id: uuid.UUID
    pms_source: str
    pms_id: str
    pms_updated_at: datetime | None
    last_synced_at: datetime | None
    pms_deleted_at: datetime | None


@dataclass(frozen=True, slots=True)
class MirrorFilters:
    clinic_id: uuid.UUID | None = None
    updated_since: datetime | None = None
    include_deleted: bool = False

    def apply(self, stmt: S, model: Any) -> S:
        """Narrow `stmt` over the synced `model` to these filters."""
        if self.clinic_id is not None:
            stmt = stmt.where(model.clinic_id == self.clinic_id)
        if self.updated_since is not None:
            stmt = stmt.where(model.updated_at >= self.updated_since)
        if not self.include_deleted:
            stmt = stmt.where(model.pms_deleted_at.is_(None))
        return stmt


async def _mirror_filters(
    clinic_id: Annotated[uuid.UUID | None, Query(alias="clinicId")] = None,
    updated_since: Annotated[
        AwareDatetime | None,
        Query(
            alias="updatedSince",
            description="Only rows changed here at or after this instant (ISO 8601 with offset).",
        ),
    ] = None,
    include_deleted: Annotated[
        bool, Query(alias="includeDeleted", description="Also rows deleted in Open Dental.")
    ] = False,
) -> MirrorFilters:
    return MirrorFilters(clinic_id, updated_since, include_deleted)


MirrorQuery = Annotated[MirrorFilters, Depends(_mirror_filters)]
