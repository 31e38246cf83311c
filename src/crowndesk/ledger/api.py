"""`/api/payments`, `/api/adjustments`: Open Dental's own ledger rows as mirrored."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from crowndesk.auth.dependencies import require
from crowndesk.auth.permissions import Permission
from crowndesk.core.context import Context
from crowndesk.core.dates import DateRangeQuery
from crowndesk.core.mirror import MirrorQuery
from crowndesk.core.pagination import Page, PageQuery
from crowndesk.core.routing import DbSession, TransactionalRoute
from crowndesk.ledger import service as ledger_service
from crowndesk.ledger.schemas import AdjustmentRead, PaymentRead

router = APIRouter(prefix="/api", tags=["ledger"], route_class=TransactionalRoute)

Reader = Annotated[Context, Depends(require(Permission.records_read))]
PatientFilter = Annotated[uuid.UUID | None, Query(alias="patientId")]


@router.get("/payments", response_model=Page[PaymentRead])
async def list_payments(
    session: DbSession,
    ctx: Reader,
    page: PageQuery,
    mirror: MirrorQuery,
    dates: DateRangeQuery,
    patient_id: PatientFilter = None,
) -> Page[PaymentRead]:
    """Patient payments by payment date (`dateFrom`, `dateTo` inclusive), with their
    splits. Amounts are strings with two decimals."""
    criteria = ledger_service.LedgerCriteria(patient_id=patient_id, dates=dates)
    result = await ledger_service.list_payments(session, mirror, criteria, page)
    return Page[PaymentRead].of(result)


@router.get("/adjustments", response_model=Page[AdjustmentRead])
async def list_adjustments(
    session: DbSession,
    ctx: Reader,
    page: PageQuery,
    mirror: MirrorQuery,
    dates: DateRangeQuery,
    patient_id: PatientFilter = None,
) -> Page[AdjustmentRead]:
    """Adjustments by date (`dateFrom`, `dateTo` inclusive). A positive amount adds to
    what the patient owes, a negative one takes off."""
    criteria = ledger_service.LedgerCriteria(patient_id=patient_id, dates=dates)
    result = await ledger_service.list_adjustments(session, mirror, criteria, page)
    return Page[AdjustmentRead].of(result, ledger_service.to_adjustment_reads(result.items))
