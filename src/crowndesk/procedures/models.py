"""Procedure codes, fee schedules and fees, and procedures with their billing status."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import (
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from crowndesk.db.base import Base, SyncedMixin, TenantMixin, UUIDPrimaryKey, synced_table_args
from crowndesk.db.types import UTCDateTime, utcnow


class ProcedureStatus(enum.StrEnum):
    treatment_planned = "treatment_planned"
    completed = "completed"
    existing_current = "existing_current"
    existing_other = "existing_other"
    referred_out = "referred_out"
    deleted = "deleted"
    condition = "condition"
    estimate = "estimate"  # "treatment planned, inactive" in Open Dental


class BillingStatus(enum.StrEnum):
    unbilled = "unbilled"
    pending_claim = "pending_claim"
    claimed = "claimed"
    paid = "paid"
    denied = "denied"
    write_off = "write_off"


class FeeScheduleType(enum.StrEnum):
    normal = "normal"
    copay = "copay"
    out_of_network = "out_of_network"
    fixed_benefit = "fixed_benefit"
    manual_blue_book = "manual_blue_book"


class ProcedureCode(SyncedMixin, Base):
    __tablename__ = "procedure_codes"
    __entity__ = "procedure_code"
    __table_args__ = synced_table_args(
        "procedure_codes", Index("ix_procedure_codes_code", "tenant_id", "code")
    )

    code: Mapped[str] = mapped_column(String, nullable=False)
    description: Mapped[str | None] = mapped_column(String)
    abbreviation: Mapped[str | None] = mapped_column(String)
    category: Mapped[str | None] = mapped_column(String)
    treat_area: Mapped[str | None] = mapped_column(String)
    time_pattern: Mapped[str | None] = mapped_column(String)
    typical_duration_minutes: Mapped[int | None] = mapped_column(Integer)
    layman_term: Mapped[str | None] = mapped_column(String)
    is_hygiene: Mapped[bool] = mapped_column(Boolean, nullable=False)
    is_prosthesis: Mapped[bool] = mapped_column(Boolean, nullable=False)
    no_bill_insurance: Mapped[bool] = mapped_column(Boolean, nullable=False)
    is_radiology: Mapped[bool] = mapped_column(Boolean, nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False)


class FeeSchedule(SyncedMixin, Base):
    __tablename__ = "fee_schedules"
    __entity__ = "fee_schedule"
    __table_args__ = synced_table_args("fee_schedules")

    description: Mapped[str | None] = mapped_column(String)
    type: Mapped[FeeScheduleType] = mapped_column(
        Enum(FeeScheduleType, name="fee_schedule_type", native_enum=False, length=20),
        nullable=False,
    )
    item_order: Mapped[int] = mapped_column(Integer, nullable=False)
    is_hidden: Mapped[bool] = mapped_column(Boolean, nullable=False)
    is_global: Mapped[bool] = mapped_column(Boolean, nullable=False)


class Fee(SyncedMixin, Base):
    __tablename__ = "fees"
    __entity__ = "fee"
    __table_args__ = synced_table_args(
        "fees", Index("ix_fees_schedule_code", "fee_schedule_id", "procedure_code_id")
    )

    fee_schedule_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("fee_schedules.id"), nullable=False
    )
    procedure_code_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("procedure_codes.id"), nullable=False
    )
    provider_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("providers.id"))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False)


class Procedure(SyncedMixin, Base):
    __tablename__ = "procedures"
    __entity__ = "procedure"
    __table_args__ = synced_table_args(
        "procedures",
        Index("ix_procedures_patient", "patient_id"),
        # The completed-procedures list and its statistics: newest first within a tenant,
        # optionally one billing status; covering, so counts and sums never touch the table.
        Index(
            "ix_procedures_completed_billing",
            "tenant_id",
            "billing_status",
            "proc_date",
            "id",
            postgresql_include=["fee", "clinic_id"],
            postgresql_where=text("status = 'completed'"),
            sqlite_where=text("status = 'completed'"),
        ),
        Index(
            "ix_procedures_completed_date",
            "tenant_id",
            "proc_date",
            "id",
            postgresql_include=["fee", "clinic_id", "billing_status"],
            postgresql_where=text("status = 'completed'"),
            sqlite_where=text("status = 'completed'"),
        ),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), nullable=False)
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("appointments.id"))
    procedure_code_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("procedure_codes.id"), nullable=False
    )
    provider_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("providers.id"))
    code: Mapped[str | None] = mapped_column(String)
    description: Mapped[str | None] = mapped_column(String)
    proc_date: Mapped[date | None] = mapped_column(Date)
    tooth_number: Mapped[str | None] = mapped_column(String)
    tooth_range: Mapped[str | None] = mapped_column(String)
    surface: Mapped[str | None] = mapped_column(String)
    fee: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False)
    discount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    status: Mapped[ProcedureStatus] = mapped_column(
        Enum(ProcedureStatus, name="procedure_status", native_enum=False, length=20),
        nullable=False,
    )
    diagnosis: Mapped[str | None] = mapped_column(String)
    priority: Mapped[str | None] = mapped_column(String)
    place_of_service: Mapped[str | None] = mapped_column(String)
    prosthesis: Mapped[str | None] = mapped_column(String)
    unit_quantity: Mapped[int | None] = mapped_column(Integer)
    completed_entry_date: Mapped[date | None] = mapped_column(Date)
    claim_note: Mapped[str | None] = mapped_column(String)
    billing_note: Mapped[str | None] = mapped_column(String)
    # Local billing state: set to unbilled when first seen completed, never touched by the sync.
    billing_status: Mapped[BillingStatus | None] = mapped_column(
        Enum(BillingStatus, name="billing_status", native_enum=False, length=16)
    )
    claim_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # Derived by the sync for search: folded code, description, tooth and surface.
    search_key: Mapped[str] = mapped_column(String, default="", nullable=False)


class BillingEvent(UUIDPrimaryKey, TenantMixin, Base):
    """One change of a procedure's billing status, by whom and why (append-only)."""

    __tablename__ = "procedure_billing_events"
    __entity__ = "procedure_billing_event"
    __audited__: ClassVar[bool] = False  # the move itself is logged against the procedure
    __table_args__ = (Index("ix_procedure_billing_events_procedure", "procedure_id", "at"),)

    procedure_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("procedures.id", ondelete="CASCADE"), nullable=False
    )
    from_status: Mapped[BillingStatus | None] = mapped_column(
        Enum(BillingStatus, name="billing_status", native_enum=False, length=16)
    )
    to_status: Mapped[BillingStatus] = mapped_column(
        Enum(BillingStatus, name="billing_status", native_enum=False, length=16), nullable=False
    )
    claim_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    reason: Mapped[str | None] = mapped_column(String(1000))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
