"""Claims, claim procedures and claim payments (insurance checks)."""

from __future__ import annotations

from datetime import timedelta

from crowndesk.claims.models import (
    Claim,
    ClaimPayment,
    ClaimProcedure,
    ClaimProcedureStatus,
    ClaimStatus,
)
from crowndesk.pms.opendental.formats import (
    boolean,
    choice,
    day,
    integer,
    money,
    optional_percent,
    ordered_choice,
    text,
)
from crowndesk.pms.opendental.mapping.insurance import relationship
from crowndesk.pms.sync.spec import ChangedSince, EntitySpec, Field, PerParent, Query, Ref

# Letters, in the API and in raw rows alike (reference §2.16).
_claim_status = choice(
    {
        "U": ClaimStatus.unsent,
        "H": ClaimStatus.hold_until_primary,
        "W": ClaimStatus.waiting,
        "S": ClaimStatus.sent,
        "R": ClaimStatus.received,
        "I": ClaimStatus.hold_in_process,
    }
)
_claim_procedure_status = ordered_choice(
    [
        "NotReceived",
        "Received",
        "Preauth",
        "Adjustment",
        "Supplemental",
        "CapClaim",
        "Estimate",
        "CapComplete",
        "CapEstimate",
        "InsHist",
    ],
    list(ClaimProcedureStatus),
)

CLAIMS = EntitySpec(
    name="claims",
    model=Claim,
    key="ClaimNum",
    endpoint="/claims",
    changed_since=ChangedSince("SecDateTEdit"),
    stamp="SecDateTEdit",
    fields=(
        Field("status", "ClaimStatus", _claim_status),
        Field("claim_type", "ClaimType", text),
        Field("service_date", "DateService", day),
        Field("sent_date", "DateSent", day),
        Field("received_date", "DateReceived", day),
        Field("fee", "ClaimFee", money),
        Field("insurance_estimate", "InsPayEst", money),
        Field("insurance_paid", "InsPayAmt", money),
        Field("deductible_applied", "DedApplied", money),
        Field("write_off", "WriteOff", money),
        Field("note", "ClaimNote", text),
        Field("reason_underpaid", "ReasonUnderPaid", text),
        Field("prior_authorization_number", "PriorAuthorizationNumber", text),
        Field("patient_relationship", "PatRelat", relationship),
    ),
    refs=(
        Ref("patient_id", "PatNum", "patients", required=True),
        Ref("insurance_plan_id", "PlanNum", "insurance_plans"),
        Ref("insurance_subscriber_id", "InsSubNum", "insurance_subscribers"),
        # The other coverage is informational on the claim; Open Dental keeps the key after
        # that coverage is dropped.
        Ref("secondary_insurance_plan_id", "PlanNum2", "insurance_plans", park=False),
        Ref(
            "secondary_insurance_subscriber_id",
            "InsSubNum2",
            "insurance_subscribers",
            park=False,
        ),
        Ref("treating_provider_id", "ProvTreat", "providers"),
        Ref("billing_provider_id", "ProvBill", "providers"),
    ),
    every=timedelta(minutes=15),
)

CLAIM_PAYMENTS = EntitySpec(
    name="claim_payments",
    model=ClaimPayment,
    key="ClaimPaymentNum",
    endpoint="/claimpayments",
    changed_since=ChangedSince("SecDateTEdit"),
    stamp="SecDateTEdit",
    fields=(
        Field("check_date", "CheckDate", day),
        Field("amount", "CheckAmt", money),
        Field("check_number", "CheckNum", text),
        Field("bank_branch", "BankBranch", text),
        Field("note", "Note", text),
        Field("carrier_name", "CarrierName", text),
        Field("issued_date", "DateIssued", day),
        Field("is_partial", "IsPartial", boolean),
        Field("pay_type", "PayType", integer),
    ),
    every=timedelta(minutes=15),
)

CLAIM_PROCEDURES = EntitySpec(
    name="claim_procedures",
    model=ClaimProcedure,
    key="ClaimProcNum",
    endpoint="/claimprocs",  # a bare GET lists them all (23.2.16)
    query=Query("claimproc", "SecDateTEdit"),
    per_parent=(PerParent("ClaimNum", "claims"), PerParent("ProcNum", "procedures")),
    stamp="SecDateTEdit",
    fields=(
        Field("status", "Status", _claim_procedure_status),
        Field("fee_billed", "FeeBilled", money),
        Field("insurance_estimate", "InsPayEst", money),
        Field("deductible_applied", "DedApplied", money),
        Field("insurance_paid", "InsPayAmt", money),
        Field("write_off", "WriteOff", money),
        Field("payment_date", "DateCP", day),
        Field("proc_date", "ProcDate", day),
        Field("code_sent", "CodeSent", text),
        Field("remarks", "Remarks", text),
        Field("percentage", "Percentage", optional_percent),
    ),
    refs=(
        Ref("patient_id", "PatNum", "patients", required=True),
        # 0 on by-total insurance payments.
        Ref("procedure_id", "ProcNum", "procedures"),
        # 0 on estimates and benefit adjustments.
        Ref("claim_id", "ClaimNum", "claims"),
        Ref("provider_id", "ProvNum", "providers"),
        Ref("insurance_plan_id", "PlanNum", "insurance_plans"),
        Ref("insurance_subscriber_id", "InsSubNum", "insurance_subscribers"),
        Ref("claim_payment_id", "ClaimPaymentNum", "claim_payments"),
    ),
    every=timedelta(minutes=15),
)

SPECS = (CLAIMS, CLAIM_PAYMENTS, CLAIM_PROCEDURES)
