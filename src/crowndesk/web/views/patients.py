"""Patients (search, a patient's page) and the schedule (a day by operatory), on the same
read services as the JSON API. Those services log every patient record they return."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from crowndesk.auth.permissions import Permission
from crowndesk.core.dates import DateRange
from crowndesk.core.mirror import MirrorFilters
from crowndesk.core.pagination import PageParams
from crowndesk.core.routing import DbSession, TransactionalRoute
from crowndesk.patients import service as patient_service
from crowndesk.patients.service import PatientSearch
from crowndesk.procedures import service as procedure_service
from crowndesk.procedures.service import CompletedFilters
from crowndesk.scheduling import service as scheduling_service
from crowndesk.scheduling.models import Appointment, AppointmentStatus, Operatory, Provider
from crowndesk.scheduling.service import AppointmentCriteria
from crowndesk.web.forms import Problems, parse_date, parse_offset
from crowndesk.web.rendering import Page, Pager, is_partial, page_for, render

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)

Reader = Annotated[Page, page_for(Permission.records_read)]
LOOKUP = PageParams(limit=500)
# The day view's grid: pixels per minute and the hours always shown.
PX_PER_MINUTE = 1.6
DAY_START, DAY_END = 7, 18


def provider_name(provider: Provider | None) -> str | None:
    if provider is None:
        return None
    if provider.first_name or provider.last_name:
        return procedure_service.person_name(provider.first_name, provider.last_name)
    return provider.abbreviation


async def _providers(session: AsyncSession, page: Page) -> dict[uuid.UUID, str | None]:
    rows = await scheduling_service.list_providers(
        session, MirrorFilters(clinic_id=page.clinic_id, include_deleted=True), LOOKUP
    )
    return {p.id: provider_name(p) for p in rows.items}


async def _patient_names(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    patients = await patient_service.patients_by_id(session, ids)
    return {
        patient_id: procedure_service.person_name(p.first_name, p.last_name)
        for patient_id, p in patients.items()
    }


# --- patients -------------------------------------------------------------------------------


@router.get("/patients")
async def show_patients(
    request: Request,
    session: DbSession,
    page: Reader,
    q: Annotated[str, Query(max_length=200)] = "",
    offset: Annotated[str, Query(max_length=12)] = "",
) -> Response:
    result = await patient_service.search_patients(
        session,
        MirrorFilters(clinic_id=page.clinic_id),
        PatientSearch(text=q.strip() or None),
        PageParams(limit=50, offset=parse_offset(offset)),
    )
    context: dict[str, Any] = {
        "q": q.strip(),
        "rows": result.items,
        "paging": Pager(result.total, result.limit, result.offset),
        "params": {"q": q.strip()},
        "today": page.today(),
    }
    if is_partial(request) and request.headers.get("hx-target") == "patient-results":
        return render(page, request, "patients/_results.html", **context)
    return render(page, request, "patients/list.html", **context)


@router.get("/patients/{patient_id}")
async def show_patient(
    patient_id: uuid.UUID, request: Request, session: DbSession, page: Reader
) -> Response:
    overview = await patient_service.get_patient_overview(session, patient_id)
    procedures = await procedure_service.list_completed(
        session, CompletedFilters(patient_id=patient_id), limit=100
    )
    providers = await _providers(session, page)
    now = datetime.now(page.tz).replace(tzinfo=None)
    upcoming = [
        a
        for a in overview.appointments
        if a.start is not None and a.start >= now and a.status is AppointmentStatus.scheduled
    ]
    # The service orders by start, unscheduled last: past visits newest first, then those.
    earlier = [a for a in overview.appointments if a not in upcoming]
    past = [a for a in earlier if a.start is not None][::-1] + [
        a for a in earlier if a.start is None
    ]
    return render(
        page,
        request,
        "patients/detail.html",
        p=overview.patient,
        upcoming=upcoming,
        past=past[:50],
        past_total=len(past),
        procedures=procedures.items,
        procedures_total=procedures.total,
        providers=providers,
        today=page.today(),
    )


# --- schedule -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Block:
    """One appointment placed on the day grid."""

    appointment: Appointment
    patient_name: str
    provider_name: str | None
    top: float
    height: float

    @property
    def end(self) -> datetime | None:
        start = self.appointment.start
        return start + timedelta(minutes=self.minutes) if start else None

    @property
    def minutes(self) -> int:
        return self.appointment.duration_minutes or 10


@dataclass(frozen=True, slots=True)
class Column:
    operatory: Operatory | None
    blocks: list[Block]

    @property
    def name(self) -> str:
        if self.operatory is None:
            return "No operatory"
        return self.operatory.name or self.operatory.abbreviation or "Operatory"


async def day_schedule(
    session: AsyncSession, page: Page, day: date
) -> tuple[list[Column], list[Appointment], int, int]:
    """The day's appointments by operatory, placed on a grid from the first to the last hour."""
    appointments = await scheduling_service.find_appointments(
        session,
        AppointmentCriteria(dates=DateRange(day, day)),
        MirrorFilters(clinic_id=page.clinic_id),
    )
    operatories = (
        await scheduling_service.list_operatories(
            session, MirrorFilters(clinic_id=page.clinic_id), LOOKUP
        )
    ).items
    providers = await _providers(session, page)
    names = await _patient_names(session, [a.patient_id for a in appointments])
    timed = [a for a in appointments if a.start is not None]
    first = min([DAY_START, *(a.start.hour for a in timed if a.start)])
    last = max(
        [
            DAY_END,
            *(
                (a.start + timedelta(minutes=a.duration_minutes or 10)).hour + 1
                for a in timed
                if a.start
            ),
        ]
    )
    last = min(last, 24)
    origin = datetime.combine(day, datetime.min.time()) + timedelta(hours=first)
    by_operatory: dict[uuid.UUID | None, list[Block]] = {}
    for a in timed:
        assert a.start is not None
        minutes = a.duration_minutes or 10
        block = Block(
            appointment=a,
            patient_name=names.get(a.patient_id, "Patient"),
            provider_name=providers.get(a.provider_id) if a.provider_id else None,
            top=(a.start - origin).total_seconds() / 60 * PX_PER_MINUTE,
            height=max(minutes * PX_PER_MINUTE, 22.0),
        )
        by_operatory.setdefault(a.operatory_id, []).append(block)
    columns = [
        Column(op, by_operatory.pop(op.id, []))
        for op in operatories
        if not op.is_hidden or op.id in by_operatory
    ]
    if by_operatory:
        columns.append(Column(None, [b for blocks in by_operatory.values() for b in blocks]))
    untimed = [a for a in appointments if a.start is None]
    return columns, untimed, first, last


