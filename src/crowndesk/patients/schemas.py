"""Patients and families on the wire."""

from __future__ import annotations

import uuid
from datetime import date

from crowndesk.core.mirror import MirroredRead
from crowndesk.insurance.schemas import PatientPlanRead
from crowndesk.patients.models import Gender, PatientStatus, Position


class PatientRead(MirroredRead):
    first_name: str | None
    last_name: str | None
    middle_initial: str | None
    preferred_name: str | None
    birth_date: date | None
    gender: Gender | None
    status: PatientStatus
    position: Position | None
    email: str | None
    wireless_phone: str | None
    home_phone: str | None
    work_phone: str | None
    address: str | None
    address2: str | None
    city: str | None
    state: str | None
    zip: str | None
    chart_number: str | None
    language: str | None
    first_visit_date: date | None
    text_ok: bool | None
    primary_provider_id: uuid.UUID | None
    secondary_provider_id: uuid.UUID | None
    # A guarantor's `guarantor_id` is its own id; `family_id` is the family its guarantor heads.
    guarantor_id: uuid.UUID | None
    family_id: uuid.UUID | None


class PatientDetail(PatientRead):
    guarantor: PatientRead | None = None
    # Everyone in the patient's family, the patient too, guarantor first.
    family_members: list[PatientRead] = []
    # Primary first.
    patient_plans: list[PatientPlanRead] = []


class FamilyRead(MirroredRead):
    """Everyone who shares a guarantor; `pmsId` is the guarantor's Open Dental key."""

    guarantor_id: uuid.UUID
    guarantor: PatientRead | None = None
    # Guarantor first.
    members: list[PatientRead] = []
