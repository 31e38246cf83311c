"""Referral sources (doctors, and marketing sources such as "Google Search") and the
referrals attached to patients, mirrored from Open Dental."""

from __future__ import annotations

import enum
import uuid
from datetime import date

from sqlalchemy import Boolean, Date, Enum, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from crowndesk.db.base import Base, SyncedMixin, synced_table_args


class ReferralType(enum.StrEnum):
    to = "to"  # the practice referred the patient out
    from_ = "from"  # the patient was referred to the practice
    custom = "custom"


class ReferralStatus(enum.StrEnum):
    none = "none"
    declined = "declined"
    scheduled = "scheduled"
    consulted = "consulted"
    in_treatment = "in_treatment"
    complete = "complete"


class ReferralSource(SyncedMixin, Base):
    __tablename__ = "referral_sources"
    __entity__ = "referral_source"
    __table_args__ = synced_table_args("referral_sources")

    # For a source that is not a person, `last_name` holds its description.
    last_name: Mapped[str | None] = mapped_column(String)
    first_name: Mapped[str | None] = mapped_column(String)
    middle_name: Mapped[str | None] = mapped_column(String)
    business_name: Mapped[str | None] = mapped_column(String)
    title: Mapped[str | None] = mapped_column(String)
    specialty: Mapped[int | None] = mapped_column(Integer)  # Open Dental definition number
    phone: Mapped[str | None] = mapped_column(String)
    email: Mapped[str | None] = mapped_column(String)
    address: Mapped[str | None] = mapped_column(String)
    address2: Mapped[str | None] = mapped_column(String)
    city: Mapped[str | None] = mapped_column(String)
    state: Mapped[str | None] = mapped_column(String)
    zip: Mapped[str | None] = mapped_column(String)
    note: Mapped[str | None] = mapped_column(String)
    is_hidden: Mapped[bool] = mapped_column(Boolean, nullable=False)
    not_person: Mapped[bool] = mapped_column(Boolean, nullable=False)
    is_doctor: Mapped[bool] = mapped_column(Boolean, nullable=False)
    is_preferred: Mapped[bool] = mapped_column(Boolean, nullable=False)
    # When the source is one of the practice's patients.
    patient_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("patients.id"))


class ReferralAttachment(SyncedMixin, Base):
    __tablename__ = "referral_attachments"
    __entity__ = "referral_attachment"
    __table_args__ = synced_table_args(
        "referral_attachments", Index("ix_referral_attachments_patient", "patient_id")
    )

    referral_source_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("referral_sources.id"), nullable=False
    )
    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), nullable=False)
    procedure_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("procedures.id"))
    provider_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("providers.id"))
    referral_type: Mapped[ReferralType] = mapped_column(
        Enum(ReferralType, name="referral_type", native_enum=False, length=8), nullable=False
    )
    referral_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[ReferralStatus] = mapped_column(
        Enum(ReferralStatus, name="referral_status", native_enum=False, length=14),
        nullable=False,
    )
    note: Mapped[str | None] = mapped_column(String)
    is_transition_of_care: Mapped[bool] = mapped_column(Boolean, nullable=False)
    procedure_completed_date: Mapped[date | None] = mapped_column(Date)
    item_order: Mapped[int] = mapped_column(Integer, nullable=False)
