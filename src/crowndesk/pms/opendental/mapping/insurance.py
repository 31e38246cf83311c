"""Carriers, coverage categories, insurance plans, subscribers, patient plans and benefits."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from crowndesk.insurance.models import (
    Benefit,
    BenefitType,
    Carrier,
    CoverageCategory,
    CoverageLevel,
    EbenefitCategory,
    ElectronicSending,
    InsurancePlan,
    InsuranceSubscriber,
    PatientPlan,
    PlanType,
    QuantityQualifier,
    Relationship,
    TimePeriod,
)
from crowndesk.pms.opendental.formats import (
    boolean,
    choice,
    day,
    integer,
    key,
    optional_money,
    optional_percent,
    ordered_choice,
    text,
)
from crowndesk.pms.sync.spec import ChangedSince, EntitySpec, Field, Query, Ref


def whole_number(value: Any) -> int:
    """A count or order that is always there (`integer` reads empty as none)."""
    number = integer(value)
    if number is None:
        raise ValueError("missing")
    return number


_RELATIONSHIP_NAMES = [
    "Self",
    "Spouse",
    "Child",
    "Employee",
    "HandicapDep",
    "SignifOther",
    "InjuredPlaintiff",
    "LifePartner",
    "Dependent",
]
# The documentation spells two of them both ways (reference §2.13, pitfall 8).
relationship = choice(
    {
        **dict(zip(_RELATIONSHIP_NAMES, Relationship, strict=True)),
        "InjuredPlantiff": Relationship.injured_plaintiff,
        "Dependant": Relationship.dependent,
    },
    dict(enumerate(Relationship)),
)
# Letters in the API and in raw rows alike; "percentage" is the filter's word for "".
_plan_type = choice(
    {
        "": PlanType.category_percentage,
        "percentage": PlanType.category_percentage,
        "p": PlanType.ppo,
        "f": PlanType.flat_copay,
        "c": PlanType.capitation,
    }
)
_electronic_sending = ordered_choice(
    ["SendElect", "NoSendElect", "NoSendSecondaryElect"], list(ElectronicSending)
)
_ebenefit_category = ordered_choice(
    [
        "None",
        "General",
        "Diagnostic",
        "Periodontics",
        "Restorative",
        "Endodontics",
        "MaxillofacialProsth",
        "Crowns",
        "Accident",
        "Orthodontics",
        "Prosthodontics",
        "OralSurgery",
        "RoutinePreventive",
        "DiagnosticXRay",
        "Adjunctive",
    ],
    list(EbenefitCategory),
)
_benefit_type = ordered_choice(
    [
        "ActiveCoverage",
        "CoInsurance",
        "Deductible",
        "CoPayment",
        "Exclusions",
        "Limitations",
        "WaitingPeriod",
    ],
    list(BenefitType),
)
_time_period = ordered_choice(
    ["None", "ServiceYear", "CalendarYear", "Lifetime", "Years", "NumberInLast12Months"],
    list(TimePeriod),
)
_quantity_qualifier = ordered_choice(
    ["None", "NumberOfServices", "AgeLimit", "Visits", "Years", "Months"],
    list(QuantityQualifier),
)
_coverage_level = ordered_choice(["None", "Individual", "Family"], list(CoverageLevel))


def _plan_or_coverage(row: dict[str, Any], raw: Mapping[str, Any]) -> None:
    # A benefit of nobody would apply to no one: keep it in sync_errors instead.
    if key(raw.get("PlanNum")) is None and key(raw.get("PatPlanNum")) is None:
        raise ValueError("PlanNum and PatPlanNum: both missing")


CARRIERS = EntitySpec(
    name="carriers",
    model=Carrier,
    key="CarrierNum",
    endpoint="/carriers",  # no filter, no stamp in the API: a full re-read
    fields=(
        Field("name", "CarrierName", text),
        Field("address", "Address", text),
        Field("address2", "Address2", text),
        Field("city", "City", text),
        Field("state", "State", text),
        Field("zip", "Zip", text),
        Field("phone", "Phone", text),
        Field("electronic_id", "ElectID", text),
        Field("electronic_sending", "NoSendElect", _electronic_sending),
        Field("is_hidden", "IsHidden", boolean),
    ),
    every=timedelta(days=1),
)

COVERAGE_CATEGORIES = EntitySpec(
    name="coverage_categories",
    model=CoverageCategory,
    key="CovCatNum",
    endpoint="/covcats",
    fields=(
        Field("description", "Description", text),
        Field("default_percent", "DefaultPercent", optional_percent),
        Field("item_order", "CovOrder", whole_number),
        Field("is_hidden", "IsHidden", boolean),
        Field("ebenefit_category", "EbenefitCat", _ebenefit_category),
    ),
    every=timedelta(days=1),
)

INSURANCE_PLANS = EntitySpec(
    name="insurance_plans",
    model=InsurancePlan,
    key="PlanNum",
    endpoint="/insplans",
    query=Query("insplan", "SecDateTEdit"),
    stamp="SecDateTEdit",
    fields=(
        Field("group_name", "GroupName", text),
        Field("group_number", "GroupNum", text),
        Field("plan_type", "PlanType", _plan_type),
        Field("is_medical", "IsMedical", boolean),
        Field("is_hidden", "IsHidden", boolean),
        Field("month_renew", "MonthRenew", whole_number),
        Field("note", "PlanNote", text),
    ),
    refs=(
        Ref("carrier_id", "CarrierNum", "carriers", required=True),
        Ref("fee_schedule_id", "FeeSched", "fee_schedules", park=False),
        Ref("copay_fee_schedule_id", "CopayFeeSched", "fee_schedules", park=False),
    ),
    every=timedelta(hours=1),
)

INSURANCE_SUBSCRIBERS = EntitySpec(
    name="insurance_subscribers",
    model=InsuranceSubscriber,
    key="InsSubNum",
    endpoint="/inssubs",
    changed_since=ChangedSince("SecDateTEdit"),
    stamp="SecDateTEdit",
    fields=(
        Field("effective_date", "DateEffective", day),
        Field("term_date", "DateTerm", day),
        Field("member_id", "SubscriberID", text),
        Field("release_info", "ReleaseInfo", boolean),
        Field("assign_benefits", "AssignBen", boolean),
        Field("benefit_notes", "BenefitNotes", text),
        Field("note", "SubscNote", text),
    ),
    refs=(
        Ref("insurance_plan_id", "PlanNum", "insurance_plans", required=True),
        Ref("subscriber_id", "Subscriber", "patients", required=True),
    ),
    every=timedelta(hours=1),
)

PATIENT_PLANS = EntitySpec(
    name="patient_plans",
    model=PatientPlan,
    key="PatPlanNum",
    endpoint="/patplans",
    query=Query("patplan", "SecDateTEdit"),
    stamp="SecDateTEdit",
    fields=(
        Field("ordinal", "Ordinal", whole_number),
        Field("relationship", "Relationship", relationship),
        Field("is_pending", "IsPending", boolean),
        Field("patient_member_id", "PatID", text),
    ),
    refs=(
        Ref("patient_id", "PatNum", "patients", required=True),
        Ref("insurance_subscriber_id", "InsSubNum", "insurance_subscribers", required=True),
    ),
    every=timedelta(hours=1),
)

BENEFITS = EntitySpec(
    name="benefits",
    model=Benefit,
    key="BenefitNum",
    endpoint="/benefits",
    query=Query("benefit", "SecDateTEdit"),
    stamp="SecDateTEdit",
    fields=(
        Field("benefit_type", "BenefitType", _benefit_type),
        Field("percent", "Percent", optional_percent),
        Field("amount", "MonetaryAmt", optional_money),
        Field("time_period", "TimePeriod", _time_period),
        Field("quantity_qualifier", "QuantityQualifier", _quantity_qualifier),
        Field("quantity", "Quantity", whole_number),
        Field("coverage_level", "CoverageLevel", _coverage_level),
    ),
    refs=(
        # A benefit belongs to a plan, or (rarely, an override) to one patient's coverage
        # with PlanNum 0: neither link is required on its own.
        Ref("insurance_plan_id", "PlanNum", "insurance_plans"),
        Ref("patient_plan_id", "PatPlanNum", "patient_plans"),
        Ref("coverage_category_id", "CovCatNum", "coverage_categories"),
        Ref("procedure_code_id", "CodeNum", "procedure_codes"),
    ),
    derive=_plan_or_coverage,
    every=timedelta(hours=1),
)

SPECS = (
    CARRIERS,
    COVERAGE_CATEGORIES,
    INSURANCE_PLANS,
    INSURANCE_SUBSCRIBERS,
    PATIENT_PLANS,
    BENEFITS,
)
