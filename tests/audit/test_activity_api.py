from __future__ import annotations

import httpx
from tests.factories import CLINIC, PASSWORD, Org


async def _activity(client: httpx.AsyncClient, org: Org, **params: str) -> list[dict[str, object]]:
    response = await client.get(
        "/api/activity-logs", params={"limit": "500", **params}, headers=org.headers
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


class TestActivityLog:
    async def test_mutations_write_one_row_per_entity_with_field_names(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        created = (await client.post("/api/clinics", json=CLINIC, headers=org.headers)).json()
        await client.put(
            f"/api/clinics/{created['id']}",
            json={"name": "Renamed", "timezone": "UTC"},
            headers=org.headers,
        )
        rows = await _activity(client, org, entityId=created["id"])
        assert [r["action"] for r in rows] == ["clinic.update", "clinic.create"]
        update, create = rows
        assert "name" in update["changedFields"]
        assert "timezone" in update["changedFields"]
        assert "odCustomerKeyEnc" in create["changedFields"]
        assert update["actorType"] == "user"
        assert update["actorId"] == org.user["id"]
        assert update["ip"] == "203.0.113.10"
        assert update["requestId"]
        # names only: no value of any field appears in the log
        assert "Renamed" not in str(rows)
        assert "CUSTKEY" not in str(rows)

    async def test_refused_request_writes_nothing(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        before = await _activity(client, org)
        bad = await client.post(
            "/api/clinics", json={"name": "X", "timezone": "Nowhere/None"}, headers=org.headers
        )
        assert bad.status_code == 422
        # a request that fails inside the service after writing is rolled back whole
        _, billing = await org.add_user("billing")
        after_user = await _activity(client, org)
        forbidden = await client.post("/api/clinics", json=CLINIC, headers=billing)
        assert forbidden.status_code == 403
        assert len(await _activity(client, org)) == len(after_user)
        assert len(after_user) > len(before)

    async def test_login_logout_failure_and_revocation(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        await client.post(
            "/api/auth/login", json={"email": org.user["email"], "password": "wrong-password!"}
        )
        second = await client.post(
            "/api/auth/login", json={"email": org.user["email"], "password": PASSWORD}
        )
        other = {"Authorization": f"Bearer {second.json()['accessToken']}"}
        sessions = (await client.get("/api/sessions", headers=org.headers)).json()
        victim = next(s for s in sessions if not s["current"])
        await client.delete(f"/api/sessions/{victim['id']}", headers=org.headers)
        await client.post("/api/auth/logout", headers=org.headers)
        login = await client.post(
            "/api/auth/login", json={"email": org.user["email"], "password": PASSWORD}
        )
        org.headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}
        actions = [r["action"] for r in await _activity(client, org)]
        for expected in ("auth.login", "auth.login_failed", "auth.session_revoked", "auth.logout"):
            assert expected in actions, expected
        assert (await client.get("/api/auth/me", headers=other)).status_code == 401

    async def test_filters(self, client: httpx.AsyncClient, org: Org) -> None:
        await client.post("/api/clinics", json=CLINIC, headers=org.headers)
        clinics = await _activity(client, org, entityType="clinic")
        assert clinics
        assert all(r["entityType"] == "clinic" for r in clinics)
        by_action = await _activity(client, org, action="auth.login")
        assert by_action
        assert all(r["action"] == "auth.login" for r in by_action)
        mine = await _activity(client, org, actorId=org.user["id"])
        assert mine
        assert await _activity(client, org, dateFrom="2000-01-01", dateTo="2000-01-02") == []
        bad = await client.get(
            "/api/activity-logs?dateFrom=2020-02-01&dateTo=2020-01-01", headers=org.headers
        )
        assert bad.status_code == 400

    async def test_only_owner_and_admin(self, client: httpx.AsyncClient, org: Org) -> None:
        _, billing = await org.add_user("billing")
        assert (await client.get("/api/activity-logs", headers=billing)).status_code == 403
        _, admin = await org.add_user("admin")
        assert (await client.get("/api/activity-logs", headers=admin)).status_code == 200
