"""Procedure codes, fee schedules, fees and procedures."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from crowndesk.core.text import search_key
from crowndesk.pms.opendental.formats import (
    boolean,
    choice,
    day,
    integer,
    money,
    optional_money,
    ordered_choice,
    pattern_minutes,
    text,
)
from crowndesk.pms.sync.spec import ChangedSince, EntitySpec, Field, Query, Ref
from crowndesk.procedures.models import (
    BillingStatus,
    Fee,
    FeeSchedule,
    FeeScheduleType,
    Procedure,
    ProcedureCode,
    ProcedureStatus,
)

_INACTIVE_CATEGORIES = frozenset({"obsolete", "never used"})

# Open Dental's letters (reference §2.8) and, in raw rows, numbers.
_procedure_status = choice(
    {
        "TP": ProcedureStatus.treatment_planned,
        "C": ProcedureStatus.completed,
        "EC": ProcedureStatus.existing_current,
        "EO": ProcedureStatus.existing_other,
        "R": ProcedureStatus.referred_out,
        "D": ProcedureStatus.deleted,
        "Cn": ProcedureStatus.condition,
        "TPi": ProcedureStatus.estimate,
    },
    {
        1: ProcedureStatus.treatment_planned,
        2: ProcedureStatus.completed,
        3: ProcedureStatus.existing_current,
        4: ProcedureStatus.existing_other,
        5: ProcedureStatus.referred_out,
        6: ProcedureStatus.deleted,
        7: ProcedureStatus.condition,
        8: ProcedureStatus.estimate,
    },
)
_fee_schedule_type = ordered_choice(
    ["Normal", "CoPay", "OutNetwork", "FixedBenefit", "ManualBlueBook"], list(FeeScheduleType)
)


def _code_active(row: dict[str, Any], raw: Mapping[str, Any]) -> None:
    row["is_active"] = (row.get("category") or "").lower() not in _INACTIVE_CATEGORIES


def _procedure_derived(row: dict[str, Any], raw: Mapping[str, Any]) -> None:
    completed = row["status"] is ProcedureStatus.completed
    if completed and row["proc_date"] is None:
        raise ValueError("ProcDate: missing on a completed procedure")
    # Only the first sight of a completed procedure sets it; `local_columns` keeps it after.
    row["billing_status"] = BillingStatus.unbilled if completed else None
    row["search_key"] = search_key(
        row["code"], row["description"], row["tooth_number"], row["surface"]
    )


def _procedure_deleted(raw: Mapping[str, Any]) -> bool:
    return raw.get("ProcStatus") in ("D", 6)


PROCEDURE_CODES = EntitySpec(
    name="procedure_codes",
    model=ProcedureCode,
    key="CodeNum",
    endpoint="/procedurecodes",
    changed_since=ChangedSince("DateTStamp"),
    stamp="DateTStamp",
    hard_deletes=False,
    fields=(
        Field("code", "ProcCode", text),
        Field("description", "Descript", text),
        Field("abbreviation", "AbbrDesc", text),
        Field("category", "procCat", text),
        Field("treat_area", "TreatArea", text),
        Field("time_pattern", "ProcTime", text),
        Field("typical_duration_minutes", "ProcTime", pattern_minutes),
        Field("layman_term", "LaymanTerm", text),
        Field("is_hygiene", "IsHygiene", boolean),
        Field("is_prosthesis", "IsProsth", boolean),
        Field("no_bill_insurance", "NoBillIns", boolean),
        Field("is_radiology", "IsRadiology", boolean),
    ),
    derive=_code_active,
    derived=("is_active",),
    every=timedelta(days=1),
)

FEE_SCHEDULES = EntitySpec(
    name="fee_schedules",
    model=FeeSchedule,
    key="FeeSchedNum",
    endpoint="/feescheds",
    stamp="SecDateTEdit",
    fields=(
        Field("description", "Description", text),
        Field("type", "FeeSchedType", _fee_schedule_type),
        Field("item_order", "ItemOrder", integer),
        Field("is_hidden", "IsHidden", boolean),
        Field("is_global", "IsGlobal", boolean),
    ),
    every=timedelta(days=1),
)

FEES = EntitySpec(
    name="fees",
    model=Fee,
    key="FeeNum",
    endpoint="/fees",
    query=Query("fee", "SecDateTEdit"),
    stamp="SecDateTEdit",
    fields=(Field("amount", "Amount", money),),
    refs=(
        Ref("fee_schedule_id", "FeeSched", "fee_schedules", required=True),
        Ref("procedure_code_id", "CodeNum", "procedure_codes", required=True),
        Ref("provider_id", "ProvNum", "providers"),
    ),
    every=timedelta(days=1),
)

PROCEDURES = EntitySpec(
    name="procedures",
    model=Procedure,
    key="ProcNum",
    endpoint="/procedurelogs",
    changed_since=ChangedSince("DateTStamp", server_time=True),
    stamp="DateTStamp",
    hard_deletes=False,
    deleted=_procedure_deleted,
    fields=(
        Field("code", "procCode", text),
        Field("description", "descript", text),
        Field("proc_date", "ProcDate", day),
        Field("tooth_number", "ToothNum", text),
        Field("tooth_range", "ToothRange", text),
        Field("surface", "Surf", text),
        Field("fee", "ProcFee", money),
        Field("discount", "Discount", optional_money),
        Field("status", "ProcStatus", _procedure_status),
        Field("diagnosis", "dxName", text),
        Field("priority", "priority", text),
        Field("place_of_service", "PlaceService", text),
        Field("prosthesis", "Prosthesis", text),
        Field("unit_quantity", "UnitQty", integer),
        Field("completed_entry_date", "DateEntryC", day),
        Field("claim_note", "ClaimNote", text),
        Field("billing_note", "BillingNote", text),
    ),
    refs=(
        Ref("patient_id", "PatNum", "patients", required=True),
        Ref("procedure_code_id", "CodeNum", "procedure_codes", required=True),
        Ref("provider_id", "ProvNum", "providers"),
        # Open Dental lets a procedure point at an appointment that is gone.
        Ref("appointment_id", "AptNum", "appointments", park=False),
    ),
    derive=_procedure_derived,
    derived=("billing_status", "search_key"),
    local_columns=("billing_status",),
    every=timedelta(minutes=5),
)

SPECS = (PROCEDURE_CODES, FEE_SCHEDULES, FEES, PROCEDURES)
