"""Clinics (locations) with their Open Dental connection."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crowndesk.db.base import Base, TenantMixin, Timestamps, UUIDPrimaryKey
from crowndesk.db.types import UTCDateTime


class ConnectionMode(enum.StrEnum):
    remote = "remote"  # Open Dental's remote API service: 100-row pages, throttled per key
    local = "local"  # the office's local API: 1,000-row pages
    service = "service"  # the API service on the office network: 1,000-row pages

    @property
    def page_size(self) -> int:
        return 100 if self is ConnectionMode.remote else 1000


class ApiTier(enum.StrEnum):
    read_all = "read_all"
    standard = "standard"
    enterprise = "enterprise"

    @property
    def interval_ms(self) -> int:
        return {"read_all": 5000, "standard": 1000, "enterprise": 500}[self.value]


class Clinic(UUIDPrimaryKey, Timestamps, TenantMixin, Base):
    __tablename__ = "clinics"
    __entity__ = "clinic"
    __table_args__ = (UniqueConstraint("tenant_id", "id"),)

    name: Mapped[str] = mapped_column(String(200), nullable=False)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False)
    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    address_city: Mapped[str | None] = mapped_column(String(100))
    address_state: Mapped[str | None] = mapped_column(String(100))
    address_postal_code: Mapped[str | None] = mapped_column(String(20))
    address_country: Mapped[str | None] = mapped_column(String(2))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    contact_phone: Mapped[str | None] = mapped_column(String(40))

    od_base_url: Mapped[str | None] = mapped_column(String(500))
    od_developer_key_enc: Mapped[str | None] = mapped_column(String(500))
    od_customer_key_enc: Mapped[str | None] = mapped_column(String(500))
    od_customer_key_last4: Mapped[str | None] = mapped_column(String(4))
    od_sync_enabled: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    od_mode: Mapped[ConnectionMode] = mapped_column(
        Enum(ConnectionMode, name="od_mode", native_enum=False, length=10),
        default=ConnectionMode.remote,
        nullable=False,
    )
    od_tier: Mapped[ApiTier] = mapped_column(
        Enum(ApiTier, name="od_tier", native_enum=False, length=12),
        default=ApiTier.standard,
        nullable=False,
    )
    od_request_interval_ms: Mapped[int | None] = mapped_column(Integer)

    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def effective_request_interval_ms(self) -> int:
        if self.od_request_interval_ms is not None:
            return self.od_request_interval_ms
        if self.od_mode is not ConnectionMode.remote:
            return 0
        return self.od_tier.interval_ms
