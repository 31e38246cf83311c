from __future__ import annotations

import uuid

import httpx
import jwt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from tests.factories import PASSWORD, Org, register_org, unique_email

from crowndesk.auth.models import AuthSession, RefreshToken, User
from crowndesk.config import Settings
from crowndesk.db.tenancy import unscoped


class TestRegister:
    async def test_creates_tenant_and_owner_and_signs_in(self, client: httpx.AsyncClient) -> None:
        org = await register_org(client, "Bright Smiles")
        assert org.user["role"] == "owner"
        assert org.tokens["tokenType"] == "bearer"
        assert org.tokens["expiresIn"] == 900
        me = await client.get("/api/auth/me", headers=org.headers)
        assert me.status_code == 200
        assert me.json()["email"] == org.user["email"]
        assert "passwordHash" not in me.text

    async def test_closed_when_users_exist_and_signup_off(
        self, client: httpx.AsyncClient, settings: Settings
    ) -> None:
        await register_org(client)
        settings.allow_signup = False
        body = {
            "organizationName": "X",
            "email": unique_email(),
            "password": PASSWORD,
            "fullName": "X",
        }
        response = await client.post("/api/auth/register", json=body)
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"

    async def test_short_password_is_422_naming_the_field(self, client: httpx.AsyncClient) -> None:
        body = {
            "organizationName": "X",
            "email": unique_email(),
            "password": "short",
            "fullName": "X",
        }
        response = await client.post("/api/auth/register", json=body)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "password"

    async def test_duplicate_email_is_409(self, client: httpx.AsyncClient, org: Org) -> None:
        body = {
            "organizationName": "X",
            "email": org.user["email"].upper(),
            "password": PASSWORD,
            "fullName": "X",
        }
        assert (await client.post("/api/auth/register", json=body)).status_code == 409


