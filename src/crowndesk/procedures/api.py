"""`/api/completed-procedures`, `/api/procedure-codes`, `/api/fee-schedules`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from crowndesk.auth.dependencies import require
from crowndesk.auth.permissions import Permission
from crowndesk.core.context import Context
from crowndesk.core.mirror import MirrorQuery
from crowndesk.core.pagination import MAX_LIMIT, MAX_OFFSET, Page, PageQuery
from crowndesk.core.routing import DbSession, TransactionalRoute
from crowndesk.procedures import service
from crowndesk.procedures.models import BillingStatus, ProcedureStatus
from crowndesk.procedures.schemas import (
    BillingEventRead,
    BillingMoveResult,
    CompletedProcedurePage,
    CompletedProcedureRead,
    CompletedSort,
    CompletedStats,
    FeeRead,
    FeeScheduleRead,
    MarkClaimPending,
    MarkProcedures,
    MarkWithReason,
    ProcedureCodeRead,
)
from crowndesk.procedures.service import BillingMove, CompletedFilters

router = APIRouter(prefix="/api", tags=["procedures"], route_class=TransactionalRoute)

Reader = Annotated[Context, Depends(require(Permission.records_read))]
Biller = Annotated[Context, Depends(require(Permission.billing_write))]
Search = Annotated[
    str | None,
    Query(max_length=200, description="Patient name, CDT code, description or tooth."),
]


async def _filters(
    billing_status: Annotated[
        list[BillingStatus] | None,
        Query(alias="billingStatus", description="Repeat for several statuses."),
    ] = None,
    status: Annotated[
        ProcedureStatus, Query(description="Open Dental's procedure status.")
    ] = ProcedureStatus.completed,
    date_from: Annotated[date | None, Query(alias="dateFrom")] = None,
    date_to: Annotated[date | None, Query(alias="dateTo", description="Inclusive.")] = None,
    patient: Annotated[uuid.UUID | None, Query(alias="patientId")] = None,
    provider_id: Annotated[uuid.UUID | None, Query(alias="providerId")] = None,
    clinic_id: Annotated[uuid.UUID | None, Query(alias="clinicId")] = None,
    cdt_code: Annotated[str | None, Query(alias="cdtCode", max_length=20)] = None,
    search: Search = None,
) -> CompletedFilters:
    return CompletedFilters(
        billing_statuses=tuple(dict.fromkeys(billing_status or ())),
        status=status,
        date_from=date_from,
        date_to=date_to,
        patient_id=patient,
        provider_id=provider_id,
        clinic_id=clinic_id,
        cdt_code=cdt_code,
        search=search,
    )


Filters = Annotated[CompletedFilters, Depends(_filters)]


@dataclass(frozen=True, slots=True)
class _Listing:
    sort: CompletedSort
    limit: int
    offset: int
    cursor: str | None


async def _listing(
    sort: Annotated[CompletedSort, Query()] = CompletedSort.proc_date_desc,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    cursor: Annotated[
        str | None, Query(max_length=500, description="`nextCursor` of the page before.")
    ] = None,
) -> _Listing:
    return _Listing(sort, limit, offset, cursor)


Listing = Annotated[_Listing, Depends(_listing)]


async def _page(
    session: DbSession, filters: CompletedFilters, listing: _Listing
) -> CompletedProcedurePage:
    page = await service.list_completed(
        session,
        filters,
        sort=listing.sort,
        limit=listing.limit,
        offset=listing.offset,
        cursor=listing.cursor,
    )
    return CompletedProcedurePage(
        items=page.items,
        total=page.total,
        limit=page.limit,
        offset=page.offset,
        next_cursor=page.next_cursor,
    )


@router.get("/completed-procedures", response_model=CompletedProcedurePage)
async def list_completed_procedures(
    session: DbSession, ctx: Reader, filters: Filters, listing: Listing
) -> CompletedProcedurePage:
    """Completed procedures with their billing status, newest first by default.

    Sort by `procDate`, `fee` or `patientName` (a leading `-` for descending). For deep
    pages pass the previous page's `nextCursor` as `cursor` instead of an offset."""
    return await _page(session, filters, listing)


@router.get("/completed-procedures/stats", response_model=CompletedStats)
async def completed_procedure_stats(
    session: DbSession,
    ctx: Reader,
    clinic_id: Annotated[uuid.UUID | None, Query(alias="clinicId")] = None,
    date_from: Annotated[date | None, Query(alias="dateFrom")] = None,
    date_to: Annotated[date | None, Query(alias="dateTo")] = None,
) -> CompletedStats:
    """Counts and fees per billing status; `thisMonth` in each clinic's own time zone."""
    return await service.completed_stats(
        session, clinic_id=clinic_id, date_from=date_from, date_to=date_to
    )


@router.get("/completed-procedures/unbilled", response_model=CompletedProcedurePage)
async def list_unbilled_procedures(
    session: DbSession,
    ctx: Reader,
    listing: Listing,
    patient_id: Annotated[uuid.UUID | None, Query(alias="patientId")] = None,
) -> CompletedProcedurePage:
    """Completed procedures not yet on any claim: the work queue for new claims."""
    filters = CompletedFilters(billing_statuses=(BillingStatus.unbilled,), patient_id=patient_id)
    return await _page(session, filters, listing)


