"""Carriers, insurance plans, subscribers, patients' coverage and benefits on the wire."""

from __future__ import annotations

import uuid
from datetime import date

from crowndesk.core.mirror import MirroredRead
from crowndesk.core.schema import Money, Schema
from crowndesk.insurance.models import (
    BenefitType,
    CoverageLevel,
    EbenefitCategory,
    ElectronicSending,
    PlanType,
    QuantityQualifier,
    Relationship,
    TimePeriod,
)


class CarrierRead(MirroredRead):
    name: str | None
    address: str | None
    address2: str | None
    city: str | None
    state: str | None
    zip: str | None
    phone: str | None
    electronic_id: str | None
    electronic_sending: ElectronicSending
    is_hidden: bool


class InsurancePlanRead(MirroredRead):
    carrier_id: uuid.UUID
    carrier: CarrierRead | None = None
    group_name: str | None
    group_number: str | None
    plan_type: PlanType
    fee_schedule_id: uuid.UUID | None
    copay_fee_schedule_id: uuid.UUID | None
    is_medical: bool
    is_hidden: bool
    # 0: the benefit year is the calendar year; 1-12: the month it renews.
    month_renew: int
    note: str | None


class CoverageCategoryRead(Schema):
    id: uuid.UUID
    description: str | None
    ebenefit_category: EbenefitCategory


class BenefitRead(MirroredRead):
    """A benefit of a plan, or an override for one patient's coverage (`patientPlanId`)."""

    insurance_plan_id: uuid.UUID | None
    patient_plan_id: uuid.UUID | None
    coverage_category_id: uuid.UUID | None
    coverage_category: CoverageCategoryRead | None = None
    procedure_code_id: uuid.UUID | None
    procedure_code: str | None = None
    benefit_type: BenefitType
    percent: int | None
    amount: Money | None
    time_period: TimePeriod
    quantity_qualifier: QuantityQualifier
    quantity: int
    coverage_level: CoverageLevel


class InsurancePlanDetail(InsurancePlanRead):
    benefits: list[BenefitRead] = []


class SubscriberPerson(Schema):
    """The patient who holds a policy."""

    id: uuid.UUID
    first_name: str | None
    last_name: str | None
    middle_initial: str | None
    preferred_name: str | None
    birth_date: date | None


class InsuranceSubscriberRead(MirroredRead):
    """A policy: a plan and the patient who holds it."""

    insurance_plan_id: uuid.UUID
    subscriber_id: uuid.UUID
    subscriber: SubscriberPerson | None = None
    effective_date: date | None
    term_date: date | None
    member_id: str | None
    release_info: bool
    assign_benefits: bool
    benefit_notes: str | None
    note: str | None


class PatientPlanRead(MirroredRead):
    """A patient's coverage by a policy: `ordinal` 1 is primary, 2 secondary..."""

    patient_id: uuid.UUID
    insurance_subscriber_id: uuid.UUID
    ordinal: int
    relationship: Relationship
    is_pending: bool
    patient_member_id: str | None
    subscriber: InsuranceSubscriberRead | None = None
    plan: InsurancePlanRead | None = None


class CoverageRead(PatientPlanRead):
    """A patient's coverage with the benefits that apply: the plan's and the patient's own
    overrides."""

    benefits: list[BenefitRead] = []