class TestLogin:
    async def test_returns_tokens_and_cookies(self, client: httpx.AsyncClient, org: Org) -> None:
        response = await client.post(
            "/api/auth/login", json={"email": org.user["email"], "password": PASSWORD}
        )
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"accessToken", "refreshToken", "tokenType", "expiresIn", "user"}
        claims = jwt.decode(body["accessToken"], options={"verify_signature": False})
        assert claims["exp"] - claims["iat"] == 15 * 60
        cookie = response.headers.get_list("set-cookie")
        assert any(
            "crowndesk_session=" in c and "HttpOnly" in c and "SameSite=lax" in c for c in cookie
        )

    async def test_wrong_password_is_401(self, client: httpx.AsyncClient, org: Org) -> None:
        response = await client.post(
            "/api/auth/login", json={"email": org.user["email"], "password": "wrong-password-1"}
        )
        assert response.status_code == 401
        assert response.json()["detail"] == "Email or password is incorrect."

    async def test_sixth_failure_from_one_address_is_throttled(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        body = {"email": org.user["email"], "password": "wrong-password-1"}
        for _ in range(5):
            assert (await client.post("/api/auth/login", json=body)).status_code == 401
        throttled = await client.post("/api/auth/login", json={**body, "password": PASSWORD})
        assert throttled.status_code == 429
        assert 1 <= int(throttled.headers["retry-after"]) <= 15 * 60

    async def test_throttle_is_per_address(
        self, app: object, client: httpx.AsyncClient, org: Org
    ) -> None:
        body = {"email": org.user["email"], "password": "wrong-password-1"}
        for _ in range(5):
            await client.post("/api/auth/login", json=body)
        other = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("198.51.100.7", 1)),  # type: ignore[arg-type]
            base_url="http://testserver",
        )
        async with other:
            ok = await other.post("/api/auth/login", json={**body, "password": PASSWORD})
        assert ok.status_code == 200

    async def test_deactivated_user_cannot_sign_in(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        user, _ = await org.add_user("billing")
        await client.patch(
            f"/api/users/{user['id']}", json={"isActive": False}, headers=org.headers
        )
        response = await client.post(
            "/api/auth/login", json={"email": user["email"], "password": PASSWORD}
        )
        assert response.status_code == 401


class TestRefresh:
    async def test_rotates_the_token(self, client: httpx.AsyncClient, org: Org) -> None:
        first = org.tokens["refreshToken"]
        response = await client.post("/api/auth/refresh", json={"refreshToken": first})
        assert response.status_code == 200
        assert response.json()["refreshToken"] != first
        again = await client.post(
            "/api/auth/refresh", json={"refreshToken": response.json()["refreshToken"]}
        )
        assert again.status_code == 200

    async def test_reusing_a_rotated_token_revokes_the_session(
        self, client: httpx.AsyncClient, org: Org, session: AsyncSession
    ) -> None:
        first = org.tokens["refreshToken"]
        rotated = (await client.post("/api/auth/refresh", json={"refreshToken": first})).json()
        reuse = await client.post("/api/auth/refresh", json={"refreshToken": first})
        assert reuse.status_code == 401
        # The thief's copy and the legitimate newest token are both dead now.
        latest = await client.post(
            "/api/auth/refresh", json={"refreshToken": rotated["refreshToken"]}
        )
        assert latest.status_code == 401
        me = await client.get(
            "/api/auth/me", headers={"Authorization": f"Bearer {rotated['accessToken']}"}
        )
        assert me.status_code == 401
        with unscoped(session):
            revoked = await session.scalar(
                select(AuthSession).where(AuthSession.user_id == uuid.UUID(org.user["id"]))
            )
        assert revoked is not None
        assert revoked.revoked_reason == "refresh_token_reuse"

    async def test_unknown_token_is_401(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/api/auth/refresh", json={"refreshToken": "nope"})
        assert response.status_code == 401

    async def test_tokens_are_stored_only_as_hashes(self, org: Org, session: AsyncSession) -> None:
        with unscoped(session):
            hashes = list(await session.scalars(select(RefreshToken.token_hash)))
            password_hash = await session.scalar(select(User.password_hash))
        assert org.tokens["refreshToken"] not in hashes
        assert len(hashes) >= 1
        assert password_hash is not None
        assert password_hash.startswith("$argon2id$")


class TestLogoutAndSessions:
    async def test_logout_ends_the_session(self, client: httpx.AsyncClient, org: Org) -> None:
        assert (await client.post("/api/auth/logout", headers=org.headers)).status_code == 204
        assert (await client.get("/api/auth/me", headers=org.headers)).status_code == 401
        refresh = await client.post(
            "/api/auth/refresh", json={"refreshToken": org.tokens["refreshToken"]}
        )
        assert refresh.status_code == 401

    async def test_delete_logout_works_too(self, client: httpx.AsyncClient, org: Org) -> None:
        assert (await client.delete("/api/auth/logout", headers=org.headers)).status_code == 204
        assert (await client.get("/api/auth/me", headers=org.headers)).status_code == 401

    async def test_list_and_revoke_sessions(self, client: httpx.AsyncClient, org: Org) -> None:
        second = await client.post(
            "/api/auth/login", json={"email": org.user["email"], "password": PASSWORD}
        )
        other_headers = {"Authorization": f"Bearer {second.json()['accessToken']}"}
        sessions = (await client.get("/api/sessions", headers=org.headers)).json()
        assert len(sessions) == 2
        assert sum(s["current"] for s in sessions) == 1
        other = next(s for s in sessions if not s["current"])
        assert (
            await client.delete(f"/api/sessions/{other['id']}", headers=org.headers)
        ).status_code == 204
        assert (await client.get("/api/auth/me", headers=other_headers)).status_code == 401
        assert (await client.get("/api/auth/me", headers=org.headers)).status_code == 200

    async def test_garbage_bearer_is_401(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/auth/me", headers={"Authorization": "Bearer x.y.z"})
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"


class TestCookieSessions:
    async def test_cookie_authenticates_and_posts_need_csrf(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        login = await client.post(
            "/api/auth/login", json={"email": org.user["email"], "password": PASSWORD}
        )
        assert login.status_code == 200
        assert (await client.get("/api/auth/me")).status_code == 200
        clinic = {"name": "Cookie Clinic", "timezone": "America/Denver"}
        refused = await client.post("/api/clinics", json=clinic)
        assert refused.status_code == 403
        csrf = client.cookies["crowndesk_csrf"]
        accepted = await client.post("/api/clinics", json=clinic, headers={"X-CSRF-Token": csrf})
        assert accepted.status_code == 201
