"""Declarative base, naming convention, and the mixins every table uses."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import DateTime, MetaData, String, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from crowndesk.db.types import UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # Tables whose changes the activity log records automatically (see crowndesk.audit).
    __audited__: ClassVar[bool] = True
    # The entity name used in the activity log and error messages.
    __entity__: ClassVar[str] = ""


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False
    )


class TenantMixin:
    """A tenant-owned table. Every query on it is scoped by `crowndesk.db.tenancy`."""

    @declared_attr
    def tenant_id(cls) -> Mapped[uuid.UUID]:  # noqa: N805
        from sqlalchemy import ForeignKey

        return mapped_column(
            Uuid, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True
        )


PMS_SOURCE = "opendental"


class SyncedMixin(UUIDPrimaryKey, Timestamps, TenantMixin):
    """A row mirrored from the practice management system (see ARCHITECTURE.md, data rules).

    `pms_updated_at` is Open Dental's own edit stamp exactly as sent (office wall clock, no
    zone); `last_synced_at` is when the sync last wrote the row; `local_modified_at` marks a
    local edit that Open Dental has not overwritten yet (an overwrite is a sync conflict).
    Tables add `synced_table_args()` to their `__table_args__`.
    """

    __audited__: ClassVar[bool] = False  # written in bulk by the sync; runs are audited instead

    @declared_attr
    def clinic_id(cls) -> Mapped[uuid.UUID]:  # noqa: N805
        from sqlalchemy import ForeignKey

        return mapped_column(Uuid, ForeignKey("clinics.id", ondelete="CASCADE"), nullable=False)

    pms_source: Mapped[str] = mapped_column(String(20), default=PMS_SOURCE, nullable=False)
    pms_id: Mapped[str] = mapped_column(String(40), nullable=False)
    pms_updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pms_deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    local_modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def synced_table_args(table: str, *extra: Any) -> tuple[Any, ...]:
    """The natural key every mirrored table has, plus the table's own constraints/indexes."""
    from sqlalchemy import UniqueConstraint

    return (
        UniqueConstraint("tenant_id", "clinic_id", "pms_source", "pms_id", name=f"uq_{table}_pms"),
        *extra,
    )
