"""Helpers for the sync tests: a sandbox, a connected practice, shortcuts to sync it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from crowndesk.auth.models import Tenant
from crowndesk.clinics.models import ApiTier, Clinic, ConnectionMode
from crowndesk.core.context import Context, Role
from crowndesk.db.engine import unit_of_work
from crowndesk.db.tenancy import unscoped
from crowndesk.odsim import SandboxConfig, SandboxServer
from crowndesk.pms.sync import service as sync_service
from crowndesk.pms.sync.engine import SyncEnv, execute_run
from crowndesk.pms.sync.models import RunMode, SyncRun
from crowndesk.pms.sync.registry import ENTITY_NAMES
from crowndesk.pms.sync.verify import verify

SECRET = "sync-test-secret-" + "y" * 40


def start_sandbox(**overrides: Any) -> SandboxServer:
    config = SandboxConfig(**{"patients": 60, "seed": 11, "ticking": False, **overrides})
    server = SandboxServer(config)
    server.start()
    return server


@dataclass
class Practice:
    """A tenant with one clinic connected to a sandbox, and shortcuts to sync it."""

    env: SyncEnv
    tenant_id: uuid.UUID
    clinic_id: uuid.UUID
    server: SandboxServer

    @property
    def ctx(self) -> Context:
        return Context(tenant_id=self.tenant_id, user_id=None, roles=frozenset({Role.owner}))

    async def queue(
        self, entities: tuple[str, ...] = ENTITY_NAMES, mode: RunMode = RunMode.incremental
    ) -> list[SyncRun]:
        async with unit_of_work(self.env.sessionmaker, self.ctx) as session:
            return await sync_service.request_runs(
                session, self.env.engine, entities=entities, clinic_id=self.clinic_id, mode=mode
            )

    async def sync(
        self, entities: tuple[str, ...] = ENTITY_NAMES, mode: RunMode = RunMode.incremental
    ) -> list[SyncRun]:
        runs = await self.queue(entities, mode)
        return [await execute_run(self.env, self.tenant_id, run.id) for run in runs]

    async def rows(self, model: Any, *where: Any) -> list[Any]:
        async with unit_of_work(self.env.sessionmaker, self.ctx) as session:
            return list((await session.execute(select(model).where(*where))).scalars())


async def connect_practice(
    env: SyncEnv,
    server: SandboxServer,
    *,
    mode: ConnectionMode = ConnectionMode.service,
    interval_ms: int | None = None,
) -> Practice:
    box = env.box
    config = server.sandbox.config
    async with env.sessionmaker() as session, session.begin():
        with unscoped(session):
            tenant = Tenant(name="Sync Dental " + uuid.uuid4().hex[:6])
            session.add(tenant)
            await session.flush()
            clinic = Clinic(
                tenant_id=tenant.id,
                name="Main",
                timezone="America/Chicago",
                od_base_url=server.api_url,
                od_developer_key_enc=box.encrypt(config.developer_key),
                od_customer_key_enc=box.encrypt(config.customer_key),
                od_customer_key_last4=config.customer_key[-4:],
                od_sync_enabled=True,
                od_mode=mode,
                od_tier=ApiTier.standard,
                od_request_interval_ms=interval_ms,
            )
            session.add(clinic)
            await session.flush()
            return Practice(env, tenant.id, clinic.id, server)


# Resources the small generated practice may leave empty.
EMPTY_ALLOWED = {"referral_attachments", "saved_plan_procedures", "adjustments"}


async def assert_mirrored(practice: Practice, entities: tuple[str, ...] = ENTITY_NAMES) -> None:
    """The mirror equals Open Dental field by field, for every entity."""
    async with unit_of_work(practice.env.sessionmaker, practice.ctx) as session:
        clinic = (
            await session.execute(select(Clinic).where(Clinic.id == practice.clinic_id))
        ).scalar_one()
        for name in entities:
            result = await verify(practice.env, session, clinic, name)
            assert result.differences == 0, (name, result.examples)
            assert result.compared > 0 or name in EMPTY_ALLOWED, name
