"""Give a tenant's clinic a practice mirrored from a sandbox, through the real sync."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import update

from crowndesk.clinics.models import Clinic, ConnectionMode
from crowndesk.core.context import Context, Role
from crowndesk.db.engine import unit_of_work
from crowndesk.odsim import SandboxServer
from crowndesk.pms.sync import service as sync_service
from crowndesk.pms.sync.engine import SyncEnv, execute_run
from crowndesk.pms.sync.registry import ENTITY_NAMES


async def mirror_clinic(
    app: Any, tenant_id: uuid.UUID, clinic_id: uuid.UUID, sandbox: SandboxServer
) -> None:
    """Point the clinic at `sandbox` and run a full sync of every entity; each run must succeed."""
    env = SyncEnv(app.state.engine, app.state.sessionmaker, app.state.secret_box)
    ctx = Context(tenant_id=tenant_id, user_id=None, roles=frozenset({Role.owner}))
    box = app.state.secret_box
    developer, customer = sandbox.keys
    async with unit_of_work(env.sessionmaker, ctx) as session:
        await session.execute(
            update(Clinic)
            .where(Clinic.id == clinic_id)
            .values(
                od_base_url=sandbox.api_url,
                od_developer_key_enc=box.encrypt(developer),
                od_customer_key_enc=box.encrypt(customer),
                od_mode=ConnectionMode.service,
            )
        )
        runs = await sync_service.request_runs(
            session, env.engine, entities=ENTITY_NAMES, clinic_id=clinic_id
        )
    for run in runs:
        assert (await execute_run(env, tenant_id, run.id)).state.value == "succeeded", run.entity
