"""The sync engine's own bookkeeping: state per clinic and entity, runs, errors, parked
records and conflicts."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Index, Integer, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from crowndesk.db.base import Base, TenantMixin, Timestamps, UUIDPrimaryKey
from crowndesk.db.types import UTCDateTime, utcnow


class RunState(enum.StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


ACTIVE_STATES = (RunState.queued, RunState.running)


class RunTrigger(enum.StrEnum):
    manual = "manual"
    schedule = "schedule"


class RunMode(enum.StrEnum):
    incremental = "incremental"  # from the stored cursor
    reset = "reset"  # forget the cursor, read everything
    reconcile = "reconcile"  # compare keys to find rows deleted without a trace


def _enum(cls: type[enum.Enum], name: str, length: int = 12) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=length)


class _Bookkeeping(UUIDPrimaryKey, TenantMixin):
    __audited__: ClassVar[bool] = False  # the engine records runs as explicit events


class SyncState(_Bookkeeping, Timestamps, Base):
    """Where the sync of one entity of one clinic stands."""

    __tablename__ = "sync_states"
    __entity__ = "sync_state"
    __table_args__ = (
        Index("uq_sync_states_entity", "tenant_id", "clinic_id", "entity", unique=True),
    )

    clinic_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("clinics.id", ondelete="CASCADE"), nullable=False
    )
    entity: Mapped[str] = mapped_column(String(40), nullable=False)
    # Open Dental's clock, exactly as it sent it (`yyyy-MM-dd HH:mm:ss`).
    cursor: Mapped[str | None] = mapped_column(String(32))
    # Our clock: the start of the last successful read of children of changed parents.
    parent_mark: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_reconciled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # Whether the office granted the Queries permission (None: not tried yet).
    queries_permitted: Mapped[bool | None] = mapped_column(Boolean)
    queries_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Per-clinic override of the scheduled cadence, in minutes.
    every_minutes: Mapped[int | None] = mapped_column(Integer)


class SyncRun(_Bookkeeping, Base):
    __tablename__ = "sync_runs"
    __entity__ = "sync_run"
    __table_args__ = (
        # At most one queued or running run per clinic and entity, enforced by the database.
        Index(
            "uq_sync_runs_active",
            "tenant_id",
            "clinic_id",
            "entity",
            unique=True,
            sqlite_where=text("state IN ('queued', 'running')"),
            postgresql_where=text("state IN ('queued', 'running')"),
        ),
        Index("ix_sync_runs_clinic_created", "tenant_id", "clinic_id", "created_at"),
    )

    clinic_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("clinics.id", ondelete="CASCADE"), nullable=False
    )
    entity: Mapped[str] = mapped_column(String(40), nullable=False)
    trigger: Mapped[RunTrigger] = mapped_column(
        _enum(RunTrigger, "sync_run_trigger"), nullable=False
    )
    mode: Mapped[RunMode] = mapped_column(_enum(RunMode, "sync_run_mode"), nullable=False)
    state: Mapped[RunState] = mapped_column(_enum(RunState, "sync_run_state"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    strategy: Mapped[str | None] = mapped_column(String(20))
    requests: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    pages: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    inserted: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    updated: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    unchanged: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    failed: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    parked: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    deleted: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    cursor_before: Mapped[str | None] = mapped_column(String(32))
    cursor_after: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(String(1000))

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class _RecordIssue(_Bookkeeping):
    """A record the engine could not store as it came: why, and the payload as received."""

    clinic_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("clinics.id", ondelete="CASCADE"), nullable=False
    )
    entity: Mapped[str] = mapped_column(String(40), nullable=False)
    # Open Dental's key, or a digest of the payload when the key itself is unreadable.
    record_key: Mapped[str] = mapped_column(String(80), nullable=False)
    pms_id: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    payload: Mapped[Any] = mapped_column(JSON, nullable=False)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class SyncError(_RecordIssue, Base):
    """A malformed record: kept until a later read of the same record succeeds."""

    __tablename__ = "sync_errors"
    __entity__ = "sync_error"
    __table_args__ = (
        Index(
            "uq_sync_errors_record", "tenant_id", "clinic_id", "entity", "record_key", unique=True
        ),
    )


class SyncPending(_RecordIssue, Base):
    """A record whose parent has not arrived yet: retried on every run of its entity."""

    __tablename__ = "sync_pending"
    __entity__ = "sync_pending"
    __table_args__ = (
        Index(
            "uq_sync_pending_record", "tenant_id", "clinic_id", "entity", "record_key", unique=True
        ),
    )

    waiting_for: Mapped[str] = mapped_column(String(80), nullable=False)


class SyncConflict(_Bookkeeping, Base):
    """Open Dental overwrote a field that was changed here (Open Dental wins; this is the trace)."""

    __tablename__ = "sync_conflicts"
    __entity__ = "sync_conflict"
    __table_args__ = (Index("ix_sync_conflicts_clinic", "tenant_id", "clinic_id", "detected_at"),)

    clinic_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("clinics.id", ondelete="CASCADE"), nullable=False
    )
    entity: Mapped[str] = mapped_column(String(40), nullable=False)
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    pms_id: Mapped[str] = mapped_column(String(40), nullable=False)
    field: Mapped[str] = mapped_column(String(60), nullable=False)
    local_value: Mapped[Any] = mapped_column(JSON)
    pms_value: Mapped[Any] = mapped_column(JSON)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
