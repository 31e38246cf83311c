"""Reads of the mirrored patients and families: search, a patient's record with family,
guarantor and coverage, a family. Every function that returns patients' records logs the
read (`read_phi`) of each patient it returns."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from crowndesk.audit.service import read_phi
from crowndesk.core.errors import Unprocessable, not_found
from crowndesk.core.mirror import MirrorFilters
from crowndesk.core.pagination import PageParams, PageResult, paginate
from crowndesk.core.text import digits, like_pattern
from crowndesk.insurance import service as insurance_service
from crowndesk.patients.models import Family, Patient, PatientStatus
from crowndesk.patients.schemas import FamilyRead, PatientDetail, PatientRead
from crowndesk.scheduling import service as scheduling_service
from crowndesk.scheduling.schemas import AppointmentRead

MIN_PHONE_DIGITS = 3


@dataclass(frozen=True, slots=True)
class PatientSearch:
    """What to look for; every given criterion must hold.

    `name`: each word must occur in the folded name ("last first preferred middle"), case
    and accents ignored. `phone`: its digits must occur in one of the phone numbers.
    `text`: one box for all three — an ISO date is a birth date, digits and punctuation a
    phone number, anything else names.
    """

    name: str | None = None
    birth_date: date | None = None
    phone: str | None = None
    text: str | None = None
    statuses: tuple[PatientStatus, ...] = field(default=())


def search_query(filters: MirrorFilters, search: PatientSearch) -> Select[Any]:
    stmt = filters.apply(select(Patient), Patient)
    name, birth_date, phone = search.name, search.birth_date, search.phone
    if search.text and search.text.strip():
        kind, value = _classify(search.text)
        if kind == "birth_date":
            stmt = stmt.where(Patient.birth_date == value)
        elif kind == "phone":
            stmt = _phone_filter(stmt, str(value))
        else:
            stmt = _name_filter(stmt, str(value))
    if name:
        stmt = _name_filter(stmt, name)
    if birth_date is not None:
        stmt = stmt.where(Patient.birth_date == birth_date)
    if phone is not None:
        if len(digits(phone)) == 0:
            raise Unprocessable("phone: give at least one digit.")
        stmt = _phone_filter(stmt, phone)
    if search.statuses:
        stmt = stmt.where(Patient.status.in_(search.statuses))
    return stmt.order_by(*PATIENT_ORDER)


PATIENT_ORDER = (
    Patient.last_name.asc().nulls_last(),
    Patient.first_name.asc().nulls_last(),
    Patient.id,
)


def _classify(text: str) -> tuple[str, object]:
    term = text.strip()
    try:
        return "birth_date", date.fromisoformat(term)
    except ValueError:
        pass
    if not any(c.isalpha() for c in term) and len(digits(term)) >= MIN_PHONE_DIGITS:
        return "phone", term
    return "name", term


def _name_filter(stmt: Select[Any], name: str) -> Select[Any]:
    for word in name.split():
        stmt = stmt.where(Patient.name_key.like(like_pattern(word), escape="\\"))
    return stmt


def _phone_filter(stmt: Select[Any], phone: str) -> Select[Any]:
    return stmt.where(Patient.phone_key.like(like_pattern(digits(phone)), escape="\\"))


async def search_patients(
    session: AsyncSession, filters: MirrorFilters, search: PatientSearch, page: PageParams
) -> PageResult[Patient]:
    """One page of the patients found, by last name, first name; logs their reads."""
    result: PageResult[Patient] = await paginate(session, search_query(filters, search), page)
    await read_phi(session, (p.id for p in result.items))
    return result


async def get_patient(
    session: AsyncSession, patient_id: uuid.UUID, *, include_deleted: bool = False
) -> Patient:
    """The patient, without logging a read. NotFound if absent, of another tenant, or
    deleted in Open Dental (unless `include_deleted`)."""
    stmt = select(Patient).where(Patient.id == patient_id)
    if not include_deleted:
        stmt = stmt.where(Patient.pms_deleted_at.is_(None))
    patient = await session.scalar(stmt)
    if patient is None:
        raise not_found("Patient", patient_id)
    return patient


async def patients_by_id(
    session: AsyncSession, patient_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Patient]:
    """The tenant's patients among `patient_ids` (deleted ones too), in one query, without
    logging a read: for a caller that shows what another service already logged."""
    ids = list(dict.fromkeys(patient_ids))
    if not ids:
        return {}
    return {p.id: p for p in await session.scalars(select(Patient).where(Patient.id.in_(ids)))}


async def get_patient_detail(
    session: AsyncSession, patient_id: uuid.UUID, *, include_deleted: bool = False
) -> PatientDetail:
    """The patient with guarantor, family members (guarantor first) and coverage in ordinal
    order; logs the read of each patient shown (members, guarantor, subscribers)."""
    patient = await get_patient(session, patient_id, include_deleted=include_deleted)
    members = (
        await _members(session, patient.family_id, patient.guarantor_id, include_deleted)
        if patient.family_id is not None
        else []
    )
    guarantor = await _guarantor(session, patient.guarantor_id, members)
    plans = await insurance_service.patient_plans(
        session, patient.id, include_deleted=include_deleted
    )
    detail = PatientDetail.model_validate(patient).model_copy(
        update={
            "guarantor": guarantor,
            "family_members": members,
            "patient_plans": plans,
        }
    )
    await read_phi(
        session,
        [
            patient.id,
            *(m.id for m in members),
            guarantor.id if guarantor else None,
            *insurance_service.subscriber_ids(plans),
        ],
    )
    return detail


@dataclass(frozen=True, slots=True)
class PatientOverview:
    """What a patient's page shows: the record with family, guarantor and coverage, and
    every appointment (by start; unscheduled ones last)."""

    patient: PatientDetail
    appointments: list[AppointmentRead]


async def get_patient_overview(
    session: AsyncSession, patient_id: uuid.UUID, *, include_deleted: bool = False
) -> PatientOverview:
    detail = await get_patient_detail(session, patient_id, include_deleted=include_deleted)
    # The appointments are the patient's own: `get_patient_detail` logged that read.
    stmt = scheduling_service.appointment_query(
        MirrorFilters(include_deleted=include_deleted),
        scheduling_service.AppointmentCriteria(patient_id=patient_id),
    )
    appointments = [AppointmentRead.model_validate(a) for a in await session.scalars(stmt)]
    return PatientOverview(detail, appointments)


async def get_family(
    session: AsyncSession, family_id: uuid.UUID, *, include_deleted: bool = False
) -> FamilyRead:
    """A family: its guarantor and members (guarantor first); logs their reads."""
    stmt = select(Family).where(Family.id == family_id)
    if not include_deleted:
        stmt = stmt.where(Family.pms_deleted_at.is_(None))
    family = await session.scalar(stmt)
    if family is None:
        raise not_found("Family", family_id)
    members = await _members(session, family.id, family.guarantor_id, include_deleted)
    guarantor = await _guarantor(session, family.guarantor_id, members)
    await read_phi(session, [*(m.id for m in members), guarantor.id if guarantor else None])
    return FamilyRead.model_validate(family).model_copy(
        update={"guarantor": guarantor, "members": members}
    )


async def _members(
    session: AsyncSession,
    family_id: uuid.UUID | None,
    guarantor_id: uuid.UUID | None,
    include_deleted: bool,
) -> list[PatientRead]:
    stmt = select(Patient).where(Patient.family_id == family_id)
    if not include_deleted:
        stmt = stmt.where(Patient.pms_deleted_at.is_(None))
    rows = list(await session.scalars(stmt.order_by(*PATIENT_ORDER)))
    rows.sort(key=lambda p: p.id != guarantor_id)  # stable: the rest keep the name order
    return to_reads(rows)


async def _guarantor(
    session: AsyncSession, guarantor_id: uuid.UUID | None, members: list[PatientRead]
) -> PatientRead | None:
    # Shown even when deleted in Open Dental: the patient's `guarantorId` names it anyway.
    if guarantor_id is None:
        return None
    for member in members:
        if member.id == guarantor_id:
            return member
    row = await session.scalar(select(Patient).where(Patient.id == guarantor_id))
    return PatientRead.model_validate(row) if row is not None else None


def to_reads(patients: Iterable[Patient]) -> list[PatientRead]:
    return [PatientRead.model_validate(p) for p in patients]
