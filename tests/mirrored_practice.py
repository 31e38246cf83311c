"""A practice mirrored once per test module, for the read API's tests.

The module gets its own database; a sandbox practice (with a few edits of ours: accented
names, a second policy, a benefit override, a patient deleted in Open Dental) is synced
into a registered tenant's clinic, then rows deleted in Open Dental are reconciled. Each
test then runs in a rolled-back transaction over that database (the usual `app`/`client`
fixtures), authenticated as the tenant's owner.

A test directory's conftest.py imports the fixtures: `database_url`, `engine`, `practice`.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from tests.factories import CLINIC, register_org
from tests.mirror import mirror_clinic

from crowndesk.app import create_app
from crowndesk.audit.models import ActivityLog
from crowndesk.config import Settings
from crowndesk.core.context import Context, Role
from crowndesk.db.engine import create_engine, create_sessionmaker, unit_of_work
from crowndesk.db.migrate import upgrade
from crowndesk.db.tenancy import set_tenant, unscoped
from crowndesk.jobs.registry import OffRunner
from crowndesk.odsim import SandboxConfig, SandboxServer
from crowndesk.pms.sync import service as sync_service
from crowndesk.pms.sync.engine import SyncEnv, execute_run
from crowndesk.pms.sync.models import RunMode

SECRET = "test-secret-key-" + "x" * 40  # as the `settings` fixture of tests/conftest.py
ACCENTED = ("Zoë", "Núñez-Ölander", "Zo")  # first, last, preferred


@dataclass
class MirroredPractice:
    headers: dict[str, str]
    tenant_id: uuid.UUID
    clinic_id: uuid.UUID
    empty_clinic_id: uuid.UUID  # a second clinic of the tenant, never synced
    sandbox: SandboxServer
    accented_pat_num: int
    deleted_pat_num: int  # PatStatus "Deleted" in Open Dental
    two_plans_pat_num: int  # covered by a primary and a secondary policy
    override_benefit_num: int  # a benefit of that patient's secondary coverage only
    hard_deleted: dict[str, int]  # table -> key deleted in Open Dental, then reconciled

    def od(self, sql: str, *args: Any) -> list[Any]:
        """Rows of the sandbox's own (Open Dental shaped) tables."""
        return self.sandbox.sandbox.conn.execute(sql, args).fetchall()

    def od_one(self, sql: str, *args: Any) -> Any:
        (row,) = self.od(sql, *args)
        return row[0] if len(row) == 1 else row


async def mirrored_rows(
    session: AsyncSession, tenant_id: uuid.UUID, model: Any, *where: Any
) -> list[Any]:
    set_tenant(session, tenant_id)
    return list(await session.scalars(select(model).where(*where)))


async def phi_reads(session: AsyncSession, response: httpx.Response) -> list[uuid.UUID]:
    """The patients whose reads the request that gave `response` logged, one row each."""
    with unscoped(session):  # the request id is enough
        rows = await session.scalars(
            select(ActivityLog.entity_id).where(
                ActivityLog.request_id == response.headers["x-request-id"],
                ActivityLog.action == "read_phi",
                ActivityLog.entity_type == "patient",
            )
        )
    return [r for r in rows if r is not None]


