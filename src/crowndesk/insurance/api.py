"""`/api/insurance/plans`, `/api/patients/{id}/insurance`."""

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
from crowndesk.insurance import service as insurance_service
from crowndesk.insurance.schemas import CoverageRead, InsurancePlanDetail, InsurancePlanRead

router = APIRouter(prefix="/api", tags=["insurance"], route_class=TransactionalRoute)

Reader = Annotated[Context, Depends(require(Permission.records_read))]
IncludeDeleted = Annotated[
    bool, Query(alias="includeDeleted", description="Also when deleted in Open Dental.")
]


@router.get("/insurance/plans", response_model=Page[InsurancePlanRead])
async def list_insurance_plans(
    session: DbSession,
    ctx: Reader,
    page: PageQuery,
    mirror: MirrorQuery,
    carrier_id: Annotated[uuid.UUID | None, Query(alias="carrierId")] = None,
) -> Page[InsurancePlanRead]:
    """Insurance plans with their carriers, by group name."""
    result = await insurance_service.list_plans(session, mirror, page, carrier_id=carrier_id)
    return Page[InsurancePlanRead].of(result)


@router.get("/insurance/plans/{plan_id}", response_model=InsurancePlanDetail)
async def read_insurance_plan(
    plan_id: uuid.UUID, session: DbSession, ctx: Reader, include_deleted: IncludeDeleted = False
) -> InsurancePlanDetail:
    """An insurance plan with its carrier and benefits."""
    return await insurance_service.get_plan(session, plan_id, include_deleted=include_deleted)


@router.get("/patients/{patient_id}/insurance", response_model=list[CoverageRead])
async def read_patient_insurance(
    patient_id: uuid.UUID, session: DbSession, ctx: Reader, include_deleted: IncludeDeleted = False
) -> list[CoverageRead]:
    """The patient's coverage, primary first: each policy's plan and carrier, subscriber,
    the patient's relationship to the subscriber, and the benefits that apply (the plan's
    and the patient's own overrides)."""
    return await insurance_service.patient_coverage(
        session, patient_id, include_deleted=include_deleted
    )
