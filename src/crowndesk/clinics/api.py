"""`/api/clinics`."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from crowndesk.auth.dependencies import require
from crowndesk.auth.permissions import Permission
from crowndesk.clinics import service as clinic_service
from crowndesk.clinics.schemas import ClinicRead, ClinicWrite
from crowndesk.core.context import Context
from crowndesk.core.crypto import SecretBox
from crowndesk.core.pagination import Page, PageQuery
from crowndesk.core.routing import DbSession, TransactionalRoute

router = APIRouter(prefix="/api/clinics", tags=["clinics"], route_class=TransactionalRoute)

Reader = Annotated[Context, Depends(require(Permission.clinics_read))]
Manager = Annotated[Context, Depends(require(Permission.clinics_manage))]


def _box(request: Request) -> SecretBox:
    box: SecretBox = request.app.state.secret_box
    return box


Box = Annotated[SecretBox, Depends(_box)]


@router.get("", response_model=Page[ClinicRead])
async def list_clinics(session: DbSession, ctx: Reader, page: PageQuery) -> Page[ClinicRead]:
    result = await clinic_service.list_clinics(session, page)
    return Page[ClinicRead].of(result, [clinic_service.to_read(c) for c in result.items])


@router.post("", response_model=ClinicRead, status_code=status.HTTP_201_CREATED)
async def create_clinic(
    body: ClinicWrite, session: DbSession, ctx: Manager, box: Box
) -> ClinicRead:
    """Add a clinic. Open Dental keys are stored encrypted and never returned."""
    return clinic_service.to_read(await clinic_service.create_clinic(session, box, body))


@router.get("/{clinic_id}", response_model=ClinicRead)
async def read_clinic(clinic_id: uuid.UUID, session: DbSession, ctx: Reader) -> ClinicRead:
    return clinic_service.to_read(await clinic_service.get_clinic(session, clinic_id))


@router.put("/{clinic_id}", response_model=ClinicRead)
async def replace_clinic(
    clinic_id: uuid.UUID, body: ClinicWrite, session: DbSession, ctx: Manager, box: Box
) -> ClinicRead:
    """Replace a clinic's settings. Omitted Open Dental keys keep the stored ones."""
    clinic = await clinic_service.replace_clinic(session, box, clinic_id, body)
    return clinic_service.to_read(clinic)


@router.delete("/{clinic_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_clinic(clinic_id: uuid.UUID, session: DbSession, ctx: Manager) -> None:
    """Retire a clinic: it disappears from lists and its scheduled syncs stop."""
    await clinic_service.delete_clinic(session, clinic_id)
