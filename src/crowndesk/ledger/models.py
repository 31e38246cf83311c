"""Patient payments, their splits and adjustments, mirrored from Open Dental.

These are Open Dental's own ledger rows as it holds them; CrownDesk's append-only ledger
(transactions, balances, statements) is built from them, never by editing them.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import Date, Enum, ForeignKey, Index, Integer, Numeric, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from crowndesk.db.base import Base, SyncedMixin, synced_table_args


class PaymentProcessStatus(enum.StrEnum):
    office_processed = "office_processed"
    online_processed = "online_processed"
    online_pending = "online_pending"


class Payment(SyncedMixin, Base):
    __tablename__ = "payments"
    __entity__ = "payment"
    __table_args__ = synced_table_args("payments", Index("ix_payments_patient", "patient_id"))

    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), nullable=False)
    pay_date: Mapped[date | None] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False)  # the splits' sum
    pay_type: Mapped[int | None] = mapped_column(Integer)  # definition number; 0 = transfer
    check_number: Mapped[str | None] = mapped_column(String)
    bank_branch: Mapped[str | None] = mapped_column(String)
    note: Mapped[str | None] = mapped_column(String)
    entry_date: Mapped[date | None] = mapped_column(Date)
    process_status: Mapped[PaymentProcessStatus] = mapped_column(
        Enum(PaymentProcessStatus, name="payment_process_status", native_enum=False, length=18),
        nullable=False,
    )
    # The card processor or program that took it (Open Dental's name); empty for none.
    payment_source: Mapped[str | None] = mapped_column(String)


class PaymentSplit(SyncedMixin, Base):
    """The part of a payment credited to one patient (and procedure, provider)."""

    __tablename__ = "payment_splits"
    __entity__ = "payment_split"
    __table_args__ = synced_table_args(
        "payment_splits",
        Index("ix_payment_splits_payment", "payment_id"),
        Index("ix_payment_splits_patient", "patient_id"),
    )

    payment_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("payments.id"), nullable=False)
    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), nullable=False)
    procedure_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("procedures.id"))
    provider_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("providers.id"))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False)
    pay_date: Mapped[date | None] = mapped_column(Date)
    entry_date: Mapped[date | None] = mapped_column(Date)
    # Definition number; non-zero marks a prepayment (unearned income).
    unearned_type: Mapped[int | None] = mapped_column(Integer)


class Adjustment(SyncedMixin, Base):
    __tablename__ = "adjustments"
    __entity__ = "adjustment"
    __table_args__ = synced_table_args("adjustments", Index("ix_adjustments_patient", "patient_id"))

    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), nullable=False)
    procedure_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("procedures.id"))
    provider_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("providers.id"))
    adjustment_date: Mapped[date | None] = mapped_column(Date)
    # Positive adds to what the patient owes, negative takes off.
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False)
    adjustment_type: Mapped[int | None] = mapped_column(Integer)  # definition number
    note: Mapped[str | None] = mapped_column(String)
    proc_date: Mapped[date | None] = mapped_column(Date)
    entry_date: Mapped[date | None] = mapped_column(Date)
