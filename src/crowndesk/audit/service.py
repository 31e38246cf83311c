"""Writes the activity log automatically, in one place: a flush hook on every session.

Each create, update and delete of an audited model becomes one row naming the changed
fields (never their values). Who acted and from where comes from `session.info["audit"]`,
which the boundary fills in; without it the actor is the system. A rolled-back transaction
takes its activity rows with it, so a refused request leaves no mutation row.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic.alias_generators import to_camel
from sqlalchemy import Select, event, insert, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, UOWTransaction

from crowndesk.audit.models import ActivityLog, ActorType

__all__ = [
    "Actor",
    "ActorType",
    "record",
    "read_phi",
    "set_actor",
    "list_activity",
    "activity_query",
]
from crowndesk.core.pagination import PageParams, PageResult, paginate
from crowndesk.db.base import Base, TenantMixin
from crowndesk.db.bulk import append_rows
from crowndesk.db.tenancy import current_tenant
from crowndesk.db.types import utcnow

AUDIT_KEY = "audit"
IGNORED_FIELDS = frozenset({"updated_at", "created_at"})


@dataclass(frozen=True, slots=True)
class Actor:
    actor_type: ActorType = ActorType.system
    actor_id: uuid.UUID | None = None
    request_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None


SYSTEM = Actor()


def set_actor(session: Any, actor: Actor) -> None:
    session.info[AUDIT_KEY] = actor


def _actor(session: Any) -> Actor:
    actor: Actor = session.info.get(AUDIT_KEY, SYSTEM)
    return actor


def record(
    session: AsyncSession | Session,
    action: str,
    entity_type: str,
    entity_id: uuid.UUID | None,
    *,
    tenant_id: uuid.UUID | None = None,
    changed_fields: list[str] | None = None,
) -> ActivityLog:
    """Add an explicit event (login, logout, revocation ...) to the current transaction."""
    actor = _actor(session)
    entry = ActivityLog(
        id=uuid.uuid4(),
        tenant_id=tenant_id or current_tenant(session),
        actor_type=actor.actor_type,
        actor_id=actor.actor_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        request_id=actor.request_id,
        ip=actor.ip,
        user_agent=actor.user_agent,
        changed_fields=sorted(changed_fields or []),
    )
    session.add(entry)
    return entry


READ_PHI = "read_phi"


async def read_phi(session: AsyncSession, patient_ids: Iterable[uuid.UUID | None]) -> None:
    """Log that the current actor read these patients' records: one `read_phi` row for each
    distinct patient, written in one statement."""
    actor = _actor(session)
    tenant_id = current_tenant(session)
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {
            "id": uuid.uuid4(),
            "tenant_id": tenant_id,
            "actor_type": actor.actor_type,
            "actor_id": actor.actor_id,
            "action": READ_PHI,
            "entity_type": "patient",
            "entity_id": patient_id,
            "request_id": actor.request_id,
            "ip": actor.ip,
            "user_agent": actor.user_agent,
            "changed_fields": [],
            "created_at": now,
        }
        for patient_id in dict.fromkeys(patient_ids)
        if patient_id is not None
    ]
    if rows:
        if tenant_id is None:
            raise RuntimeError("patient records read outside a tenant")
        await append_rows(session, ActivityLog.__table__, rows)  # type: ignore[arg-type]


def _entity_tenant(obj: Base) -> uuid.UUID | None:
    if isinstance(obj, TenantMixin):
        return obj.tenant_id
    tenant_id: uuid.UUID | None = (
        getattr(obj, "id", None) if obj.__tablename__ == "tenants" else None
    )
    return tenant_id


def _changed_fields(obj: Base) -> list[str]:
    state = inspect(obj)
    return sorted(
        to_camel(attr.key)
        for attr in state.mapper.column_attrs
        if attr.key not in IGNORED_FIELDS and state.attrs[attr.key].history.has_changes()
    )


def _set_fields(obj: Base) -> list[str]:
    state = inspect(obj)
    return sorted(
        to_camel(attr.key)
        for attr in state.mapper.column_attrs
        if attr.key not in IGNORED_FIELDS and getattr(obj, attr.key) is not None
    )


@event.listens_for(Session, "after_flush")
def _write_activity(session: Session, flush_context: UOWTransaction) -> None:
    # After the flush the rows exist (so the log's foreign keys hold) while the session
    # still shows what was new, changed and deleted, with the attribute history.
    entries: list[tuple[str, Base, list[str]]] = []
    for obj in session.new:
        if isinstance(obj, Base) and obj.__audited__:
            entries.append(("create", obj, _set_fields(obj)))
    for obj in session.dirty:
        if isinstance(obj, Base) and obj.__audited__ and session.is_modified(obj):
            fields = _changed_fields(obj)
            if not fields:
                continue
            deleting = "deletedAt" in fields and getattr(obj, "deleted_at", None) is not None
            entries.append(("delete" if deleting else "update", obj, fields))
    for obj in session.deleted:
        if isinstance(obj, Base) and obj.__audited__:
            entries.append(("delete", obj, []))
    actor = _actor(session)
    rows = []
    for action, obj, fields in entries:
        tenant_id = _entity_tenant(obj) or current_tenant(session)
        if tenant_id is None:
            continue  # nothing tenant-owned can change without a tenant; see db.tenancy
        rows.append(
            {
                "id": uuid.uuid4(),
                "tenant_id": tenant_id,
                "actor_type": actor.actor_type,
                "actor_id": actor.actor_id,
                "action": f"{obj.__entity__}.{action}",
                "entity_type": obj.__entity__,
                "entity_id": getattr(obj, "id", None),
                "request_id": actor.request_id,
                "ip": actor.ip,
                "user_agent": actor.user_agent,
                "changed_fields": fields,
                "created_at": utcnow(),
            }
        )
    if rows:
        session.connection().execute(insert(ActivityLog), rows)


def activity_query(
    *,
    actor_id: uuid.UUID | None = None,
    action: str | None = None,
    entity_type: str | None = None,
    entity_id: uuid.UUID | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> Select[ActivityLog]:
    stmt = select(ActivityLog)
    if actor_id is not None:
        stmt = stmt.where(ActivityLog.actor_id == actor_id)
    if action:
        stmt = stmt.where(ActivityLog.action == action)
    if entity_type:
        stmt = stmt.where(ActivityLog.entity_type == entity_type)
    if entity_id is not None:
        stmt = stmt.where(ActivityLog.entity_id == entity_id)
    if date_from is not None:
        stmt = stmt.where(ActivityLog.created_at >= _utc_start(date_from))
    if date_to is not None:
        stmt = stmt.where(ActivityLog.created_at < _utc_start(date_to, days=1))
    return stmt.order_by(ActivityLog.created_at.desc(), ActivityLog.id.desc())


def _utc_start(day: date, days: int = 0) -> datetime:
    return datetime.combine(day + timedelta(days=days), time.min, tzinfo=UTC)


async def list_activity(
    session: AsyncSession, page: PageParams, **filters: Any
) -> PageResult[ActivityLog]:
    return await paginate(session, activity_query(**filters), page)
