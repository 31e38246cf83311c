"""Families follow guarantors: link each patient to its guarantor and the family it heads."""

from __future__ import annotations

import uuid

from sqlalchemy import Table, and_, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from crowndesk.db.base import PMS_SOURCE
from crowndesk.db.tenancy import current_tenant
from crowndesk.db.types import utcnow
from crowndesk.db.upsert import bulk_upsert
from crowndesk.patients.models import Family, Patient


async def link(session: AsyncSession, clinic_id: uuid.UUID) -> None:
    """Set `guarantor_id` from Open Dental's guarantor key, keep one family per guarantor,
    and point every patient at its family. Cheap when nothing changed: it only touches rows
    whose links disagree."""
    guarantor = aliased(Patient)
    pairs = (
        await session.execute(
            select(Patient.id, guarantor.id, Patient.guarantor_id)
            .join(
                guarantor,
                and_(
                    guarantor.clinic_id == Patient.clinic_id,
                    guarantor.pms_source == Patient.pms_source,
                    guarantor.pms_id == Patient.pms_guarantor_id,
                ),
            )
            .where(Patient.clinic_id == clinic_id)
        )
    ).all()
    await _set(
        session, "guarantor_id", [(pid, gid) for pid, gid, current in pairs if gid != current]
    )

    heads = (
        await session.execute(
            select(Patient.id, Patient.pms_id).where(
                Patient.clinic_id == clinic_id, Patient.guarantor_id == Patient.id
            )
        )
    ).all()
    now = utcnow()
    await bulk_upsert(
        session,
        Family,
        (
            {
                "clinic_id": clinic_id,
                "pms_source": PMS_SOURCE,
                "pms_id": pms_id,
                "guarantor_id": pid,
                "last_synced_at": now,
                "pms_deleted_at": None,
            }
            for pid, pms_id in heads
        ),
        conflict_columns=("tenant_id", "clinic_id", "pms_source", "pms_id"),
        update_columns=("guarantor_id", "pms_deleted_at"),
    )
    families = dict(
        (
            await session.execute(
                select(Family.guarantor_id, Family.id).where(Family.clinic_id == clinic_id)
            )
        ).all()
    )
    members = (
        await session.execute(
            select(Patient.id, Patient.guarantor_id, Patient.family_id).where(
                Patient.clinic_id == clinic_id
            )
        )
    ).all()
    await _set(
        session,
        "family_id",
        [
            (pid, wanted)
            for pid, gid, current in members
            if (wanted := _family(families, gid)) != current
        ],
    )


async def _set(
    session: AsyncSession, column: str, changes: list[tuple[uuid.UUID, uuid.UUID | None]]
) -> None:
    """One executemany UPDATE for many patients (the ids come from tenant-scoped reads)."""
    if not changes:
        return
    table: Table = Patient.__table__  # type: ignore[assignment]
    stmt = (
        update(table)
        .where(table.c.id == bindparam("row_id"), table.c.tenant_id == current_tenant(session))
        .values({column: bindparam("new_value")})
    )
    await session.execute(stmt, [{"row_id": pid, "new_value": value} for pid, value in changes])


def _family(
    families: dict[uuid.UUID, uuid.UUID], guarantor_id: uuid.UUID | None
) -> uuid.UUID | None:
    return None if guarantor_id is None else families.get(guarantor_id)
