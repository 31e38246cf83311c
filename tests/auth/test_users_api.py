from __future__ import annotations

import httpx
from tests.factories import PASSWORD, Org, unique_email


def _user(role: str) -> dict[str, str]:
    return {
        "email": unique_email(role),
        "fullName": "New Person",
        "role": role,
        "password": PASSWORD,
    }


class TestUsers:
    async def test_owner_manages_users(self, client: httpx.AsyncClient, org: Org) -> None:
        created = await client.post("/api/users", json=_user("billing"), headers=org.headers)
        assert created.status_code == 201
        user_id = created.json()["id"]
        listed = (await client.get("/api/users", headers=org.headers)).json()
        assert {u["id"] for u in listed} >= {user_id, org.user["id"]}
        patched = await client.patch(
            f"/api/users/{user_id}",
            json={"role": "front_desk", "fullName": "Renamed"},
            headers=org.headers,
        )
        assert patched.json()["role"] == "front_desk"
        assert patched.json()["fullName"] == "Renamed"
        assert (
            await client.delete(f"/api/users/{user_id}", headers=org.headers)
        ).status_code == 204
        assert (await client.get(f"/api/users/{user_id}", headers=org.headers)).status_code == 404

    async def test_roles_below_admin_are_forbidden(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        for role in ("billing", "front_desk", "clinician", "read_only"):
            _, headers = await org.add_user(role)
            response = await client.get("/api/users", headers=headers)
            assert response.status_code == 403, role
            assert response.headers["content-type"] == "application/problem+json"

    async def test_admin_cannot_create_an_owner(self, client: httpx.AsyncClient, org: Org) -> None:
        _, admin = await org.add_user("admin")
        assert (
            await client.post("/api/users", json=_user("owner"), headers=admin)
        ).status_code == 403
        assert (
            await client.post("/api/users", json=_user("billing"), headers=admin)
        ).status_code == 201

    async def test_the_last_owner_stays(self, client: httpx.AsyncClient, org: Org) -> None:
        _, admin = await org.add_user("admin")
        response = await client.delete(f"/api/users/{org.user['id']}", headers=org.headers)
        assert response.status_code == 409
        demote = await client.patch(
            f"/api/users/{org.user['id']}", json={"role": "admin"}, headers=org.headers
        )
        assert demote.status_code == 409

    async def test_duplicate_email_is_409(self, client: httpx.AsyncClient, org: Org) -> None:
        body = _user("billing") | {"email": org.user["email"]}
        assert (await client.post("/api/users", json=body, headers=org.headers)).status_code == 409

    async def test_unknown_role_is_422(self, client: httpx.AsyncClient, org: Org) -> None:
        body = _user("billing") | {"role": "janitor"}
        assert (await client.post("/api/users", json=body, headers=org.headers)).status_code == 422

    async def test_password_change_ends_the_users_sessions(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        user, headers = await org.add_user("billing")
        await client.patch(
            f"/api/users/{user['id']}",
            json={"password": "another-long-password"},
            headers=org.headers,
        )
        assert (await client.get("/api/auth/me", headers=headers)).status_code == 401
