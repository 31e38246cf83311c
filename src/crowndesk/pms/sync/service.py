"""Asking for sync runs and reading where the sync stands (the API, the CLI and the
scheduler all come through here)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from crowndesk.audit import service as audit
from crowndesk.clinics.models import Clinic
from crowndesk.core.errors import Conflict, NotFound, Unprocessable
from crowndesk.core.pagination import PageParams, PageResult, paginate
from crowndesk.db.locks import LockNotAvailable, named_lock
from crowndesk.db.types import utcnow
from crowndesk.pms.sync.engine import lock_name
from crowndesk.pms.sync.models import (
    ACTIVE_STATES,
    RunMode,
    RunState,
    RunTrigger,
    SyncConflict,
    SyncError,
    SyncPending,
    SyncRun,
    SyncState,
)
from crowndesk.pms.sync.registry import ENTITIES, ENTITY_NAMES, spec_for

# A queued run nobody picked up in this long was lost (e.g. the process stopped).
QUEUED_TIMEOUT = timedelta(hours=1)


class SyncAlreadyRunning(Conflict):
    def __init__(self, busy: Sequence[SyncRun]) -> None:
        names = ", ".join(sorted({run.entity for run in busy}))
        super().__init__(
            f"A sync is already queued or running for {names}.",
            runs=[str(run.id) for run in busy],
        )


class NoClinicToSync(Unprocessable):
    def __init__(self) -> None:
        super().__init__("No clinic has an Open Dental connection to sync.")


async def get_clinic(session: AsyncSession, clinic_id: uuid.UUID) -> Clinic:
    clinic = (
        await session.execute(
            select(Clinic).where(Clinic.id == clinic_id, Clinic.deleted_at.is_(None))
        )
    ).scalar_one_or_none()
    if clinic is None:
        raise NotFound("Clinic not found.")
    return clinic


async def clinics_to_sync(
    session: AsyncSession, clinic_id: uuid.UUID | None, *, scheduled: bool = False
) -> list[Clinic]:
    """The clinic asked for, or every clinic with a connection (and sync enabled, for the
    scheduler)."""
    if clinic_id is not None:
        return [await get_clinic(session, clinic_id)]
    stmt = select(Clinic).where(
        Clinic.deleted_at.is_(None),
        Clinic.od_base_url.is_not(None),
        Clinic.od_customer_key_enc.is_not(None),
    )
    if scheduled:
        stmt = stmt.where(Clinic.od_sync_enabled.is_(True))
    return list((await session.execute(stmt.order_by(Clinic.created_at))).scalars())


async def recover_interrupted(session: AsyncSession, engine: AsyncEngine) -> int:
    """Fail runs that cannot finish: running with nobody holding their lock (the process died),
    or queued for longer than any worker would take to start them."""
    active = list(
        (await session.execute(select(SyncRun).where(SyncRun.state.in_(ACTIVE_STATES)))).scalars()
    )
    now = utcnow()
    recovered = 0
    dead_batches: set[tuple[uuid.UUID, datetime]] = set()
    for run in active:
        if run.state is not RunState.running:
            continue
        try:
            async with named_lock(engine, lock_name(run.clinic_id, run.entity)):
                pass
        except LockNotAvailable:
            continue  # alive
        run.error = "The run was interrupted."
        run.state = RunState.failed
        run.finished_at = now
        recovered += 1
        dead_batches.add((run.clinic_id, run.created_at))
    for run in active:
        if run.state is not RunState.queued:
            continue
        # A batch (one request) is carried out in order by one job or command: when one of
        # its runs died, the process that would have started the rest died with it.
        if (run.clinic_id, run.created_at) in dead_batches:
            run.error = "The run was never started: the sync carrying it out stopped."
        elif now - run.created_at >= QUEUED_TIMEOUT:
            run.error = "The run was never started."
        else:
            continue
        run.state = RunState.failed
        run.finished_at = now
        recovered += 1
    if recovered:
        await session.flush()
    return recovered


async def request_runs(
    session: AsyncSession,
    engine: AsyncEngine,
    *,
    entities: Sequence[str],
    clinic_id: uuid.UUID | None,
    mode: RunMode = RunMode.incremental,
    trigger: RunTrigger = RunTrigger.manual,
) -> list[SyncRun]:
    """Queue one run per clinic and entity. All or nothing: if any of them is already queued
    or running, nothing is queued and the answer is 409."""
    for name in entities:
        spec_for(name)
    clinics = await clinics_to_sync(session, clinic_id)
    if not clinics:
        raise NoClinicToSync()
    await recover_interrupted(session, engine)
    clinic_ids = [c.id for c in clinics]
    busy = (
        (
            await session.execute(
                select(SyncRun).where(
                    SyncRun.clinic_id.in_(clinic_ids),
                    SyncRun.entity.in_(entities),
                    SyncRun.state.in_(ACTIVE_STATES),
                )
            )
        )
        .scalars()
        .all()
    )
    if busy:
        raise SyncAlreadyRunning(busy)
    batch = utcnow()  # one moment for the whole request: `recover_interrupted` tells batches by it
    runs = [
        SyncRun(
            clinic_id=clinic.id,
            entity=name,
            trigger=trigger,
            mode=mode,
            state=RunState.queued,
            created_at=batch,
        )
        for clinic in clinics
        for name in entities
    ]
    try:
        # Added inside the savepoint: `begin_nested` flushes what is pending before it starts.
        async with session.begin_nested():
            session.add_all(runs)
            await session.flush()
    except IntegrityError:
        # Another request queued the same clinic and entity a moment ago.
        raise SyncAlreadyRunning(runs) from None
    for run in runs:
        audit.record(session, "pms_sync.requested", "sync_run", run.id, changed_fields=[run.entity])
    return runs


async def due_entities(session: AsyncSession, clinic: Clinic, now: datetime) -> list[str]:
    """Entities of a clinic whose scheduled cadence has come round and that are not active."""
    states = {
        s.entity: s
        for s in (
            await session.execute(select(SyncState).where(SyncState.clinic_id == clinic.id))
        ).scalars()
    }
    last_started = dict(
        (
            await session.execute(
                select(SyncRun.entity, func.max(SyncRun.created_at))
                .where(SyncRun.clinic_id == clinic.id)
                .group_by(SyncRun.entity)
            )
        ).all()
    )
    active = set(
        (
            await session.execute(
                select(SyncRun.entity).where(
                    SyncRun.clinic_id == clinic.id, SyncRun.state.in_(ACTIVE_STATES)
                )
            )
        ).scalars()
    )
    due = []
    for spec in ENTITIES:
        state = states.get(spec.name)
        every = (
            timedelta(minutes=state.every_minutes)
            if state is not None and state.every_minutes
            else spec.every
        )
        started = last_started.get(spec.name)
        if spec.name not in active and (started is None or now - started >= every):
            due.append(spec.name)
    return due


async def list_runs(
    session: AsyncSession,
    page: PageParams,
    *,
    clinic_id: uuid.UUID | None = None,
    entity: str | None = None,
    state: RunState | None = None,
) -> PageResult[SyncRun]:
    stmt = select(SyncRun)
    if clinic_id is not None:
        stmt = stmt.where(SyncRun.clinic_id == clinic_id)
    if entity is not None:
        stmt = stmt.where(SyncRun.entity == entity)
    if state is not None:
        stmt = stmt.where(SyncRun.state == state)
    return await paginate(session, stmt.order_by(SyncRun.created_at.desc(), SyncRun.id), page)


async def get_run(session: AsyncSession, run_id: uuid.UUID) -> SyncRun:
    run = (await session.execute(select(SyncRun).where(SyncRun.id == run_id))).scalar_one_or_none()
    if run is None:
        raise NotFound("Sync run not found.")
    return run


@dataclass(frozen=True, slots=True)
class EntityStatus:
    entity: str
    last_synced_at: datetime | None
    cursor: str | None
    last_run: SyncRun | None
    open_errors: int
    parked: int


@dataclass(frozen=True, slots=True)
class ClinicStatus:
    clinic_id: uuid.UUID
    clinic_name: str
    entities: list[EntityStatus]


async def status(session: AsyncSession, clinic_id: uuid.UUID | None = None) -> list[ClinicStatus]:
    clinics = await clinics_to_sync(session, clinic_id)
    ids = [c.id for c in clinics]
    states = {
        (s.clinic_id, s.entity): s
        for s in (
            await session.execute(select(SyncState).where(SyncState.clinic_id.in_(ids)))
        ).scalars()
    }
    latest = (
        select(SyncRun.clinic_id, SyncRun.entity, func.max(SyncRun.created_at).label("at"))
        .where(SyncRun.clinic_id.in_(ids))
        .group_by(SyncRun.clinic_id, SyncRun.entity)
        .subquery()
    )
    last_runs = {
        (r.clinic_id, r.entity): r
        for r in (
            await session.execute(
                select(SyncRun).join(
                    latest,
                    (SyncRun.clinic_id == latest.c.clinic_id)
                    & (SyncRun.entity == latest.c.entity)
                    & (SyncRun.created_at == latest.c.at),
                )
            )
        ).scalars()
    }
    errors = await _open_counts(session, SyncError, ids)
    parked = await _open_counts(session, SyncPending, ids)
    return [
        ClinicStatus(
            clinic_id=clinic.id,
            clinic_name=clinic.name,
            entities=[
                EntityStatus(
                    entity=name,
                    last_synced_at=s.last_synced_at
                    if (s := states.get((clinic.id, name)))
                    else None,
                    cursor=s.cursor if s else None,
                    last_run=last_runs.get((clinic.id, name)),
                    open_errors=errors.get((clinic.id, name), 0),
                    parked=parked.get((clinic.id, name), 0),
                )
                for name in ENTITY_NAMES
            ],
        )
        for clinic in clinics
    ]


async def _open_counts(
    session: AsyncSession, model: type[SyncError] | type[SyncPending], clinic_ids: list[uuid.UUID]
) -> dict[tuple[uuid.UUID, str], int]:
    rows = await session.execute(
        select(model.clinic_id, model.entity, func.count())
        .where(model.clinic_id.in_(clinic_ids), model.resolved_at.is_(None))
        .group_by(model.clinic_id, model.entity)
    )
    return {(clinic_id, entity): count for clinic_id, entity, count in rows.all()}


async def list_issues(
    session: AsyncSession,
    model: type[SyncError] | type[SyncPending],
    page: PageParams,
    *,
    clinic_id: uuid.UUID | None = None,
    entity: str | None = None,
    include_resolved: bool = False,
) -> PageResult[Any]:
    stmt = select(model)
    if clinic_id is not None:
        stmt = stmt.where(model.clinic_id == clinic_id)
    if entity is not None:
        stmt = stmt.where(model.entity == entity)
    if not include_resolved:
        stmt = stmt.where(model.resolved_at.is_(None))
    return await paginate(session, stmt.order_by(model.last_seen_at.desc(), model.id), page)


async def list_conflicts(
    session: AsyncSession,
    page: PageParams,
    *,
    clinic_id: uuid.UUID | None = None,
    entity: str | None = None,
) -> PageResult[SyncConflict]:
    stmt = select(SyncConflict)
    if clinic_id is not None:
        stmt = stmt.where(SyncConflict.clinic_id == clinic_id)
    if entity is not None:
        stmt = stmt.where(SyncConflict.entity == entity)
    return await paginate(
        session, stmt.order_by(SyncConflict.detected_at.desc(), SyncConflict.id), page
    )
