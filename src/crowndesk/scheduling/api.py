"""`/api/providers`, `/api/operatories`, `/api/appointments`."""

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
from crowndesk.scheduling import service as scheduling_service
from crowndesk.scheduling.models import AppointmentStatus
from crowndesk.scheduling.schemas import AppointmentRead, OperatoryRead, ProviderRead

router = APIRouter(prefix="/api", tags=["scheduling"], route_class=TransactionalRoute)

Reader = Annotated[Context, Depends(require(Permission.records_read))]


@router.get("/providers", response_model=Page[ProviderRead])
async def list_providers(
    session: DbSession, ctx: Reader, page: PageQuery, mirror: MirrorQuery
) -> Page[ProviderRead]:
    """Dentists and hygienists, by last name, first name."""
    result = await scheduling_service.list_providers(session, mirror, page)
    return Page[ProviderRead].of(result, [ProviderRead.model_validate(p) for p in result.items])


@router.get("/operatories", response_model=Page[OperatoryRead])
async def list_operatories(
    session: DbSession, ctx: Reader, page: PageQuery, mirror: MirrorQuery
) -> Page[OperatoryRead]:
    """Operatories (chairs) in the office's order."""
    result = await scheduling_service.list_operatories(session, mirror, page)
    return Page[OperatoryRead].of(result, [OperatoryRead.model_validate(o) for o in result.items])


@router.get("/appointments", response_model=Page[AppointmentRead])
async def list_appointments(
    session: DbSession,
    ctx: Reader,
    page: PageQuery,
    mirror: MirrorQuery,
    dates: DateRangeQuery,
    status: Annotated[list[AppointmentStatus] | None, Query()] = None,
    provider_id: Annotated[uuid.UUID | None, Query(alias="providerId")] = None,
    operatory_id: Annotated[uuid.UUID | None, Query(alias="operatoryId")] = None,
    patient_id: Annotated[uuid.UUID | None, Query(alias="patientId")] = None,
) -> Page[AppointmentRead]:
    """Appointments by start time (office wall clock). `dateFrom` and `dateTo` are
    inclusive days; without them every date matches."""
    criteria = scheduling_service.AppointmentCriteria(
        dates=dates,
        statuses=tuple(status or ()),
        provider_id=provider_id,
        operatory_id=operatory_id,
        patient_id=patient_id,
    )
    result = await scheduling_service.list_appointments(session, mirror, criteria, page)
    return Page[AppointmentRead].of(
        result, [AppointmentRead.model_validate(a) for a in result.items]
    )
