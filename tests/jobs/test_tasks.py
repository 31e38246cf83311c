from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from crowndesk.audit.models import ActivityLog, ActorType
from crowndesk.auth.models import Tenant
from crowndesk.config import Settings
from crowndesk.db.engine import SessionMaker
from crowndesk.db.tenancy import unscoped
from crowndesk.jobs.embedded import EmbeddedRunner
from crowndesk.jobs.heartbeat import ACTION, HEARTBEAT
from crowndesk.jobs.registry import load_task_modules, make_env, registry


class TestHeartbeat:
    async def test_writes_one_activity_row_per_tenant(
        self,
        settings: Settings,
        engine: AsyncEngine,
        sessionmaker: SessionMaker,
        session: AsyncSession,
    ) -> None:
        load_task_modules()
        tenants = [Tenant(name="North Dental"), Tenant(name="South Dental")]
        session.add_all(tenants)
        await session.commit()
        runner = EmbeddedRunner(make_env(settings, engine, sessionmaker), registry=registry)

        await runner.enqueue(HEARTBEAT)
        await runner.drain()

        with unscoped(session):
            all_tenants = set(await session.scalars(select(Tenant.id)))
            rows = list(
                await session.scalars(select(ActivityLog).where(ActivityLog.action == ACTION))
            )
        assert Counter(row.tenant_id for row in rows) == Counter(all_tenants)
        assert {tenant.id for tenant in tenants} <= all_tenants
        for row in rows:
            assert (row.actor_type, row.actor_id) == (ActorType.system, None)
            assert (row.entity_type, row.entity_id) == ("tenant", row.tenant_id)
