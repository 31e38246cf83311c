"""Claims, claim procedures (every insurance line, estimates included) and insurance
payments, mirrored from Open Dental."""

from __future__ import annotations

import enum
import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import Boolean, Date, Enum, ForeignKey, Index, Integer, Numeric, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from crowndesk.db.base import Base, SyncedMixin, synced_table_args
from crowndesk.insurance.models import Relationship


class ClaimStatus(enum.StrEnum):
    unsent = "unsent"
    hold_until_primary = "hold_until_primary"
    waiting = "waiting"  # in the send queue
    sent = "sent"
    received = "received"
    hold_in_process = "hold_in_process"


class ClaimProcedureStatus(enum.StrEnum):
    not_received = "not_received"
    received = "received"
    preauth = "preauth"
    adjustment = "adjustment"  # a benefit-usage adjustment, never on a claim
    supplemental = "supplemental"
    cap_claim = "cap_claim"
    estimate = "estimate"
    cap_complete = "cap_complete"
    cap_estimate = "cap_estimate"
    ins_hist = "ins_hist"


class Claim(SyncedMixin, Base):
    __tablename__ = "claims"
    __entity__ = "claim"
    __table_args__ = synced_table_args(
        "claims",
        Index("ix_claims_patient", "patient_id"),
        Index("ix_claims_plan", "insurance_plan_id"),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), nullable=False)
    insurance_plan_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("insurance_plans.id")
    )
    insurance_subscriber_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("insurance_subscribers.id")
    )
    secondary_insurance_plan_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("insurance_plans.id")
    )
    # Named by hand: the conventional name is longer than PostgreSQL's 63 characters.
    secondary_insurance_subscriber_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid,
        ForeignKey("insurance_subscribers.id", name="fk_claims_secondary_insurance_subscriber_id"),
    )
    treating_provider_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("providers.id"))
    billing_provider_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("providers.id"))
    status: Mapped[ClaimStatus] = mapped_column(
        Enum(ClaimStatus, name="claim_status", native_enum=False, length=20), nullable=False
    )
    claim_type: Mapped[str | None] = mapped_column(String)  # P, S, PreAuth, Other, Cap
    service_date: Mapped[date | None] = mapped_column(Date)
    sent_date: Mapped[date | None] = mapped_column(Date)
    received_date: Mapped[date | None] = mapped_column(Date)
    fee: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False)
    insurance_estimate: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False)
    insurance_paid: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False)
    deductible_applied: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False)
    write_off: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False)
    note: Mapped[str | None] = mapped_column(String)
    reason_underpaid: Mapped[str | None] = mapped_column(String)
    prior_authorization_number: Mapped[str | None] = mapped_column(String)
    patient_relationship: Mapped[Relationship] = mapped_column(
        Enum(Relationship, name="relationship", native_enum=False, length=20), nullable=False
    )


class ClaimPayment(SyncedMixin, Base):
    """An insurance check or transfer; its lines are the claim procedures that point at it."""

    __tablename__ = "claim_payments"
    __entity__ = "claim_payment"
    __table_args__ = synced_table_args("claim_payments")

    check_date: Mapped[date | None] = mapped_column(Date)  # the date it was entered
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False)
    check_number: Mapped[str | None] = mapped_column(String)
    bank_branch: Mapped[str | None] = mapped_column(String)
    note: Mapped[str | None] = mapped_column(String)
    carrier_name: Mapped[str | None] = mapped_column(String)
    issued_date: Mapped[date | None] = mapped_column(Date)  # the date on the check
    is_partial: Mapped[bool] = mapped_column(Boolean, nullable=False)
    pay_type: Mapped[int | None] = mapped_column(Integer)  # Open Dental definition number


class ClaimProcedure(SyncedMixin, Base):
    """One insurance line of a procedure: an estimate (no claim), a line of a claim, or a
    by-total payment or supplemental line (no procedure)."""

    __tablename__ = "claim_procedures"
    __entity__ = "claim_procedure"
    __table_args__ = synced_table_args(
        "claim_procedures",
        Index("ix_claim_procedures_claim", "claim_id"),
        Index("ix_claim_procedures_procedure", "procedure_id"),
        Index("ix_claim_procedures_patient", "patient_id"),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), nullable=False)
    procedure_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("procedures.id"))
    claim_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("claims.id"))
    provider_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("providers.id"))
    insurance_plan_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("insurance_plans.id")
    )
    # Named by hand, as on claims.
    insurance_subscriber_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid,
        ForeignKey("insurance_subscribers.id", name="fk_claim_procedures_insurance_subscriber_id"),
    )
    claim_payment_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("claim_payments.id")
    )
    status: Mapped[ClaimProcedureStatus] = mapped_column(
        Enum(ClaimProcedureStatus, name="claim_procedure_status", native_enum=False, length=14),
        nullable=False,
    )
    fee_billed: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False)
    insurance_estimate: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False)
    deductible_applied: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False)
    insurance_paid: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False)
    write_off: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False)
    payment_date: Mapped[date | None] = mapped_column(Date)
    proc_date: Mapped[date | None] = mapped_column(Date)
    code_sent: Mapped[str | None] = mapped_column(String)
    remarks: Mapped[str | None] = mapped_column(String)
    percentage: Mapped[int | None] = mapped_column(Integer)
