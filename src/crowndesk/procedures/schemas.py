"""API models of procedures: completed procedures with their billing status, the billing
moves and their history, procedure codes and fee schedules."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from crowndesk.core.mirror import MirroredRead
from crowndesk.core.schema import InputSchema, Money, Schema
from crowndesk.procedures.models import BillingStatus, FeeScheduleType, ProcedureStatus


class CompletedProcedureRead(Schema):
    id: uuid.UUID
    tenant_id: uuid.UUID
    clinic_id: uuid.UUID
    patient_id: uuid.UUID
    patient_name: str
    appointment_id: uuid.UUID | None
    cdt_code: str | None
    description: str | None
    proc_date: date | None
    tooth_number: str | None
    surface: str | None
    fee: Money
    status: ProcedureStatus
    provider_id: uuid.UUID | None
    provider_name: str | None
    note: str | None = Field(description="Open Dental's billing note.")
    claim_note: str | None
    diag_code: str | None
    billing_status: BillingStatus | None
    claim_id: uuid.UUID | None
    invoice_id: uuid.UUID | None
    pms_source: str
    pms_id: str
    pms_procedure_id: str
    pms_updated_at: datetime | None
    pms_deleted_at: datetime | None
    last_synced_at: datetime | None
    created_at: datetime
    updated_at: datetime


class CompletedProcedurePage(Schema):
    items: list[CompletedProcedureRead]
    total: int
    limit: int
    offset: int
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


class CompletedStats(Schema):
    total: int
    unbilled: int
    pending_claim: int
    claimed: int
    paid: int
    denied: int
    write_off: int
    this_month: int = Field(description="Dated in the current month of the clinic's time zone.")
    total_fees: Money
    unbilled_fees: Money
    in_claims_fees: Money = Field(description="Fees of pending-claim and claimed procedures.")
    paid_fees: Money


ProcedureIds = Annotated[list[uuid.UUID], Field(min_length=1, max_length=1000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class MarkClaimPending(InputSchema):
    procedure_ids: ProcedureIds
    claim_id: uuid.UUID


class MarkProcedures(InputSchema):
    procedure_ids: ProcedureIds


class MarkWithReason(InputSchema):
    procedure_ids: ProcedureIds
    reason: Reason


class BillingMoveResult(Schema):
    updated: int
    items: list[CompletedProcedureRead]


class BillingEventRead(Schema):
    id: uuid.UUID
    procedure_id: uuid.UUID
    from_status: BillingStatus | None
    to_status: BillingStatus
    claim_id: uuid.UUID | None
    reason: str | None
    actor_id: uuid.UUID | None
    at: datetime


class CompletedSort(enum.StrEnum):
    proc_date_desc = "-procDate"
    proc_date = "procDate"
    fee_desc = "-fee"
    fee = "fee"
    patient_name_desc = "-patientName"
    patient_name = "patientName"


class ProcedureCodeRead(MirroredRead):
    code: str
    description: str | None
    abbreviation: str | None
    category: str | None
    default_fee: Money | None = Field(
        description="The fee in the clinic's first visible normal fee schedule, if any."
    )
    typical_duration_minutes: int | None
    is_active: bool
    is_hygiene: bool
    is_prosthesis: bool
    is_radiology: bool
    treat_area: str | None
    layman_term: str | None


class FeeScheduleRead(MirroredRead):
    description: str | None
    type: FeeScheduleType
    item_order: int
    is_hidden: bool
    is_global: bool


class FeeRead(MirroredRead):
    fee_schedule_id: uuid.UUID
    procedure_code_id: uuid.UUID
    code: str
    provider_id: uuid.UUID | None
    amount: Money
