"""The sync API's shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from crowndesk.core.schema import InputSchema, Schema
from crowndesk.pms.sync.models import RunMode, RunState, RunTrigger


class SyncRequest(InputSchema):
    clinic_id: uuid.UUID | None = None


class RunAccepted(Schema):
    id: uuid.UUID
    clinic_id: uuid.UUID
    entity: str
    state: RunState


class RunsAccepted(Schema):
    runs: list[RunAccepted]


class RunRead(Schema):
    id: uuid.UUID
    clinic_id: uuid.UUID
    entity: str
    trigger: RunTrigger
    mode: RunMode
    state: RunState
    strategy: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_seconds: float | None
    requests: int
    pages: int
    inserted: int
    updated: int
    unchanged: int
    failed: int
    parked: int
    deleted: int
    error: str | None


class EntityStatusRead(Schema):
    entity: str
    last_synced_at: datetime | None
    cursor: str | None
    last_run: RunRead | None
    open_errors: int
    parked: int


class ClinicStatusRead(Schema):
    clinic_id: uuid.UUID
    clinic_name: str
    entities: list[EntityStatusRead]


class StatusRead(Schema):
    clinics: list[ClinicStatusRead]


class IssueRead(Schema):
    id: uuid.UUID
    clinic_id: uuid.UUID
    entity: str
    pms_id: str | None
    reason: str
    payload: Any
    first_seen_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None


class PendingRead(IssueRead):
    waiting_for: str


class ConflictRead(Schema):
    id: uuid.UUID
    clinic_id: uuid.UUID
    entity: str
    record_id: uuid.UUID
    pms_id: str
    field: str
    local_value: Any
    pms_value: Any
    detected_at: datetime
    run_id: uuid.UUID | None


class ConnectionTest(Schema):
    ok: bool
    reachable: bool
    authenticated: bool
    message: str
    server_date_time: str | None
