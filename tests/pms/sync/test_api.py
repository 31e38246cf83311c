"""`/api/pms-sync/*` and test-connection over HTTP, with the sandbox as Open Dental and the
embedded job runner carrying out the queued runs."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
from tests.factories import CLINIC, Org, register_org
from tests.pms.sync.support import SECRET

from crowndesk.app import create_app
from crowndesk.config import Settings
from crowndesk.db.engine import unit_of_work
from crowndesk.jobs.embedded import EmbeddedRunner
from crowndesk.jobs.registry import load_task_modules, make_env
from crowndesk.odsim import SandboxServer
from crowndesk.odsim.faults import FaultRule
from crowndesk.pms.sync.engine import SyncEnv
from crowndesk.pms.sync.models import RunState, SyncRun
from crowndesk.pms.sync.registry import ENTITY_NAMES

load_task_modules()


@pytest_asyncio.fixture
async def api(
    sync_env: SyncEnv, sync_database_url: str, tmp_path: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    settings = Settings(
        data_dir=tmp_path, database_url=sync_database_url, secret_key=SECRET, allow_signup=True
    )
    app = create_app(settings, engine=sync_env.engine, sessionmaker=sync_env.sessionmaker)
    runner = EmbeddedRunner(make_env(settings, sync_env.engine, sync_env.sessionmaker))
    app.state.jobs = runner
    transport = httpx.ASGITransport(app=app, client=("203.0.113.20", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client, runner
    await runner.stop()


async def connected_org(client: httpx.AsyncClient, server: SandboxServer) -> tuple[Org, str]:
    org = await register_org(client, "Api Sync Dental " + uuid.uuid4().hex[:6])
    developer, customer = server.keys
    body = {
        **CLINIC,
        "openDental": {
            "baseUrl": server.api_url,
            "developerKey": developer,
            "customerKey": customer,
            "syncEnabled": True,
            "mode": "service",
            "tier": "standard",
        },
    }
    response = await client.post("/api/clinics", json=body, headers=org.headers)
    assert response.status_code == 201, response.text
    return org, response.json()["id"]


async def wait_for(client: httpx.AsyncClient, org: Org, run_ids: list[str]) -> list[dict[str, Any]]:
    for _ in range(600):
        runs = [
            (await client.get(f"/api/pms-sync/runs/{rid}", headers=org.headers)).json()
            for rid in run_ids
        ]
        if all(r["state"] in ("succeeded", "failed") for r in runs):
            return runs
        await asyncio.sleep(0.05)
    raise AssertionError("runs did not finish")


class TestFullSync:
    async def test_full_sync_is_accepted_runs_and_reports(
        self, api: Any, sandbox: SandboxServer
    ) -> None:
        client, runner = api
        org, clinic_id = await connected_org(client, sandbox)
        response = await client.post("/api/pms-sync/full-sync", headers=org.headers)
        assert response.status_code == 202, response.text
        accepted = response.json()["runs"]
        assert [r["entity"] for r in accepted] == list(ENTITY_NAMES)
        assert {r["clinicId"] for r in accepted} == {clinic_id}
        assert {r["state"] for r in accepted} == {"queued"}
        # A second trigger while they are queued or running is refused, naming the runs.
        again = await client.post(
            "/api/pms-sync/patients", params={"clinicId": clinic_id}, headers=org.headers
        )
        assert again.status_code == 409
        assert again.headers["content-type"] == "application/problem+json"
        runs = await wait_for(client, org, [r["id"] for r in accepted])
        assert {r["state"] for r in runs} == {"succeeded"}
        patients = next(r for r in runs if r["entity"] == "patients")
        assert patients["inserted"] == 60
        assert patients["trigger"] == "manual"
        assert patients["requests"] >= 1
        assert patients["startedAt"]
        assert patients["finishedAt"]

        listed = await client.get(
            "/api/pms-sync/runs",
            params={"entity": "patients", "state": "succeeded"},
            headers=org.headers,
        )
        assert listed.json()["total"] == 1
        status = (await client.get("/api/pms-sync/status", headers=org.headers)).json()
        (clinic,) = status["clinics"]
        entities = {e["entity"]: e for e in clinic["entities"]}
        assert entities["patients"]["cursor"]
        assert entities["patients"]["lastRun"]["state"] == "succeeded"
        assert entities["patients"]["openErrors"] == 0

        # Incremental, then a reset that re-reads everything.
        one = await client.post(
            "/api/pms-sync/patients", json={"clinicId": clinic_id}, headers=org.headers
        )
        (run,) = await wait_for(client, org, [one.json()["runs"][0]["id"]])
        assert run["mode"] == "incremental"
        assert run["inserted"] == 0
        reset = await client.post(
            "/api/pms-sync/patients", params={"reset": "true"}, headers=org.headers
        )
        (run,) = await wait_for(client, org, [reset.json()["runs"][0]["id"]])
        assert run["mode"] == "reset"
        assert run["unchanged"] == 60

    async def test_bad_records_are_listed_as_errors(self, api: Any, sandbox: SandboxServer) -> None:
        client, _ = api
        org, clinic_id = await connected_org(client, sandbox)
        sandbox.sandbox.faults.add(
            FaultRule(kind="malformed", resource="providers", malformed="missing", count=1)
        )
        ids = [
            r["id"]
            for r in (await client.post("/api/pms-sync/providers", headers=org.headers)).json()[
                "runs"
            ]
        ]
        await wait_for(client, org, ids)
        errors = (await client.get("/api/pms-sync/errors", headers=org.headers)).json()
        assert errors["total"] == 1
        (error,) = errors["items"]
        assert error["entity"] == "providers"
        assert error["reason"]
        assert isinstance(error["payload"], dict)
        assert error["resolvedAt"] is None
        pending = (await client.get("/api/pms-sync/pending", headers=org.headers)).json()
        assert pending["total"] == 0
        conflicts = (await client.get("/api/pms-sync/conflicts", headers=org.headers)).json()
        assert conflicts["total"] == 0


class TestRefusals:
    async def test_unknown_entity_and_clinic(self, api: Any, sandbox: SandboxServer) -> None:
        client, _ = api
        org, _ = await connected_org(client, sandbox)
        unknown = await client.post("/api/pms-sync/teeth", headers=org.headers)
        assert unknown.status_code == 404
        assert "Unknown entity" in unknown.json()["detail"]
        missing = await client.post(
            "/api/pms-sync/full-sync", params={"clinicId": str(uuid.uuid4())}, headers=org.headers
        )
        assert missing.status_code == 404

    async def test_roles(self, api: Any, sandbox: SandboxServer) -> None:
        client, _ = api
        org, _ = await connected_org(client, sandbox)
        _, billing = await org.add_user("billing")
        _, front = await org.add_user("front_desk")
        assert (await client.get("/api/pms-sync/status", headers=billing)).status_code == 200
        assert (await client.get("/api/pms-sync/status", headers=front)).status_code == 403
        assert (await client.post("/api/pms-sync/full-sync", headers=front)).status_code == 403


class TestConnection:
    async def test_good_and_bad_keys(self, api: Any, sandbox: SandboxServer) -> None:
        client, _ = api
        org, clinic_id = await connected_org(client, sandbox)
        good = await client.post(f"/api/clinics/{clinic_id}/test-connection", headers=org.headers)
        assert good.status_code == 200
        assert good.json()["ok"] is True
        assert good.json()["serverDateTime"]
        body = {**CLINIC, "openDental": {**CLINIC["openDental"], "baseUrl": sandbox.api_url}}  # type: ignore[dict-item]
        other = await client.post("/api/clinics", json=body, headers=org.headers)
        bad = await client.post(
            f"/api/clinics/{other.json()['id']}/test-connection", headers=org.headers
        )
        assert bad.json() == {**bad.json(), "ok": False, "reachable": True, "authenticated": False}


class TestInterruptedRuns:
    async def test_a_run_left_running_by_a_dead_process_is_failed_and_a_new_one_converges(
        self, practice: Any
    ) -> None:
        (queued,) = await practice.queue(("providers",))
        async with unit_of_work(practice.env.sessionmaker, practice.ctx) as session:
            run = await session.get(SyncRun, queued.id)
            assert run is not None
            run.state = RunState.running  # as a killed process leaves it: no lock held
        (fresh,) = await practice.sync(("providers",))
        assert fresh.state is RunState.succeeded
        (old,) = await practice.rows(SyncRun, SyncRun.id == queued.id)
        assert old.state is RunState.failed
        assert old.error == "The run was interrupted."

    async def test_a_run_cancelled_mid_way_is_failed_and_the_next_converges(
        self, practice: Any
    ) -> None:
        from crowndesk.pms.sync.engine import execute_run

        (providers,) = await practice.sync(("providers",))
        assert providers.state is RunState.succeeded
        practice.server.sandbox.faults.add(
            FaultRule(kind="slow", resource="patients", delay=2.0, count=1)
        )
        (patients,) = await practice.queue(("patients",))
        task = asyncio.create_task(execute_run(practice.env, practice.tenant_id, patients.id))
        await asyncio.sleep(0.5)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        (stopped,) = await practice.rows(SyncRun, SyncRun.id == patients.id)
        assert stopped.state is RunState.failed
        (again,) = await practice.sync(("patients",))
        assert again.state is RunState.succeeded
        assert again.inserted == 60