@router.get("/completed-procedures/patient/{patient_id}", response_model=CompletedProcedurePage)
async def list_patient_procedures(
    patient_id: uuid.UUID,
    session: DbSession,
    ctx: Reader,
    filters: Filters,
    listing: Listing,
) -> CompletedProcedurePage:
    """One patient's completed procedures (the same filters as the full list)."""
    await service.require_patient(session, patient_id)
    return await _page(session, replace(filters, patient_id=patient_id), listing)


async def _move(
    session: DbSession,
    ctx: Context,
    move: BillingMove,
    ids: list[uuid.UUID],
    *,
    claim_id: uuid.UUID | None = None,
    reason: str | None = None,
) -> BillingMoveResult:
    items = await service.change_billing_status(
        session, ctx, move, ids, claim_id=claim_id, reason=reason
    )
    return BillingMoveResult(updated=len(items), items=items)


@router.post("/completed-procedures/mark-claim-pending", response_model=BillingMoveResult)
async def mark_claim_pending(
    body: MarkClaimPending, session: DbSession, ctx: Biller
) -> BillingMoveResult:
    """Unbilled (or denied, for a resubmission) → pending claim, on the given claim.

    All or nothing: 404 naming unknown ids, 409 naming the procedures that may not move."""
    return await _move(
        session, ctx, BillingMove.claim_pending, body.procedure_ids, claim_id=body.claim_id
    )


@router.post("/completed-procedures/mark-claimed", response_model=BillingMoveResult)
async def mark_claimed(body: MarkProcedures, session: DbSession, ctx: Biller) -> BillingMoveResult:
    """Pending claim → claimed (the claim went out)."""
    return await _move(session, ctx, BillingMove.claimed, body.procedure_ids)


@router.post("/completed-procedures/mark-paid", response_model=BillingMoveResult)
async def mark_paid(body: MarkProcedures, session: DbSession, ctx: Biller) -> BillingMoveResult:
    """Claimed → paid."""
    return await _move(session, ctx, BillingMove.paid, body.procedure_ids)


@router.post("/completed-procedures/mark-denied", response_model=BillingMoveResult)
async def mark_denied(body: MarkWithReason, session: DbSession, ctx: Biller) -> BillingMoveResult:
    """Claimed → denied, with the payer's reason."""
    return await _move(session, ctx, BillingMove.denied, body.procedure_ids, reason=body.reason)


@router.post("/completed-procedures/write-off", response_model=BillingMoveResult)
async def write_off(body: MarkWithReason, session: DbSession, ctx: Biller) -> BillingMoveResult:
    """Unbilled, claimed or denied → written off, with a reason."""
    return await _move(session, ctx, BillingMove.write_off, body.procedure_ids, reason=body.reason)


@router.post("/completed-procedures/mark-unbilled", response_model=BillingMoveResult)
async def mark_unbilled(body: MarkProcedures, session: DbSession, ctx: Biller) -> BillingMoveResult:
    """Pending claim → unbilled (the draft claim is dropped); the claim id is cleared."""
    return await _move(session, ctx, BillingMove.unbilled, body.procedure_ids)


@router.get("/completed-procedures/{procedure_id}", response_model=CompletedProcedureRead)
async def read_completed_procedure(
    procedure_id: uuid.UUID, session: DbSession, ctx: Reader
) -> CompletedProcedureRead:
    return await service.get_completed(session, procedure_id)


@router.get("/completed-procedures/{procedure_id}/history", response_model=list[BillingEventRead])
async def read_billing_history(
    procedure_id: uuid.UUID, session: DbSession, ctx: Reader
) -> list[BillingEventRead]:
    """Every billing status change of the procedure, oldest first, with who and why."""
    return await service.billing_history(session, procedure_id)


@router.get("/procedure-codes", response_model=Page[ProcedureCodeRead])
async def list_procedure_codes(
    session: DbSession,
    ctx: Reader,
    page: PageQuery,
    mirror: MirrorQuery,
    search: Annotated[
        str | None, Query(max_length=200, description="Code or words of its description.")
    ] = None,
) -> Page[ProcedureCodeRead]:
    result = await service.list_procedure_codes(session, page, mirror, search)
    return Page[ProcedureCodeRead].of(result)


@router.get("/fee-schedules", response_model=Page[FeeScheduleRead])
async def list_fee_schedules(
    session: DbSession, ctx: Reader, page: PageQuery, mirror: MirrorQuery
) -> Page[FeeScheduleRead]:
    result = await service.list_fee_schedules(session, page, mirror)
    return Page[FeeScheduleRead].of(
        result, [FeeScheduleRead.model_validate(s) for s in result.items]
    )


@router.get("/fee-schedules/{schedule_id}/fees", response_model=Page[FeeRead])
async def list_fees(
    schedule_id: uuid.UUID,
    session: DbSession,
    ctx: Reader,
    page: PageQuery,
    mirror: MirrorQuery,
    code: Annotated[str | None, Query(max_length=20, description="One CDT code.")] = None,
) -> Page[FeeRead]:
    result = await service.list_fees(session, schedule_id, page, mirror, code)
    return Page[FeeRead].of(result)
