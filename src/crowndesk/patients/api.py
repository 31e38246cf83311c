"""`/api/patients`, `/api/families/{id}`."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from crowndesk.auth.dependencies import require
from crowndesk.auth.permissions import Permission
from crowndesk.core.context import Context
from crowndesk.core.mirror import MirrorQuery
from crowndesk.core.pagination import Page, PageQuery
from crowndesk.core.routing import DbSession, TransactionalRoute
from crowndesk.patients import service as patient_service
from crowndesk.patients.models import PatientStatus
from crowndesk.patients.schemas import FamilyRead, PatientDetail, PatientRead

router = APIRouter(prefix="/api", tags=["patients"], route_class=TransactionalRoute)

Reader = Annotated[Context, Depends(require(Permission.records_read))]
IncludeDeleted = Annotated[
    bool, Query(alias="includeDeleted", description="Also when deleted in Open Dental.")
]


@router.get("/patients", response_model=Page[PatientRead])
async def list_patients(
    session: DbSession,
    ctx: Reader,
    page: PageQuery,
    mirror: MirrorQuery,
    search: Annotated[
        str | None,
        Query(
            max_length=200,
            description="A name, a birth date (YYYY-MM-DD) or a phone number.",
        ),
    ] = None,
    name: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Every word must occur in the patient's names; accents and case "
            "do not matter.",
        ),
    ] = None,
    birth_date: Annotated[date | None, Query(alias="birthDate")] = None,
    phone: Annotated[
        str | None,
        Query(max_length=40, description="Digits found in any of the phone numbers."),
    ] = None,
    status: Annotated[list[PatientStatus] | None, Query()] = None,
) -> Page[PatientRead]:
    """Find patients, by last name, first name. Every criterion given must hold."""
    criteria = patient_service.PatientSearch(
        name=name,
        birth_date=birth_date,
        phone=phone,
        text=search,
        statuses=tuple(status or ()),
    )
    result = await patient_service.search_patients(session, mirror, criteria, page)
    return Page[PatientRead].of(result, patient_service.to_reads(result.items))


@router.get("/patients/{patient_id}", response_model=PatientDetail)
async def read_patient(
    patient_id: uuid.UUID, session: DbSession, ctx: Reader, include_deleted: IncludeDeleted = False
) -> PatientDetail:
    """A patient with guarantor, family members (guarantor first) and insurance coverage
    (primary first)."""
    return await patient_service.get_patient_detail(
        session, patient_id, include_deleted=include_deleted
    )


@router.get("/families/{family_id}", response_model=FamilyRead)
async def read_family(
    family_id: uuid.UUID, session: DbSession, ctx: Reader, include_deleted: IncludeDeleted = False
) -> FamilyRead:
    """A family: everyone who shares a guarantor, guarantor first."""
    return await patient_service.get_family(session, family_id, include_deleted=include_deleted)
