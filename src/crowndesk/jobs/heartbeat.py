"""`jobs.heartbeat`: once a day, one `system.heartbeat` row in each tenant's activity log.

It proves, in the place an owner already looks, that background jobs are running.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from crowndesk.audit.service import record
from crowndesk.auth.models import Tenant
from crowndesk.core.context import Context
from crowndesk.db.engine import unit_of_work
from crowndesk.db.tenancy import unscoped
from crowndesk.jobs.registry import JobEnv, schedule, task

HEARTBEAT = "jobs.heartbeat"
ACTION = "system.heartbeat"


@task(HEARTBEAT)
async def heartbeat(env: JobEnv) -> None:
    async with unit_of_work(env.sessionmaker) as session:
        with unscoped(session):
            tenant_ids = list(await session.scalars(select(Tenant.id).order_by(Tenant.id)))
    # One transaction per tenant: a session serves one tenant only.
    for tenant_id in tenant_ids:
        ctx = Context(tenant_id=tenant_id, user_id=None, roles=frozenset())
        async with unit_of_work(env.sessionmaker, ctx) as session:
            record(session, ACTION, "tenant", tenant_id)


schedule(HEARTBEAT, HEARTBEAT, every=timedelta(days=1))
