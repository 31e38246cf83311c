"""The activity log: who did what to which entity, never the values."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from crowndesk.db.base import Base, TenantMixin, UUIDPrimaryKey
from crowndesk.db.types import UTCDateTime, utcnow


class ActorType(enum.StrEnum):
    user = "user"
    system = "system"


class ActivityLog(UUIDPrimaryKey, TenantMixin, Base):
    __tablename__ = "activity_logs"
    __entity__ = "activity_log"
    __audited__ = False
    __table_args__ = (Index("ix_activity_logs_tenant_created", "tenant_id", "created_at"),)

    actor_type: Mapped[ActorType] = mapped_column(
        Enum(ActorType, name="actor_type", native_enum=False, length=10), nullable=False
    )
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    action: Mapped[str] = mapped_column(String(80), nullable=False)
    entity_type: Mapped[str] = mapped_column(String(80), nullable=False)
    entity_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    request_id: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    changed_fields: Mapped[list[Any]] = mapped_column(JSON, default=list, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
