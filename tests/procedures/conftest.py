"""A tenant with a practice mirrored from the sandbox, synced once per module; each test
then runs in a transaction that is rolled back, so billing moves do not leak between tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.factories import CLINIC, Org, register_org
from tests.mirror import mirror_clinic
from tests.mirrored_practice import database_url, engine

from crowndesk.app import create_app
from crowndesk.config import Settings
from crowndesk.jobs.registry import OffRunner
from crowndesk.odsim import SandboxConfig, SandboxServer

__all__ = ["Mirrored", "database_url", "engine", "mirrored", "practice_sandbox"]


@dataclass
class Mirrored:
    tenant_id: uuid.UUID
    clinic_id: uuid.UUID
    owner: dict[str, str]
    billing: dict[str, str]
    front_desk: dict[str, str]
    other_tenant: dict[str, str]
    sandbox: SandboxServer


@pytest.fixture(scope="module")
def practice_sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(patients=80, seed=23, ticking=False)) as server:
        yield server


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def mirrored(
    engine: AsyncEngine,
    practice_sandbox: SandboxServer,
    tmp_path_factory: pytest.TempPathFactory,
    database_url: str,
) -> Mirrored:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("proc"),
        database_url=database_url,
        secret_key="test-secret-key-" + "x" * 40,
        allow_signup=True,
    )
    app = create_app(settings, engine=engine)
    app.state.jobs = OffRunner()
    transport = httpx.ASGITransport(app=app, client=("203.0.113.10", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        org: Org = await register_org(client, "Mirror Dental")
        clinic = await client.post("/api/clinics", json=CLINIC, headers=org.headers)
        assert clinic.status_code == 201, clinic.text
        _, billing = await org.add_user("billing")
        _, front_desk = await org.add_user("front_desk")
        other = await register_org(client, "Elsewhere Dental")
        clinic_id = uuid.UUID(clinic.json()["id"])
        await mirror_clinic(app, uuid.UUID(org.tenant_id), clinic_id, practice_sandbox)
    return Mirrored(
        tenant_id=uuid.UUID(org.tenant_id),
        clinic_id=clinic_id,
        owner=org.headers,
        billing=billing,
        front_desk=front_desk,
        other_tenant=other.headers,
        sandbox=practice_sandbox,
    )
