"""Treatment plans, and the procedures on them: links of active and inactive plans to live
procedures (treatplanattaches) and saved plans' frozen copies (proctps), in one table."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from crowndesk.pms.opendental.formats import (
    boolean,
    day,
    integer,
    money,
    ordered_choice,
    text,
    timestamp,
)
from crowndesk.pms.sync.spec import ChangedSince, EntitySpec, Field, PerParent, Query, Ref
from crowndesk.treatment.models import (
    PlannedProcedure,
    PlannedProcedureKind,
    TreatmentPlan,
    TreatmentPlanStatus,
    TreatmentPlanType,
)

_plan_status = ordered_choice(["Saved", "Active", "Inactive"], list(TreatmentPlanStatus))
_plan_type = ordered_choice(["Insurance", "Discount"], list(TreatmentPlanType))


def _attached(row: dict[str, Any], raw: Mapping[str, Any]) -> None:
    row["kind"] = PlannedProcedureKind.attached


def _saved(row: dict[str, Any], raw: Mapping[str, Any]) -> None:
    row["kind"] = PlannedProcedureKind.saved


TREATMENT_PLANS = EntitySpec(
    name="treatment_plans",
    model=TreatmentPlan,
    key="TreatPlanNum",
    endpoint="/treatplans",
    changed_since=ChangedSince("SecDateTEdit"),
    stamp="SecDateTEdit",
    fields=(
        Field("plan_date", "DateTP", day),
        Field("heading", "Heading", text),
        Field("note", "Note", text),
        Field("status", "TPStatus", _plan_status),
        Field("type", "TPType", _plan_type),
        # Decoded from the signature itself, which the API does not send: no ShortQuery here.
        Field("is_signed", "isSigned", boolean),
        Field("is_signed_by_practice", "isSignedPractice", boolean),
        Field("signed_at", "DateTSigned", timestamp),
        Field("practice_signed_at", "DateTPracticeSigned", timestamp),
        Field("signature_text", "SignatureText", text),
        Field("practice_signature_text", "SignaturePracticeText", text),
    ),
    refs=(
        Ref("patient_id", "PatNum", "patients", required=True),
        # Usually the guarantor; Open Dental keeps the key even if that patient is gone.
        Ref("responsible_party_id", "ResponsParty", "patients", park=False),
    ),
    every=timedelta(minutes=15),
)

TREATMENT_PLAN_ATTACHES = EntitySpec(
    name="treatment_plan_attaches",
    model=PlannedProcedure,
    key="TreatPlanAttachNum",
    endpoint="/treatplanattaches",
    listable=False,  # TreatPlanNum is required
    query=Query("treatplanattach"),
    per_parent=(PerParent("TreatPlanNum", "treatment_plans"),),
    pms_id_prefix="attach-",
    fields=(Field("priority", "Priority", integer),),
    refs=(
        Ref("treatment_plan_id", "TreatPlanNum", "treatment_plans", required=True),
        # A procedure planned a moment ago may not be mirrored yet: wait for it.
        Ref("procedure_id", "ProcNum", "procedures", required=True),
    ),
    derive=_attached,
    derived=("kind",),
    depends_on=("treatment_plans", "procedures"),
    every=timedelta(minutes=15),
)

SAVED_PLAN_PROCEDURES = EntitySpec(
    name="saved_plan_procedures",
    model=PlannedProcedure,
    key="ProcTPNum",
    endpoint="/proctps",
    listable=False,  # TreatPlanNum is required
    query=Query("proctp", "SecDateTEdit"),
    per_parent=(PerParent("TreatPlanNum", "treatment_plans"),),
    pms_id_prefix="proctp-",
    stamp="SecDateTEdit",
    fields=(
        Field("item_order", "ItemOrder", integer),
        Field("priority", "Priority", integer),
        Field("code", "ProcCode", text),
        Field("description", "Descript", text),
        Field("tooth", "ToothNumTP", text),
        Field("surface", "Surf", text),
        Field("fee", "FeeAmt", money),
        Field("primary_insurance_amount", "PriInsAmt", money),
        Field("secondary_insurance_amount", "SecInsAmt", money),
        Field("patient_amount", "PatAmt", money),
        Field("discount", "Discount", money),
    ),
    refs=(
        Ref("treatment_plan_id", "TreatPlanNum", "treatment_plans", required=True),
        Ref("patient_id", "PatNum", "patients", required=True),
        # A frozen copy outlives its procedure (the copy holds everything it shows).
        Ref("procedure_id", "ProcNumOrig", "procedures", park=False),
    ),
    derive=_saved,
    derived=("kind",),
    depends_on=("treatment_plans", "procedures", "patients"),
    every=timedelta(minutes=15),
)

SPECS = (TREATMENT_PLANS, TREATMENT_PLAN_ATTACHES, SAVED_PLAN_PROCEDURES)
