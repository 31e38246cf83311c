"""`/api/pms-sync/*` and `POST /api/clinics/{id}/test-connection`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Body, Depends, Query, Request, status

from crowndesk.auth.dependencies import require
from crowndesk.auth.permissions import Permission
from crowndesk.core.context import Context
from crowndesk.core.errors import BadRequest
from crowndesk.core.pagination import Page, PageQuery
from crowndesk.core.routing import DbSession, TransactionalRoute
from crowndesk.pms.opendental.client import OpenDentalClient, OpenDentalError
from crowndesk.pms.sync import service as sync_service
from crowndesk.pms.sync.engine import ClinicNotConnected, connection_settings
from crowndesk.pms.sync.models import RunMode, RunState, SyncError, SyncPending, SyncRun
from crowndesk.pms.sync.registry import ENTITY_NAMES
from crowndesk.pms.sync.schemas import (
    ConflictRead,
    ConnectionTest,
    IssueRead,
    PendingRead,
    RunAccepted,
    RunRead,
    RunsAccepted,
    StatusRead,
    SyncRequest,
)
from crowndesk.pms.sync.tasks import enqueue_runs

router = APIRouter(prefix="/api", tags=["pms-sync"], route_class=TransactionalRoute)

Operator = Annotated[Context, Depends(require(Permission.sync_run))]
ClinicFilter = Annotated[uuid.UUID | None, Query(alias="clinicId")]
EntityFilter = Annotated[str | None, Query()]


def _clinic_id(query: uuid.UUID | None, body: SyncRequest | None) -> uuid.UUID | None:
    given = body.clinic_id if body is not None else None
    if query is not None and given is not None and query != given:
        raise BadRequest("clinicId differs between the query and the body.")
    return query or given


async def _queue(
    request: Request,
    background: BackgroundTasks,
    session: DbSession,
    ctx: Context,
    entities: tuple[str, ...],
    clinic_id: uuid.UUID | None,
    mode: RunMode,
) -> RunsAccepted:
    runs = await sync_service.request_runs(
        session, request.app.state.engine, entities=entities, clinic_id=clinic_id, mode=mode
    )
    # Handed to the job runner once the runs are committed.
    background.add_task(enqueue_runs, request.app.state.jobs, ctx.tenant_id, runs)
    return RunsAccepted(runs=[RunAccepted.model_validate(run) for run in runs])


@router.post(
    "/pms-sync/full-sync", response_model=RunsAccepted, status_code=status.HTTP_202_ACCEPTED
)
async def start_full_sync(
    request: Request,
    background: BackgroundTasks,
    session: DbSession,
    ctx: Operator,
    clinic_id: ClinicFilter = None,
    reset: bool = False,
    body: Annotated[SyncRequest | None, Body()] = None,
) -> RunsAccepted:
    """Sync every entity, in dependency order, for one clinic or every connected clinic.
    Incremental from the stored cursors; `reset=true` forgets them and reads everything."""
    mode = RunMode.reset if reset else RunMode.incremental
    return await _queue(
        request, background, session, ctx, ENTITY_NAMES, _clinic_id(clinic_id, body), mode
    )


@router.get("/pms-sync/runs", response_model=Page[RunRead])
async def list_sync_runs(
    session: DbSession,
    ctx: Operator,
    page: PageQuery,
    clinic_id: ClinicFilter = None,
    entity: EntityFilter = None,
    state: RunState | None = None,
) -> Any:
    return await sync_service.list_runs(
        session, page, clinic_id=clinic_id, entity=entity, state=state
    )


@router.get("/pms-sync/runs/{run_id}", response_model=RunRead)
async def read_sync_run(run_id: uuid.UUID, session: DbSession, ctx: Operator) -> SyncRun:
    return await sync_service.get_run(session, run_id)


@router.get("/pms-sync/status", response_model=StatusRead)
async def read_sync_status(
    session: DbSession, ctx: Operator, clinic_id: ClinicFilter = None
) -> StatusRead:
    clinics = await sync_service.status(session, clinic_id)
    return StatusRead.model_validate({"clinics": clinics}, from_attributes=True)


@dataclass(frozen=True, slots=True)
class _IssueFilters:
    clinic_id: uuid.UUID | None
    entity: str | None
    include_resolved: bool


async def _issue_filters(
    clinic_id: ClinicFilter = None,
    entity: EntityFilter = None,
    include_resolved: Annotated[bool, Query(alias="includeResolved")] = False,
) -> _IssueFilters:
    return _IssueFilters(clinic_id, entity, include_resolved)


IssueFilters = Annotated[_IssueFilters, Depends(_issue_filters)]


async def _issues(
    session: DbSession,
    model: type[SyncError] | type[SyncPending],
    page: PageQuery,
    filters: _IssueFilters,
) -> Any:
    return await sync_service.list_issues(
        session,
        model,
        page,
        clinic_id=filters.clinic_id,
        entity=filters.entity,
        include_resolved=filters.include_resolved,
    )


@router.get("/pms-sync/errors", response_model=Page[IssueRead])
async def list_sync_errors(
    session: DbSession, ctx: Operator, page: PageQuery, filters: IssueFilters
) -> Any:
    return await _issues(session, SyncError, page, filters)


@router.get("/pms-sync/pending", response_model=Page[PendingRead])
async def list_sync_pending(
    session: DbSession, ctx: Operator, page: PageQuery, filters: IssueFilters
) -> Any:
    return await _issues(session, SyncPending, page, filters)


@router.get("/pms-sync/conflicts", response_model=Page[ConflictRead])
async def list_sync_conflicts(
    session: DbSession,
    ctx: Operator,
    page: PageQuery,
    clinic_id: ClinicFilter = None,
    entity: EntityFilter = None,
) -> Any:
    return await sync_service.list_conflicts(session, page, clinic_id=clinic_id, entity=entity)


@router.post(
    "/pms-sync/{entity}", response_model=RunsAccepted, status_code=status.HTTP_202_ACCEPTED
)
async def start_entity_sync(
    entity: str,
    request: Request,
    background: BackgroundTasks,
    session: DbSession,
    ctx: Operator,
    clinic_id: ClinicFilter = None,
    reset: bool = False,
    reconcile: bool = False,
    body: Annotated[SyncRequest | None, Body()] = None,
) -> RunsAccepted:
    """Sync one entity (`patients`, `appointments`, `procedures`, ...). `reconcile=true`
    compares keys with Open Dental to find rows deleted there without a trace."""
    if reset and reconcile:
        raise BadRequest("Choose reset or reconcile, not both.")
    mode = RunMode.reset if reset else RunMode.reconcile if reconcile else RunMode.incremental
    return await _queue(
        request, background, session, ctx, (entity,), _clinic_id(clinic_id, body), mode
    )


@router.post("/clinics/{clinic_id}/test-connection", response_model=ConnectionTest)
async def test_clinic_connection(
    clinic_id: uuid.UUID, request: Request, session: DbSession, ctx: Operator
) -> ConnectionTest:
    """Try the clinic's Open Dental address and keys with one cheap request."""
    clinic = await sync_service.get_clinic(session, clinic_id)
    try:
        settings = connection_settings(clinic, request.app.state.secret_box)
    except ClinicNotConnected as exc:
        return ConnectionTest(
            ok=False, reachable=False, authenticated=False, message=str(exc), server_date_time=None
        )
    # One quick try: a person is waiting for the answer.
    settings = replace(settings, max_attempts=1, timeout=10.0, request_interval=None)
    try:
        async with OpenDentalClient(settings) as client:
            probe = await client.probe()
    except OpenDentalError as exc:
        return ConnectionTest(
            ok=False, reachable=False, authenticated=False, message=str(exc), server_date_time=None
        )
    return ConnectionTest(
        ok=probe.ok,
        reachable=probe.reachable,
        authenticated=probe.authenticated,
        message=probe.message,
        server_date_time=probe.server_date_time,
    )
