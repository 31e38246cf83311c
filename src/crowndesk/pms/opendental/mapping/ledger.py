"""Patient payments, payment splits and adjustments."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from crowndesk.ledger.models import Adjustment, Payment, PaymentProcessStatus, PaymentSplit
from crowndesk.pms.opendental.formats import day, integer, money, ordered_choice, text
from crowndesk.pms.sync.spec import EntitySpec, Field, PerParent, Query, Ref

_process_status = ordered_choice(
    ["OfficeProcessed", "OnlineProcessed", "OnlinePending"], list(PaymentProcessStatus)
)
# Open Dental's CreditCardSource, numbered as in its source (raw rows send the number).
_PAYMENT_SOURCES = (
    "None",
    "XServer",
    "XWeb",
    "PayConnect",
    "XServerPayConnect",
    "XWebPortalLogin",
    "PaySimple",
    "PaySimpleACH",
    "PayConnectPortal",
    "PayConnectPortalLogin",
    "CareCredit",
    "EdgeExpressRCM",
    "EdgeExpressCNP",
    "API",
)


def _payment_source(value: Any) -> str | None:
    """Open Dental's name of the program that took the payment; none for "None".

    The list grows with Open Dental versions: a number we do not know yet is kept as its
    digits rather than failing the payment.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError("not one of the known values")
        value = _PAYMENT_SOURCES[value] if value < len(_PAYMENT_SOURCES) else str(value)
    name = text(value)
    return None if name is None or name.lower() == "none" else name


PAYMENTS = EntitySpec(
    name="payments",
    model=Payment,
    key="PayNum",
    endpoint="/payments",
    # The only filter, DateEntry, is the entry date and misses edits (reference pitfall 4):
    # kept current through ShortQuery on SecDateTEdit, or else re-read in full.
    query=Query("payment", "SecDateTEdit"),
    stamp="SecDateTEdit",
    fields=(
        Field("pay_date", "PayDate", day),
        Field("amount", "PayAmt", money),
        Field("pay_type", "PayType", integer),
        Field("check_number", "CheckNum", text),
        Field("bank_branch", "BankBranch", text),
        Field("note", "PayNote", text),
        Field("entry_date", "DateEntry", day),
        Field("process_status", "ProcessStatus", _process_status),
        Field("payment_source", "PaymentSource", _payment_source),
    ),
    refs=(Ref("patient_id", "PatNum", "patients", required=True),),
    every=timedelta(minutes=15),
)

PAYMENT_SPLITS = EntitySpec(
    name="payment_splits",
    model=PaymentSplit,
    key="SplitNum",
    endpoint="/paysplits",  # a bare GET lists them all (24.4.24)
    query=Query("paysplit", "SecDateTEdit"),
    per_parent=(PerParent("PayNum", "payments"),),
    stamp="SecDateTEdit",
    fields=(
        Field("amount", "SplitAmt", money),
        Field("pay_date", "DatePay", day),
        Field("entry_date", "DateEntry", day),
        Field("unearned_type", "UnearnedType", integer),
    ),
    refs=(
        Ref("payment_id", "PayNum", "payments", required=True),
        Ref("patient_id", "PatNum", "patients", required=True),
        # A payment on a procedure completed a moment ago: wait for the procedure.
        Ref("procedure_id", "ProcNum", "procedures"),
        Ref("provider_id", "ProvNum", "providers"),
    ),
    every=timedelta(minutes=15),
)

ADJUSTMENTS = EntitySpec(
    name="adjustments",
    model=Adjustment,
    key="AdjNum",
    endpoint="/adjustments",
    listable=False,  # PatNum is required
    query=Query("adjustment", "SecDateTEdit"),
    per_parent=(PerParent("PatNum", "patients"),),
    stamp="SecDateTEdit",
    fields=(
        Field("adjustment_date", "AdjDate", day),
        Field("amount", "AdjAmt", money),
        Field("adjustment_type", "AdjType", integer),
        Field("note", "AdjNote", text),
        Field("proc_date", "ProcDate", day),
        Field("entry_date", "DateEntry", day),
    ),
    refs=(
        Ref("patient_id", "PatNum", "patients", required=True),
        Ref("procedure_id", "ProcNum", "procedures"),
        Ref("provider_id", "ProvNum", "providers"),
    ),
    every=timedelta(minutes=15),
)

SPECS = (PAYMENTS, PAYMENT_SPLITS, ADJUSTMENTS)
