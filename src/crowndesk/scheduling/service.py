"""Reads of the mirrored schedule: providers, operatories and appointments."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from crowndesk.audit.service import read_phi
from crowndesk.core.dates import DateRange
from crowndesk.core.mirror import MirrorFilters
from crowndesk.core.pagination import PageParams, PageResult, paginate
from crowndesk.scheduling.models import Appointment, AppointmentStatus, Operatory, Provider


async def list_providers(
    session: AsyncSession, filters: MirrorFilters, page: PageParams
) -> PageResult[Provider]:
    stmt = filters.apply(select(Provider), Provider).order_by(
        Provider.last_name.asc().nulls_last(),
        Provider.first_name.asc().nulls_last(),
        Provider.id,
    )
    return await paginate(session, stmt, page)


async def list_operatories(
    session: AsyncSession, filters: MirrorFilters, page: PageParams
) -> PageResult[Operatory]:
    """Operatories in the order the office arranged them."""
    stmt = filters.apply(select(Operatory), Operatory).order_by(
        Operatory.item_order, Operatory.name.asc().nulls_last(), Operatory.id
    )
    return await paginate(session, stmt, page)


@dataclass(frozen=True, slots=True)
class AppointmentCriteria:
    """Appointments on the days of `dates` (inclusive; none means any day), of any of
    `statuses`, with this provider (the appointment's `providerId`), in this operatory, of this
    patient."""

    dates: DateRange = field(default_factory=DateRange)
    statuses: tuple[AppointmentStatus, ...] = ()
    provider_id: uuid.UUID | None = None
    operatory_id: uuid.UUID | None = None
    patient_id: uuid.UUID | None = None


def appointment_query(filters: MirrorFilters, criteria: AppointmentCriteria) -> Select[Any]:
    stmt = filters.apply(select(Appointment), Appointment).where(
        criteria.dates.on_times(Appointment.start)
    )
    if criteria.statuses:
        stmt = stmt.where(Appointment.status.in_(criteria.statuses))
    if criteria.provider_id is not None:
        stmt = stmt.where(Appointment.provider_id == criteria.provider_id)
    if criteria.operatory_id is not None:
        stmt = stmt.where(Appointment.operatory_id == criteria.operatory_id)
    if criteria.patient_id is not None:
        stmt = stmt.where(Appointment.patient_id == criteria.patient_id)
    # Unscheduled appointments (no start) last.
    return stmt.order_by(Appointment.start.asc().nulls_last(), Appointment.id)


async def list_appointments(
    session: AsyncSession,
    filters: MirrorFilters,
    criteria: AppointmentCriteria,
    page: PageParams,
) -> PageResult[Appointment]:
    """One page of appointments by start time; logs the read of their patients."""
    result: PageResult[Appointment] = await paginate(
        session, appointment_query(filters, criteria), page
    )
    await read_phi(session, (a.patient_id for a in result.items))
    return result


async def find_appointments(
    session: AsyncSession,
    criteria: AppointmentCriteria,
    filters: MirrorFilters | None = None,
) -> list[Appointment]:
    """Every appointment that matches (a day's schedule, a patient's visits), by start
    time; logs the read of their patients. Give `criteria.dates` for a schedule: there is
    no default window."""
    rows = list(await session.scalars(appointment_query(filters or MirrorFilters(), criteria)))
    await read_phi(session, (a.patient_id for a in rows))
    return rows
