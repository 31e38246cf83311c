"""Providers, operatories and appointments, mirrored from Open Dental."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Enum, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from crowndesk.db.base import Base, SyncedMixin, synced_table_args


class ProviderStatus(enum.StrEnum):
    active = "active"
    deleted = "deleted"


class AppointmentStatus(enum.StrEnum):
    scheduled = "scheduled"
    complete = "complete"
    unscheduled = "unscheduled"
    asap = "asap"
    broken = "broken"
    planned = "planned"
    patient_note = "patient_note"
    patient_note_completed = "patient_note_completed"


class Provider(SyncedMixin, Base):
    __tablename__ = "providers"
    __entity__ = "provider"
    __table_args__ = synced_table_args("providers")

    abbreviation: Mapped[str | None] = mapped_column(String)
    first_name: Mapped[str | None] = mapped_column(String)
    last_name: Mapped[str | None] = mapped_column(String)
    middle_initial: Mapped[str | None] = mapped_column(String)
    suffix: Mapped[str | None] = mapped_column(String)
    preferred_name: Mapped[str | None] = mapped_column(String)
    specialty: Mapped[int | None] = mapped_column(Integer)  # Open Dental definition number
    npi: Mapped[str | None] = mapped_column(String)
    state_license: Mapped[str | None] = mapped_column(String)
    is_hygienist: Mapped[bool] = mapped_column(Boolean, nullable=False)
    is_hidden: Mapped[bool] = mapped_column(Boolean, nullable=False)
    is_not_person: Mapped[bool] = mapped_column(Boolean, nullable=False)
    status: Mapped[ProviderStatus] = mapped_column(
        Enum(ProviderStatus, name="provider_status", native_enum=False, length=10), nullable=False
    )
    birth_date: Mapped[date | None] = mapped_column(Date)


class Operatory(SyncedMixin, Base):
    __tablename__ = "operatories"
    __entity__ = "operatory"
    __table_args__ = synced_table_args("operatories")

    name: Mapped[str | None] = mapped_column(String)
    abbreviation: Mapped[str | None] = mapped_column(String)
    item_order: Mapped[int] = mapped_column(Integer, nullable=False)
    is_hidden: Mapped[bool] = mapped_column(Boolean, nullable=False)
    is_hygiene: Mapped[bool] = mapped_column(Boolean, nullable=False)
    is_web_sched: Mapped[bool] = mapped_column(Boolean, nullable=False)
    dentist_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("providers.id"))
    hygienist_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("providers.id"))


class Appointment(SyncedMixin, Base):
    __tablename__ = "appointments"
    __entity__ = "appointment"
    __table_args__ = synced_table_args(
        "appointments",
        Index("ix_appointments_tenant_start", "tenant_id", "start"),
        Index("ix_appointments_patient", "patient_id"),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), nullable=False)
    provider_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("providers.id"))
    hygienist_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("providers.id"))
    operatory_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("operatories.id"))
    # The office's wall-clock time, as Open Dental keeps it.
    start: Mapped[datetime | None] = mapped_column(DateTime)
    pattern: Mapped[str | None] = mapped_column(String)
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[AppointmentStatus] = mapped_column(
        Enum(AppointmentStatus, name="appointment_status", native_enum=False, length=24),
        nullable=False,
    )
    confirmed: Mapped[int | None] = mapped_column(Integer)  # Open Dental definition number
    note: Mapped[str | None] = mapped_column(String)
    is_new_patient: Mapped[bool] = mapped_column(Boolean, nullable=False)
    is_hygiene: Mapped[bool] = mapped_column(Boolean, nullable=False)
    procedure_description: Mapped[str | None] = mapped_column(String)
    priority: Mapped[str | None] = mapped_column(String)
    arrived_at: Mapped[datetime | None] = mapped_column(DateTime)
    seated_at: Mapped[datetime | None] = mapped_column(DateTime)
    dismissed_at: Mapped[datetime | None] = mapped_column(DateTime)
