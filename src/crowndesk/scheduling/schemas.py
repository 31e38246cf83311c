"""Providers, operatories and appointments on the wire."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from crowndesk.core.mirror import MirroredRead
from crowndesk.scheduling.models import AppointmentStatus, ProviderStatus


class ProviderRead(MirroredRead):
    abbreviation: str | None
    first_name: str | None
    last_name: str | None
    middle_initial: str | None
    suffix: str | None
    preferred_name: str | None
    specialty: int | None
    npi: str | None
    state_license: str | None
    is_hygienist: bool
    is_hidden: bool
    is_not_person: bool
    status: ProviderStatus
    birth_date: date | None


class OperatoryRead(MirroredRead):
    name: str | None
    abbreviation: str | None
    item_order: int
    is_hidden: bool
    is_hygiene: bool
    is_web_sched: bool
    dentist_id: uuid.UUID | None
    hygienist_id: uuid.UUID | None


class AppointmentRead(MirroredRead):
    patient_id: uuid.UUID
    provider_id: uuid.UUID | None
    hygienist_id: uuid.UUID | None
    operatory_id: uuid.UUID | None
    # The office's wall-clock time, as Open Dental keeps it (no zone).
    start: datetime | None
    duration_minutes: int | None
    pattern: str | None
    status: AppointmentStatus
    confirmed: int | None
    note: str | None
    is_new_patient: bool
    is_hygiene: bool
    procedure_description: str | None
    priority: str | None
    arrived_at: datetime | None
    seated_at: datetime | None
    dismissed_at: datetime | None
