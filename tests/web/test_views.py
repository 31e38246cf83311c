"""The web app over HTTP (no browser): sign-in, session expiry, roles, CSRF, error pages."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from tests.factories import CLINIC, PASSWORD, Org, register_org

from crowndesk.web.auth import safe_next


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    """Sign in through the form; answers the CSRF token the pages carry."""
    response = await client.post("/login", data={"email": email, "password": password, "next": "/"})
    assert response.status_code == 303, response.text
    return client.cookies["crowndesk_csrf"]


async def add_user(org: Org, role: str) -> str:
    user, _ = await org.add_user(role)
    org.client.cookies.clear()
    return str(user["email"])


class TestSignIn:
    async def test_the_form_has_labelled_email_and_password(
        self, client: httpx.AsyncClient
    ) -> None:
        html = (await client.get("/login")).text
        assert '<label for="email">Email</label>' in html
        assert '<label for="password">Password</label>' in html

    async def test_a_page_without_a_session_leads_to_sign_in_and_back(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/admin/activity?action=auth.login")
        assert response.status_code == 303
        location = urlsplit(response.headers["location"])
        assert location.path == "/login"
        assert parse_qs(location.query)["next"] == ["/admin/activity?action=auth.login"]

    async def test_signing_in_goes_to_the_page_asked_for(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        response = await client.post(
            "/login",
            data={"email": org.user["email"], "password": PASSWORD, "next": "/admin/users"},
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/admin/users"

    async def test_the_signed_in_user_sees_their_name(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        await sign_in(client, org.user["email"])
        page = await client.get("/")
        assert page.status_code == 200
        assert "Olive Owner" in page.text

    async def test_a_wrong_password_shows_the_form_again_with_a_message(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        response = await client.post(
            "/login", data={"email": org.user["email"], "password": "wrong-password-123"}
        )
        assert response.status_code == 401
        assert "Email or password is incorrect." in response.text

    async def test_a_wrong_password_counts_towards_the_throttle(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        for _ in range(5):
            await client.post(
                "/login", data={"email": org.user["email"], "password": "wrong-password-123"}
            )
        response = await client.post(
            "/login", data={"email": org.user["email"], "password": PASSWORD}
        )
        assert response.status_code == 429

    @pytest.mark.parametrize(
        "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"]
    )
    def test_next_never_leaves_the_site(self, target: str) -> None:
        assert safe_next(target) == "/"


class TestSessionEnd:
    async def test_an_ended_session_returns_to_sign_in_with_a_notice(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        csrf = await sign_in(client, org.user["email"])
        await client.post("/api/auth/logout", headers={"X-CSRF-Token": csrf})
        client.cookies.set("crowndesk_session", "ended-session-token")
        response = await client.get("/admin/sync")
        assert response.status_code == 303
        query = parse_qs(urlsplit(response.headers["location"]).query)
        assert query == {"next": ["/admin/sync"], "expired": ["1"]}

    async def test_an_htmx_request_is_redirected_to_sign_in_from_the_page_it_came_from(
        self, client: httpx.AsyncClient
    ) -> None:
        client.cookies.set("crowndesk_session", "ended-session-token")
        response = await client.post(
            "/admin/sync/run",
            headers={
                "HX-Request": "true",
                "HX-Current-URL": "http://testserver/admin/sync?tab=errors",
            },
        )
        target = urlsplit(response.headers["HX-Redirect"])
        assert parse_qs(target.query)["next"] == ["/admin/sync?tab=errors"]

    async def test_sign_out_needs_the_csrf_token(self, client: httpx.AsyncClient, org: Org) -> None:
        await sign_in(client, org.user["email"])
        response = await client.post("/logout", headers={"HX-Request": "true"})
        assert response.status_code == 403

    async def test_sign_out_ends_the_session(self, client: httpx.AsyncClient, org: Org) -> None:
        csrf = await sign_in(client, org.user["email"])
        cookie = client.cookies["crowndesk_session"]
        response = await client.post("/logout", headers={"X-CSRF-Token": csrf})
        assert response.headers["HX-Redirect"] == "/login"
        client.cookies.set("crowndesk_session", cookie)
        assert (await client.get("/")).status_code == 303


class TestRoles:
    async def test_front_desk_sees_no_admin_pages_it_may_not_open(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        await sign_in(client, await add_user(org, "front_desk"))
        html = (await client.get("/")).text
        assert 'href="/admin/users"' not in html
        assert 'href="/admin/sync"' not in html

    async def test_front_desk_is_refused_the_users_page(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        await sign_in(client, await add_user(org, "front_desk"))
        response = await client.get("/admin/users")
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("text/html")

    async def test_billing_may_open_the_sync_page(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        await sign_in(client, await add_user(org, "billing"))
        assert (await client.get("/admin/sync")).status_code == 200


class TestAdminPages:
    @pytest.mark.parametrize(
        "path", ["/", "/admin/sync", "/admin/clinics", "/admin/users", "/admin/activity"]
    )
    async def test_every_page_renders_for_an_owner(
        self, client: httpx.AsyncClient, org: Org, path: str
    ) -> None:
        await client.post("/api/clinics", json=CLINIC, headers=org.headers)
        await sign_in(client, org.user["email"])
        response = await client.get(path)
        assert response.status_code == 200, response.text

    async def test_adding_a_user_shows_them_in_the_list(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        csrf = await sign_in(client, org.user["email"])
        response = await client.post(
            "/admin/users",
            data={
                "email": "new.person@example-dental.com",
                "full_name": "New Person",
                "role": "billing",
                "password": PASSWORD,
            },
            headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
        )
        assert "new.person@example-dental.com" in response.text

    async def test_a_short_password_is_a_readable_message(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        csrf = await sign_in(client, org.user["email"])
        response = await client.post(
            "/admin/users",
            data={"email": "a@example-dental.com", "full_name": "A", "role": "billing"},
            headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
        )
        assert response.status_code == 422
        assert response.headers["HX-Retarget"] == "#flash"

    async def test_a_bad_date_filter_is_a_message_not_an_error(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        await sign_in(client, org.user["email"])
        response = await client.get("/admin/activity?date_from=yesterday")
        assert "From is not a date" in response.text

    async def test_another_tenants_clinic_cannot_be_tested(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        clinic = (await client.post("/api/clinics", json=CLINIC, headers=org.headers)).json()
        other = await register_org(client, "Other Dental")
        csrf = await sign_in(client, other.user["email"])
        response = await client.post(
            f"/admin/clinics/{clinic['id']}/test-connection", headers={"X-CSRF-Token": csrf}
        )
        assert response.status_code == 404


class TestErrorPages:
    async def test_an_unknown_page_is_html(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/no-such-page")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")

    async def test_the_api_keeps_problem_json(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/no-such-thing")
        assert response.headers["content-type"] == "application/problem+json"


class TestProcedurePages:
    async def test_the_list_renders_without_procedures(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        await sign_in(client, org.user["email"])
        response = await client.get("/procedures?date_from=2025-01-01&q=crown")
        assert "No completed procedure matches these filters." in response.text

    async def test_a_reversed_date_range_is_a_message(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        await sign_in(client, org.user["email"])
        response = await client.get("/procedures?date_from=2025-02-01&date_to=2025-01-01")
        assert "From is after To." in response.text

    async def test_front_desk_may_not_move_billing_status(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        csrf = await sign_in(client, await add_user(org, "front_desk"))
        response = await client.post(
            "/procedures/billing-status",
            data={"ids": str(uuid.uuid4()), "move": "pending_claim"},
            headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
        )
        assert response.status_code == 403

    async def test_a_denial_needs_a_reason(self, client: httpx.AsyncClient, org: Org) -> None:
        csrf = await sign_in(client, org.user["email"])
        response = await client.post(
            "/procedures/billing-status",
            data={"ids": str(uuid.uuid4()), "move": "denied"},
            headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
        )
        assert response.status_code == 400
        assert "give a reason" in response.text

    async def test_unknown_procedures_are_not_found(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        csrf = await sign_in(client, org.user["email"])
        response = await client.post(
            "/procedures/billing-status",
            data={"ids": str(uuid.uuid4()), "move": "paid"},
            headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
        )
        assert response.status_code == 404
        assert "nothing was changed" in response.text

    async def test_an_unknown_procedure_page_is_not_found(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        await sign_in(client, org.user["email"])
        response = await client.get(f"/procedures/{uuid.uuid4()}")
        assert response.status_code == 404


class TestPatientPages:
    @pytest.mark.parametrize("path", ["/patients", "/patients?q=smith", "/schedule"])
    async def test_pages_render_without_a_practice(
        self, client: httpx.AsyncClient, org: Org, path: str
    ) -> None:
        await sign_in(client, await add_user(org, "front_desk"))
        assert (await client.get(path)).status_code == 200

    async def test_an_unknown_patient_is_not_found(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        await sign_in(client, org.user["email"])
        response = await client.get(f"/patients/{uuid.uuid4()}")
        assert response.status_code == 404

    async def test_a_bad_day_falls_back_to_today_with_a_message(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        await sign_in(client, org.user["email"])
        response = await client.get("/schedule?day=tomorrow")
        assert "Day is not a date" in response.text
