"""Treatment plans and their planned procedures on the wire."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from crowndesk.core.mirror import MirroredRead
from crowndesk.core.schema import Money
from crowndesk.procedures.models import ProcedureStatus
from crowndesk.treatment.models import (
    PlannedProcedureKind,
    TreatmentPlanStatus,
    TreatmentPlanType,
)


class PlannedProcedureRead(MirroredRead):
    """A procedure on a plan. A saved plan's row is a frozen copy with its own amounts; an
    active or inactive plan's row links a live procedure, whose code, description, tooth,
    surface, fee, discount and status are shown here."""

    kind: PlannedProcedureKind
    treatment_plan_id: uuid.UUID
    procedure_id: uuid.UUID | None
    patient_id: uuid.UUID | None
    priority: int | None
    item_order: int | None
    code: str | None
    description: str | None
    tooth: str | None
    surface: str | None
    fee: Money | None
    primary_insurance_amount: Money | None
    secondary_insurance_amount: Money | None
    patient_amount: Money | None
    discount: Money | None
    procedure_status: ProcedureStatus | None = None


class TreatmentPlanRead(MirroredRead):
    patient_id: uuid.UUID
    responsible_party_id: uuid.UUID | None
    plan_date: date | None
    heading: str | None
    note: str | None
    status: TreatmentPlanStatus
    type: TreatmentPlanType
    is_signed: bool
    is_signed_by_practice: bool
    # Office wall-clock times, as Open Dental keeps them.
    signed_at: datetime | None
    practice_signed_at: datetime | None
    signature_text: str | None
    practice_signature_text: str | None
    planned_procedures: list[PlannedProcedureRead] = []
