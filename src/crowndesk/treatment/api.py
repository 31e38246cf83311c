"""`/api/treatment-plans`."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from crowndesk.auth.dependencies import require
from crowndesk.auth.permissions import Permission
from crowndesk.core.context import Context
from crowndesk.core.mirror import MirrorQuery
from crowndesk.core.pagination import Page, PageQuery
from crowndesk.core.routing import DbSession, TransactionalRoute
from crowndesk.treatment import service as treatment_service
from crowndesk.treatment.models import TreatmentPlanStatus
from crowndesk.treatment.schemas import TreatmentPlanRead

router = APIRouter(
    prefix="/api/treatment-plans", tags=["treatment"], route_class=TransactionalRoute
)

Reader = Annotated[Context, Depends(require(Permission.records_read))]


@router.get("", response_model=Page[TreatmentPlanRead])
async def list_treatment_plans(
    session: DbSession,
    ctx: Reader,
    page: PageQuery,
    mirror: MirrorQuery,
    patient_id: Annotated[uuid.UUID | None, Query(alias="patientId")] = None,
    status: Annotated[list[TreatmentPlanStatus] | None, Query()] = None,
) -> Page[TreatmentPlanRead]:
    """Treatment plans, newest first, each with its planned procedures."""
    criteria = treatment_service.TreatmentPlanCriteria(
        patient_id=patient_id, statuses=tuple(status or ())
    )
    result = await treatment_service.list_treatment_plans(session, mirror, criteria, page)
    return Page[TreatmentPlanRead].of(result)


@router.get("/{plan_id}", response_model=TreatmentPlanRead)
async def read_treatment_plan(
    plan_id: uuid.UUID,
    session: DbSession,
    ctx: Reader,
    include_deleted: Annotated[
        bool, Query(alias="includeDeleted", description="Also when deleted in Open Dental.")
    ] = False,
) -> TreatmentPlanRead:
    """A treatment plan with its planned procedures."""
    return await treatment_service.get_treatment_plan(
        session, plan_id, include_deleted=include_deleted
    )
