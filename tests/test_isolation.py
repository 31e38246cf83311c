"""Tenant isolation, proven by walking every tenant-owned table and every API route.

Tenant A fills every table through the API; tenant B then tries each route of the OpenAPI
document that takes an id, with an id from each of A's tables, and must get 404, and sees none of A's rows in any list. New tables
and routes are picked up automatically; a new table must be given rows in `_seed`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from tests.factories import CLINIC, PASSWORD, Org, register_org
from tests.mirror import mirror_clinic
from tests.openapi_examples import request_body

from crowndesk.core.context import Context, Role
from crowndesk.db.base import TenantMixin
from crowndesk.db.engine import unit_of_work
from crowndesk.db.tenancy import set_tenant, unscoped
from crowndesk.models import Base
from crowndesk.odsim import SandboxConfig, SandboxServer
from crowndesk.patients.models import Patient
from crowndesk.pms.sync.models import SyncConflict, SyncError, SyncPending

PARAM = re.compile(r"\{([^}]+)\}")


def tenant_models() -> list[type[Any]]:
    return [m.class_ for m in Base.registry.mappers if issubclass(m.class_, TenantMixin)]


async def _seed(client: httpx.AsyncClient, org: Org, app: Any, sandbox: SandboxServer) -> None:
    clinic = await client.post("/api/clinics", json=CLINIC, headers=org.headers)
    assert clinic.status_code == 201
    await org.add_user("billing")
    await client.post("/api/auth/refresh", json={"refreshToken": org.tokens["refreshToken"]})
    await _mirror(app, org, uuid.UUID(clinic.json()["id"]), sandbox)
    unbilled = await client.get("/api/completed-procedures/unbilled?limit=1", headers=org.headers)
    moved = await client.post(
        "/api/completed-procedures/mark-claim-pending",
        json={"procedureIds": [unbilled.json()["items"][0]["id"]], "claimId": str(uuid.uuid4())},
        headers=org.headers,
    )
    assert moved.status_code == 200, moved.text


async def _mirror(app: Any, org: Org, clinic_id: uuid.UUID, sandbox: SandboxServer) -> None:
    """Sync a small sandbox practice into the clinic, so every mirrored table has rows, and
    leave one record of each kind in the sync's own error, parking and conflict tables."""
    tenant_id = uuid.UUID(org.tenant_id)
    await mirror_clinic(app, tenant_id, clinic_id, sandbox)
    ctx = Context(tenant_id=tenant_id, user_id=None, roles=frozenset({Role.owner}))
    async with unit_of_work(app.state.sessionmaker, ctx) as session:
        patient = (await session.execute(select(Patient).limit(1))).scalar_one()
        issue = {"clinic_id": clinic_id, "entity": "patients", "reason": "test", "payload": {}}
        session.add(SyncError(record_key="x1", pms_id="x1", **issue))
        session.add(SyncPending(record_key="x2", pms_id="x2", waiting_for="providers:9", **issue))
        session.add(
            SyncConflict(
                clinic_id=clinic_id,
                entity="patients",
                record_id=patient.id,
                pms_id=patient.pms_id,
                field="email",
                local_value="a",
                pms_value="b",
            )
        )


async def _ids_by_table(session: AsyncSession, tenant_id: str) -> dict[str, list[uuid.UUID]]:
    found: dict[str, list[uuid.UUID]] = {}
    with unscoped(session):
        for model in tenant_models():
            rows = await session.scalars(
                select(model.id).where(model.tenant_id == uuid.UUID(tenant_id))
            )
            found[model.__tablename__] = list(rows)
    return found


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(patients=50, seed=5, ticking=False)) as server:
        yield server


@pytest_asyncio.fixture
async def two_tenants(
    app: Any, client: httpx.AsyncClient, session: AsyncSession, sandbox: SandboxServer
) -> tuple[Org, Org, dict[str, list[uuid.UUID]]]:
    a = await register_org(client, "Tenant A Dental")
    await _seed(client, a, app, sandbox)
    b = await register_org(client, "Tenant B Dental")
    await _seed(client, b, app, sandbox)
    ids = await _ids_by_table(session, a.tenant_id)
    return a, b, ids


class TestTables:
    async def test_every_tenant_table_has_rows_to_test_with(self, two_tenants: Any) -> None:
        _, _, ids = two_tenants
        empty = [table for table, rows in ids.items() if not rows]
        assert empty == [], f"give these tables rows in _seed: {empty}"

    async def test_other_tenant_and_no_tenant_see_nothing(
        self, two_tenants: Any, sessionmaker: Any
    ) -> None:
        a, b, _ = two_tenants
        for tenant_id, expected_visible in (
            (b.tenant_id, False),
            (a.tenant_id, True),
            (None, False),
        ):
            async with sessionmaker() as s:
                if tenant_id is not None:
                    set_tenant(s, uuid.UUID(tenant_id))
                for model in tenant_models():
                    rows = list(await s.scalars(select(model)))
                    of_a = [r for r in rows if str(r.tenant_id) == a.tenant_id]
                    assert bool(of_a) is expected_visible, (model.__tablename__, tenant_id)
                    if tenant_id is None:
                        assert rows == [], model.__tablename__


class TestRoutes:
    async def test_every_route_with_an_id_answers_404_for_another_tenants_ids(
        self, app: Any, client: httpx.AsyncClient, two_tenants: Any
    ) -> None:
        a, b, ids = two_tenants
        spec = app.openapi()
        foreign = [rows[0] for rows in ids.values() if rows]
        tried = 0
        for template, operations in spec["paths"].items():
            if not PARAM.search(template):
                continue
            for method in sorted(operations):
                body = request_body(spec, template, method)
                for foreign_id in foreign:
                    path = PARAM.sub(str(foreign_id), template)
                    response = await client.request(method, path, json=body, headers=b.headers)
                    assert response.status_code == 404, (method, template, response.text)
                    assert response.headers["content-type"] == "application/problem+json"
                    tried += 1
        assert tried >= 6
        # and nothing of A's was touched by B's attempts
        clinics = (await client.get("/api/clinics", headers=a.headers)).json()
        assert clinics["total"] == 1
        assert clinics["items"][0]["name"] == CLINIC["name"]
        me = await client.post(
            "/api/auth/login", json={"email": a.user["email"], "password": PASSWORD}
        )
        assert me.status_code == 200

    async def test_lists_show_nothing_of_another_tenant(
        self, app: Any, client: httpx.AsyncClient, two_tenants: Any
    ) -> None:
        a, b, ids = two_tenants
        secrets = {a.tenant_id} | {str(i) for rows in ids.values() for i in rows}
        listed = 0
        for template, operations in app.openapi()["paths"].items():
            if PARAM.search(template) or "get" not in operations:
                continue
            response = await client.get(template, headers=b.headers)
            assert response.status_code in (200, 403), (template, response.status_code)
            leaked = [s for s in secrets if s in response.text]
            assert leaked == [], template
            listed += response.status_code == 200
        assert listed >= 4
