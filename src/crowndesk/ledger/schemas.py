"""Open Dental's payments, splits and adjustments on the wire."""

from __future__ import annotations

import uuid
from datetime import date

from crowndesk.core.mirror import MirroredRead
from crowndesk.core.schema import Money
from crowndesk.ledger.models import PaymentProcessStatus


class PaymentSplitRead(MirroredRead):
    """The part of a payment credited to one patient (and procedure, provider)."""

    payment_id: uuid.UUID
    patient_id: uuid.UUID
    procedure_id: uuid.UUID | None
    provider_id: uuid.UUID | None
    amount: Money
    pay_date: date | None
    entry_date: date | None
    unearned_type: int | None


class PaymentRead(MirroredRead):
    patient_id: uuid.UUID
    pay_date: date | None
    amount: Money
    pay_type: int | None
    check_number: str | None
    bank_branch: str | None
    note: str | None
    entry_date: date | None
    process_status: PaymentProcessStatus
    payment_source: str | None
    splits: list[PaymentSplitRead] = []


class AdjustmentRead(MirroredRead):
    patient_id: uuid.UUID
    procedure_id: uuid.UUID | None
    provider_id: uuid.UUID | None
    adjustment_date: date | None
    # Positive adds to what the patient owes, negative takes off.
    amount: Money
    adjustment_type: int | None
    note: str | None
    proc_date: date | None
    entry_date: date | None
