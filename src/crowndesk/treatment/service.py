"""Reads of the mirrored treatment plans with their planned procedures."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crowndesk.audit.service import read_phi
from crowndesk.core.errors import not_found
from crowndesk.core.mirror import MirrorFilters
from crowndesk.core.pagination import PageParams, PageResult, paginate
from crowndesk.procedures.models import Procedure
from crowndesk.treatment.models import (
    PlannedProcedure,
    PlannedProcedureKind,
    TreatmentPlan,
    TreatmentPlanStatus,
)
from crowndesk.treatment.schemas import PlannedProcedureRead, TreatmentPlanRead


@dataclass(frozen=True, slots=True)
class TreatmentPlanCriteria:
    patient_id: uuid.UUID | None = None
    statuses: tuple[TreatmentPlanStatus, ...] = ()


async def list_treatment_plans(
    session: AsyncSession,
    filters: MirrorFilters,
    criteria: TreatmentPlanCriteria,
    page: PageParams,
) -> PageResult[TreatmentPlanRead]:
    """One page of plans, newest first, each with its planned procedures; logs the read of
    their patients."""
    stmt = filters.apply(select(TreatmentPlan), TreatmentPlan)
    if criteria.patient_id is not None:
        stmt = stmt.where(TreatmentPlan.patient_id == criteria.patient_id)
    if criteria.statuses:
        stmt = stmt.where(TreatmentPlan.status.in_(criteria.statuses))
    stmt = stmt.order_by(TreatmentPlan.plan_date.desc().nulls_last(), TreatmentPlan.id)
    result = await paginate(session, stmt, page)
    items = await _with_procedures(session, result.items, include_deleted=filters.include_deleted)
    await read_phi(session, (p.patient_id for p in items))
    return result.with_items(items)


async def get_treatment_plan(
    session: AsyncSession, plan_id: uuid.UUID, *, include_deleted: bool = False
) -> TreatmentPlanRead:
    stmt = select(TreatmentPlan).where(TreatmentPlan.id == plan_id)
    if not include_deleted:
        stmt = stmt.where(TreatmentPlan.pms_deleted_at.is_(None))
    plan = await session.scalar(stmt)
    if plan is None:
        raise not_found("Treatment plan", plan_id)
    (read,) = await _with_procedures(session, [plan], include_deleted=include_deleted)
    await read_phi(session, [plan.patient_id])
    return read


async def _with_procedures(
    session: AsyncSession, plans: Sequence[TreatmentPlan], *, include_deleted: bool
) -> list[TreatmentPlanRead]:
    if not plans:
        return []
    stmt = (
        select(PlannedProcedure, Procedure)
        .outerjoin(Procedure, Procedure.id == PlannedProcedure.procedure_id)
        .where(PlannedProcedure.treatment_plan_id.in_([p.id for p in plans]))
    )
    if not include_deleted:
        stmt = stmt.where(PlannedProcedure.pms_deleted_at.is_(None))
    by_plan: dict[uuid.UUID, list[PlannedProcedureRead]] = defaultdict(list)
    patients = {p.id: p.patient_id for p in plans}
    for planned, procedure in (await session.execute(stmt)).all():
        by_plan[planned.treatment_plan_id].append(
            _planned(planned, procedure, patients[planned.treatment_plan_id])
        )
    return [
        TreatmentPlanRead.model_validate(plan).model_copy(
            update={"planned_procedures": sorted(by_plan[plan.id], key=_planned_order)}
        )
        for plan in plans
    ]


def _planned(
    planned: PlannedProcedure, procedure: Procedure | None, patient_id: uuid.UUID
) -> PlannedProcedureRead:
    read = PlannedProcedureRead.model_validate(planned)
    update: dict[str, object] = {"patient_id": planned.patient_id or patient_id}
    if procedure is not None:
        update["procedure_status"] = procedure.status
    if planned.kind is PlannedProcedureKind.attached and procedure is not None:
        update |= {
            "code": procedure.code,
            "description": procedure.description,
            "tooth": procedure.tooth_number or procedure.tooth_range,
            "surface": procedure.surface,
            "fee": procedure.fee,
            "discount": procedure.discount,
        }
    return read.model_copy(update=update)


def _planned_order(p: PlannedProcedureRead) -> tuple[bool, int, str, int, str]:
    # A saved plan's own order first; links in Open Dental's order of the procedures.
    return (p.item_order is None, p.item_order or 0, p.code or "", len(p.pms_id), p.pms_id)
