"""Treatment plans and planned procedures, mirrored from Open Dental."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from crowndesk.db.base import Base, SyncedMixin, synced_table_args


class TreatmentPlanStatus(enum.StrEnum):
    saved = "saved"  # a signed or printed copy: its procedures are frozen (proctps)
    active = "active"
    inactive = "inactive"


class TreatmentPlanType(enum.StrEnum):
    insurance = "insurance"
    discount = "discount"


class PlannedProcedureKind(enum.StrEnum):
    attached = "attached"  # an active/inactive plan's link to a live procedure
    saved = "saved"  # a saved plan's frozen copy of a procedure


class TreatmentPlan(SyncedMixin, Base):
    __tablename__ = "treatment_plans"
    __entity__ = "treatment_plan"
    __table_args__ = synced_table_args(
        "treatment_plans", Index("ix_treatment_plans_patient", "patient_id")
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), nullable=False)
    responsible_party_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("patients.id"))
    plan_date: Mapped[date | None] = mapped_column(Date)
    heading: Mapped[str | None] = mapped_column(String)
    note: Mapped[str | None] = mapped_column(String)
    status: Mapped[TreatmentPlanStatus] = mapped_column(
        Enum(TreatmentPlanStatus, name="treatment_plan_status", native_enum=False, length=10),
        nullable=False,
    )
    type: Mapped[TreatmentPlanType] = mapped_column(
        Enum(TreatmentPlanType, name="treatment_plan_type", native_enum=False, length=10),
        nullable=False,
    )
    is_signed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    is_signed_by_practice: Mapped[bool] = mapped_column(Boolean, nullable=False)
    # Office wall-clock times, as Open Dental keeps them.
    signed_at: Mapped[datetime | None] = mapped_column(DateTime)
    practice_signed_at: Mapped[datetime | None] = mapped_column(DateTime)
    signature_text: Mapped[str | None] = mapped_column(String)
    practice_signature_text: Mapped[str | None] = mapped_column(String)


class PlannedProcedure(SyncedMixin, Base):
    """A procedure on a treatment plan. Rows come from two resources (see `kind`): an
    active or inactive plan links live procedures (`pms_id` "attach-…", only `priority` of
    its own), a saved plan holds frozen copies with their amounts (`pms_id` "proctp-…")."""

    __tablename__ = "planned_procedures"
    __entity__ = "planned_procedure"
    __table_args__ = synced_table_args(
        "planned_procedures",
        Index("ix_planned_procedures_treatment_plan", "treatment_plan_id"),
    )

    kind: Mapped[PlannedProcedureKind] = mapped_column(
        Enum(PlannedProcedureKind, name="planned_procedure_kind", native_enum=False, length=10),
        nullable=False,
    )
    treatment_plan_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("treatment_plans.id"), nullable=False
    )
    # Always set on links; on a saved copy only while the original procedure is mirrored.
    procedure_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("procedures.id"))
    # Saved copies only (links carry no patient; it is the plan's).
    patient_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("patients.id"))
    priority: Mapped[int | None] = mapped_column(Integer)  # Open Dental definition number
    # Saved copies only: the procedure as it was when the plan was saved.
    item_order: Mapped[int | None] = mapped_column(Integer)
    code: Mapped[str | None] = mapped_column(String)
    description: Mapped[str | None] = mapped_column(String)
    tooth: Mapped[str | None] = mapped_column(String)
    surface: Mapped[str | None] = mapped_column(String)
    fee: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    primary_insurance_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    secondary_insurance_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    patient_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    discount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