@pytest.fixture(scope="module")
def database_url(databases: Any, request: pytest.FixtureRequest) -> str:
    url: str = databases.new("mirror_" + request.module.__name__.rsplit(".", 1)[-1][:24])
    upgrade(url)
    return url


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, sqlite_begin="BEGIN")
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(patients=60, seed=11, ticking=False)) as server:
        yield server


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def practice(
    database_url: str, sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[MirroredPractice]:
    edits = _edit_sandbox(sandbox)
    setup_engine = create_engine(database_url)
    sessionmaker = create_sessionmaker(setup_engine)
    settings = Settings(
        data_dir=Path(tmp_path_factory.mktemp("mirror")),
        database_url=database_url,
        secret_key=SECRET,
        allow_signup=True,
        access_token_minutes=24 * 60,
    )
    app = create_app(settings, engine=setup_engine, sessionmaker=sessionmaker)
    app.state.jobs = OffRunner()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://setup") as client:
            org = await register_org(client, "Mirror Dental")
            clinic = await client.post("/api/clinics", json=CLINIC, headers=org.headers)
            empty = await client.post(
                "/api/clinics", json={**CLINIC, "name": "Second Street"}, headers=org.headers
            )
            assert clinic.status_code == empty.status_code == 201, clinic.text
        tenant_id = uuid.UUID(org.tenant_id)
        clinic_id = uuid.UUID(clinic.json()["id"])
        await mirror_clinic(app, tenant_id, clinic_id, sandbox)
        hard_deleted = _hard_delete(sandbox)
        await _reconcile(app, tenant_id, clinic_id)
        yield MirroredPractice(
            headers=org.headers,
            tenant_id=tenant_id,
            clinic_id=clinic_id,
            empty_clinic_id=uuid.UUID(empty.json()["id"]),
            sandbox=sandbox,
            hard_deleted=hard_deleted,
            **edits,
        )
    finally:
        await setup_engine.dispose()


def _edit_sandbox(server: SandboxServer) -> dict[str, int]:
    conn = server.sandbox.conn
    stamp = server.sandbox.clock.now_str()
    # The guarantor of the largest family gets an accented name.
    (accented,) = conn.execute(
        "SELECT Guarantor FROM patient GROUP BY Guarantor ORDER BY COUNT(*) DESC, Guarantor LIMIT 1"
    ).fetchone()
    first, last, preferred = ACCENTED
    conn.execute(
        "UPDATE patient SET FName = ?, LName = ?, Preferred = ? WHERE PatNum = ?",
        (first, last, preferred, accented),
    )
    # A family member (not a guarantor) is deleted in Open Dental.
    (deleted,) = conn.execute(
        "SELECT MAX(PatNum) FROM patient WHERE Guarantor = ? AND PatNum <> Guarantor",
        (accented,),
    ).fetchone()
    conn.execute("UPDATE patient SET PatStatus = 4 WHERE PatNum = ?", (deleted,))
    # Someone covered by one policy gets a second one (another plan), listed before it,
    # with a benefit override of their own.
    pat_num, sub_num, plan_num = conn.execute(
        "SELECT pp.PatNum, pp.InsSubNum, s.PlanNum FROM patplan pp"
        " JOIN inssub s USING (InsSubNum) WHERE pp.Ordinal = 1 AND pp.PatNum <> ? AND pp.PatNum <> ?"
        " ORDER BY pp.PatPlanNum LIMIT 1",
        (accented, deleted),
    ).fetchone()
    (other_sub,) = conn.execute(
        "SELECT MIN(InsSubNum) FROM inssub WHERE PlanNum <> ?", (plan_num,)
    ).fetchone()
    (pat_plan_num,) = conn.execute("SELECT MAX(PatPlanNum) + 1 FROM patplan").fetchone()
    conn.execute(
        "INSERT INTO patplan (PatPlanNum, PatNum, Ordinal, Relationship, InsSubNum, PatID,"
        " SecDateTEntry, SecDateTEdit) VALUES (?, ?, 2, 1, ?, 'SECOND-1', ?, ?)",
        (pat_plan_num, pat_num, other_sub, stamp, stamp),
    )
    (benefit_num,) = conn.execute("SELECT MAX(BenefitNum) + 1 FROM benefit").fetchone()
    conn.execute(
        "INSERT INTO benefit (BenefitNum, PlanNum, PatPlanNum, BenefitType, Percent,"
        " MonetaryAmt, TimePeriod, QuantityQualifier, Quantity, CoverageLevel, SecDateTEntry,"
        " SecDateTEdit) VALUES (?, 0, ?, 2, -1, '50.5', 2, 0, 0, 1, ?, ?)",
        (benefit_num, pat_plan_num, stamp, stamp),
    )
    return {
        "accented_pat_num": accented,
        "deleted_pat_num": deleted,
        "two_plans_pat_num": pat_num,
        "override_benefit_num": benefit_num,
    }


def _hard_delete(server: SandboxServer) -> dict[str, int]:
    """Delete, in Open Dental, the latest appointment, payment, adjustment and plan."""
    conn = server.sandbox.conn
    keys = {
        "appointment": "AptNum",
        "payment": "PayNum",
        "adjustment": "AdjNum",
        "treatplan": "TreatPlanNum",
    }
    gone = {}
    for table, key in keys.items():
        (num,) = conn.execute(f"SELECT MAX({key}) FROM {table}").fetchone()  # noqa: S608
        conn.execute(f"DELETE FROM {table} WHERE {key} = ?", (num,))  # noqa: S608
        gone[table] = num
    return gone


async def _reconcile(app: Any, tenant_id: uuid.UUID, clinic_id: uuid.UUID) -> None:
    env = SyncEnv(app.state.engine, app.state.sessionmaker, app.state.secret_box)
    ctx = Context(tenant_id=tenant_id, user_id=None, roles=frozenset({Role.owner}))
    async with unit_of_work(env.sessionmaker, ctx) as session:
        runs = await sync_service.request_runs(
            session,
            env.engine,
            entities=("appointments", "payments", "adjustments", "treatment_plans"),
            clinic_id=clinic_id,
            mode=RunMode.reconcile,
        )
    for run in runs:
        done = await execute_run(env, tenant_id, run.id)
        assert done.state.value == "succeeded", run.entity
        assert done.deleted == 1, run.entity