@router.get("/schedule")
async def show_schedule(
    request: Request,
    session: DbSession,
    page: Reader,
    day: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    problems = Problems()
    chosen = parse_date(day, "Day", problems) or page.today()
    columns, untimed, first, last = await day_schedule(session, page, chosen)
    hours = list(range(first, last))
    return render(
        page,
        request,
        "schedule/day.html",
        day=chosen,
        previous=(chosen - timedelta(days=1)).isoformat(),
        following=(chosen + timedelta(days=1)).isoformat(),
        columns=columns,
        untimed=untimed,
        hours=hours,
        first_hour=first,
        px=PX_PER_MINUTE,
        height=(last - first) * 60 * PX_PER_MINUTE,
        count=sum(len(c.blocks) for c in columns) + len(untimed),
        problems=problems,
        is_today=chosen == page.today(),
    )


async def todays_appointments(session: AsyncSession, page: Page) -> list[dict[str, Any]]:
    """Today's appointments for the dashboard, by start time."""
    today = page.today()
    appointments = await scheduling_service.find_appointments(
        session,
        AppointmentCriteria(dates=DateRange(today, today)),
        MirrorFilters(clinic_id=page.clinic_id),
    )
    providers = await _providers(session, page)
    names = await _patient_names(session, [a.patient_id for a in appointments])
    return [
        {
            "start": a.start,
            "patient_id": a.patient_id,
            "patient_name": names.get(a.patient_id, "Patient"),
            "provider_name": providers.get(a.provider_id) if a.provider_id else None,
            "procedure_description": a.procedure_description,
            "status": a.status,
        }
        for a in appointments
    ]
