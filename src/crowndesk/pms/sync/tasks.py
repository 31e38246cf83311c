"""Sync jobs: carry out queued runs, queue the scheduled ones, reconcile deletions daily."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select

from crowndesk.clinics.models import Clinic
from crowndesk.core.context import Context
from crowndesk.core.crypto import SecretBox
from crowndesk.db.engine import unit_of_work
from crowndesk.db.tenancy import unscoped
from crowndesk.db.types import utcnow
from crowndesk.jobs.registry import JobEnv, JobRunner, schedule, task
from crowndesk.pms.sync import service as sync_service
from crowndesk.pms.sync.engine import SyncEnv, execute_batch
from crowndesk.pms.sync.models import RunMode, RunTrigger, SyncRun
from crowndesk.pms.sync.registry import ENTITIES

RUN_TASK = "pms_sync.run"


def sync_env(env: JobEnv) -> SyncEnv:
    return SyncEnv(env.engine, env.sessionmaker, SecretBox(env.settings.secret_key))


async def enqueue_runs(runner: JobRunner, tenant_id: uuid.UUID, runs: Sequence[SyncRun]) -> None:
    """One job per clinic, carrying its runs in dependency order."""
    by_clinic: dict[uuid.UUID, list[str]] = defaultdict(list)
    for run in runs:
        by_clinic[run.clinic_id].append(str(run.id))
    for run_ids in by_clinic.values():
        await runner.enqueue(RUN_TASK, tenant_id=str(tenant_id), run_ids=run_ids)


@task(RUN_TASK)
async def run_queued(env: JobEnv, tenant_id: str, run_ids: list[str]) -> None:
    await execute_batch(sync_env(env), uuid.UUID(tenant_id), [uuid.UUID(r) for r in run_ids])


async def _tenants_with_sync(env: JobEnv) -> dict[uuid.UUID, list[uuid.UUID]]:
    async with env.sessionmaker() as session:
        with unscoped(session):
            rows = await session.execute(
                select(Clinic.tenant_id, Clinic.id).where(
                    Clinic.deleted_at.is_(None),
                    Clinic.od_sync_enabled.is_(True),
                    Clinic.od_base_url.is_not(None),
                )
            )
            clinics: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
            for tenant_id, clinic_id in rows.all():
                clinics[tenant_id].append(clinic_id)
    return clinics


async def _queue_for_tenant(
    env: JobEnv,
    tenant_id: uuid.UUID,
    clinic_ids: list[uuid.UUID],
    *,
    mode: RunMode,
    reconcile_only: bool = False,
) -> None:
    ctx = Context(tenant_id=tenant_id, user_id=None, roles=frozenset())
    queued: list[SyncRun] = []
    async with unit_of_work(env.sessionmaker, ctx) as session:
        for clinic_id in clinic_ids:
            clinic = await sync_service.get_clinic(session, clinic_id)
            if reconcile_only:
                entities = [spec.name for spec in ENTITIES if spec.hard_deletes]
            else:
                entities = await sync_service.due_entities(session, clinic, utcnow())
            if not entities:
                continue
            try:
                queued += await sync_service.request_runs(
                    session,
                    env.engine,
                    entities=entities,
                    clinic_id=clinic_id,
                    mode=mode,
                    trigger=RunTrigger.schedule,
                )
            except sync_service.SyncAlreadyRunning:
                continue  # picked up on the next tick
    await enqueue_runs(env.runner, tenant_id, queued)


@task("pms_sync.dispatch")
async def dispatch(env: JobEnv) -> None:
    """Queue every entity whose cadence has come round, for every clinic with sync enabled."""
    for tenant_id, clinic_ids in (await _tenants_with_sync(env)).items():
        await _queue_for_tenant(env, tenant_id, clinic_ids, mode=RunMode.incremental)


@task("pms_sync.reconcile")
async def reconcile(env: JobEnv) -> None:
    """Find rows deleted in Open Dental without a trace (daily)."""
    for tenant_id, clinic_ids in (await _tenants_with_sync(env)).items():
        await _queue_for_tenant(
            env, tenant_id, clinic_ids, mode=RunMode.reconcile, reconcile_only=True
        )


schedule("pms_sync.dispatch", "pms_sync.dispatch", every=timedelta(minutes=1))
schedule("pms_sync.reconcile", "pms_sync.reconcile", every=timedelta(days=1))
