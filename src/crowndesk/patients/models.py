"""Patients and families, mirrored from Open Dental."""

from __future__ import annotations

import enum
import uuid
from datetime import date
from typing import ClassVar

from sqlalchemy import Boolean, Date, Enum, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from crowndesk.db.base import Base, SyncedMixin, synced_table_args


class PatientStatus(enum.StrEnum):
    patient = "patient"
    non_patient = "non_patient"
    inactive = "inactive"
    archived = "archived"
    deleted = "deleted"
    deceased = "deceased"
    prospective = "prospective"


class Gender(enum.StrEnum):
    male = "male"
    female = "female"
    unknown = "unknown"
    other = "other"


class Position(enum.StrEnum):
    single = "single"
    married = "married"
    child = "child"
    widowed = "widowed"
    divorced = "divorced"


class Patient(SyncedMixin, Base):
    __tablename__ = "patients"
    __entity__ = "patient"
    __table_args__ = synced_table_args(
        "patients", Index("ix_patients_tenant_last_first", "tenant_id", "last_name", "first_name")
    )

    first_name: Mapped[str | None] = mapped_column(String)
    last_name: Mapped[str | None] = mapped_column(String)
    middle_initial: Mapped[str | None] = mapped_column(String)
    preferred_name: Mapped[str | None] = mapped_column(String)
    birth_date: Mapped[date | None] = mapped_column(Date)
    gender: Mapped[Gender | None] = mapped_column(
        Enum(Gender, name="gender", native_enum=False, length=10)
    )
    status: Mapped[PatientStatus] = mapped_column(
        Enum(PatientStatus, name="patient_status", native_enum=False, length=12), nullable=False
    )
    position: Mapped[Position | None] = mapped_column(
        Enum(Position, name="patient_position", native_enum=False, length=10)
    )
    email: Mapped[str | None] = mapped_column(String)
    wireless_phone: Mapped[str | None] = mapped_column(String)
    home_phone: Mapped[str | None] = mapped_column(String)
    work_phone: Mapped[str | None] = mapped_column(String)
    address: Mapped[str | None] = mapped_column(String)
    address2: Mapped[str | None] = mapped_column(String)
    city: Mapped[str | None] = mapped_column(String)
    state: Mapped[str | None] = mapped_column(String)
    zip: Mapped[str | None] = mapped_column(String)
    chart_number: Mapped[str | None] = mapped_column(String)
    billing_type: Mapped[str | None] = mapped_column(String)
    language: Mapped[str | None] = mapped_column(String)
    first_visit_date: Mapped[date | None] = mapped_column(Date)
    text_ok: Mapped[bool | None] = mapped_column(Boolean)
    primary_provider_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("providers.id"))
    secondary_provider_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("providers.id")
    )
    # Open Dental's key of the guarantor; the sync links `guarantor_id`/`family_id` from it
    # once every member has arrived (a guarantor may come on a later page than its family).
    pms_guarantor_id: Mapped[str | None] = mapped_column(String(40))
    guarantor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("patients.id"))
    family_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    # Derived by the sync for search: folded names ("last first preferred middle"), and the
    # digits of every phone number.
    name_key: Mapped[str] = mapped_column(String, default="", nullable=False)
    phone_key: Mapped[str] = mapped_column(String, default="", nullable=False)


class Family(SyncedMixin, Base):
    """Everyone who shares a guarantor; `pms_id` is the guarantor's Open Dental key."""

    __tablename__ = "families"
    __entity__ = "family"
    __table_args__ = synced_table_args("families")
    __audited__: ClassVar[bool] = False

    guarantor_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("patients.id"), nullable=False, index=True
    )
