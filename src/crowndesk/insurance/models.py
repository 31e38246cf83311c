"""Carriers, coverage categories, insurance plans, subscribers, patients' coverage and
benefits, mirrored from Open Dental."""

from __future__ import annotations

import enum
import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import Boolean, Date, Enum, ForeignKey, Index, Integer, Numeric, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from crowndesk.db.base import Base, SyncedMixin, synced_table_args


class ElectronicSending(enum.StrEnum):
    send = "send"
    do_not_send = "do_not_send"
    do_not_send_secondary = "do_not_send_secondary"


class EbenefitCategory(enum.StrEnum):
    none = "none"
    general = "general"
    diagnostic = "diagnostic"
    periodontics = "periodontics"
    restorative = "restorative"
    endodontics = "endodontics"
    maxillofacial_prosthetics = "maxillofacial_prosthetics"
    crowns = "crowns"
    accident = "accident"
    orthodontics = "orthodontics"
    prosthodontics = "prosthodontics"
    oral_surgery = "oral_surgery"
    routine_preventive = "routine_preventive"
    diagnostic_xray = "diagnostic_xray"
    adjunctive = "adjunctive"


class PlanType(enum.StrEnum):
    category_percentage = "category_percentage"
    ppo = "ppo"
    flat_copay = "flat_copay"
    capitation = "capitation"


class Relationship(enum.StrEnum):
    """The covered patient's relationship to the subscriber (also on claims)."""

    self = "self"
    spouse = "spouse"
    child = "child"
    employee = "employee"
    handicap_dep = "handicap_dep"
    signif_other = "signif_other"
    injured_plaintiff = "injured_plaintiff"
    life_partner = "life_partner"
    dependent = "dependent"


class BenefitType(enum.StrEnum):
    active_coverage = "active_coverage"
    coinsurance = "coinsurance"
    deductible = "deductible"
    copayment = "copayment"
    exclusions = "exclusions"
    limitations = "limitations"  # annual maximums and frequencies too
    waiting_period = "waiting_period"


class TimePeriod(enum.StrEnum):
    none = "none"
    service_year = "service_year"
    calendar_year = "calendar_year"
    lifetime = "lifetime"
    years = "years"
    number_in_last_12_months = "number_in_last_12_months"


class QuantityQualifier(enum.StrEnum):
    none = "none"
    number_of_services = "number_of_services"
    age_limit = "age_limit"
    visits = "visits"
    years = "years"
    months = "months"


class CoverageLevel(enum.StrEnum):
    none = "none"
    individual = "individual"
    family = "family"


class Carrier(SyncedMixin, Base):
    __tablename__ = "carriers"
    __entity__ = "carrier"
    __table_args__ = synced_table_args("carriers")

    name: Mapped[str | None] = mapped_column(String)
    address: Mapped[str | None] = mapped_column(String)
    address2: Mapped[str | None] = mapped_column(String)
    city: Mapped[str | None] = mapped_column(String)
    state: Mapped[str | None] = mapped_column(String)
    zip: Mapped[str | None] = mapped_column(String)
    phone: Mapped[str | None] = mapped_column(String)
    electronic_id: Mapped[str | None] = mapped_column(String)  # the payer id
    electronic_sending: Mapped[ElectronicSending] = mapped_column(
        Enum(ElectronicSending, name="electronic_sending", native_enum=False, length=24),
        nullable=False,
    )
    is_hidden: Mapped[bool] = mapped_column(Boolean, nullable=False)


class CoverageCategory(SyncedMixin, Base):
    __tablename__ = "coverage_categories"
    __entity__ = "coverage_category"
    __table_args__ = synced_table_args("coverage_categories")

    description: Mapped[str | None] = mapped_column(String)
    default_percent: Mapped[int | None] = mapped_column(Integer)
    item_order: Mapped[int] = mapped_column(Integer, nullable=False)
    is_hidden: Mapped[bool] = mapped_column(Boolean, nullable=False)
    ebenefit_category: Mapped[EbenefitCategory] = mapped_column(
        Enum(EbenefitCategory, name="ebenefit_category", native_enum=False, length=28),
        nullable=False,
    )


class InsurancePlan(SyncedMixin, Base):
    __tablename__ = "insurance_plans"
    __entity__ = "insurance_plan"
    __table_args__ = synced_table_args("insurance_plans")

    carrier_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("carriers.id"), nullable=False)
    group_name: Mapped[str | None] = mapped_column(String)
    group_number: Mapped[str | None] = mapped_column(String)
    plan_type: Mapped[PlanType] = mapped_column(
        Enum(PlanType, name="plan_type", native_enum=False, length=20), nullable=False
    )
    fee_schedule_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("fee_schedules.id"))
    copay_fee_schedule_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("fee_schedules.id")
    )
    is_medical: Mapped[bool] = mapped_column(Boolean, nullable=False)
    is_hidden: Mapped[bool] = mapped_column(Boolean, nullable=False)
    # 0: the benefit year is the calendar year; 1-12: the month it renews.
    month_renew: Mapped[int] = mapped_column(Integer, nullable=False)
    note: Mapped[str | None] = mapped_column(String)


class InsuranceSubscriber(SyncedMixin, Base):
    """A policy: a plan and the patient who holds it (the subscriber)."""

    __tablename__ = "insurance_subscribers"
    __entity__ = "insurance_subscriber"
    __table_args__ = synced_table_args(
        "insurance_subscribers",
        Index("ix_insurance_subscribers_plan", "insurance_plan_id"),
        Index("ix_insurance_subscribers_subscriber", "subscriber_id"),
    )

    insurance_plan_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("insurance_plans.id"), nullable=False
    )
    subscriber_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("patients.id"), nullable=False
    )
    effective_date: Mapped[date | None] = mapped_column(Date)
    term_date: Mapped[date | None] = mapped_column(Date)
    member_id: Mapped[str | None] = mapped_column(String)
    release_info: Mapped[bool] = mapped_column(Boolean, nullable=False)
    assign_benefits: Mapped[bool] = mapped_column(Boolean, nullable=False)
    benefit_notes: Mapped[str | None] = mapped_column(String)
    note: Mapped[str | None] = mapped_column(String)


class PatientPlan(SyncedMixin, Base):
    """A patient's coverage by a policy; no row means no coverage."""

    __tablename__ = "patient_plans"
    __entity__ = "patient_plan"
    __table_args__ = synced_table_args(
        "patient_plans", Index("ix_patient_plans_patient", "patient_id")
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), nullable=False)
    insurance_subscriber_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("insurance_subscribers.id"), nullable=False
    )
    ordinal: Mapped[int] = mapped_column(Integer, nullable=False)  # 1 primary, 2 secondary...
    relationship: Mapped[Relationship] = mapped_column(
        Enum(Relationship, name="relationship", native_enum=False, length=20), nullable=False
    )
    is_pending: Mapped[bool] = mapped_column(Boolean, nullable=False)
    patient_member_id: Mapped[str | None] = mapped_column(String)


class Benefit(SyncedMixin, Base):
    """One benefit of a plan or, rarely, of one patient's coverage (then `insurance_plan_id`
    is empty and `patient_plan_id` is set)."""

    __tablename__ = "benefits"
    __entity__ = "benefit"
    __table_args__ = synced_table_args("benefits", Index("ix_benefits_plan", "insurance_plan_id"))

    insurance_plan_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("insurance_plans.id")
    )
    patient_plan_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("patient_plans.id"))
    coverage_category_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("coverage_categories.id")
    )
    procedure_code_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("procedure_codes.id")
    )
    benefit_type: Mapped[BenefitType] = mapped_column(
        Enum(BenefitType, name="benefit_type", native_enum=False, length=16), nullable=False
    )
    percent: Mapped[int | None] = mapped_column(Integer)  # the insurance's share
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    time_period: Mapped[TimePeriod] = mapped_column(
        Enum(TimePeriod, name="benefit_time_period", native_enum=False, length=28),
        nullable=False,
    )
    quantity_qualifier: Mapped[QuantityQualifier] = mapped_column(
        Enum(QuantityQualifier, name="benefit_quantity_qualifier", native_enum=False, length=20),
        nullable=False,
    )
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    coverage_level: Mapped[CoverageLevel] = mapped_column(
        Enum(CoverageLevel, name="benefit_coverage_level", native_enum=False, length=12),
        nullable=False,
    )
