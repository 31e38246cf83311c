"""Errors as problem+json, request ids, health, readiness, metrics, and no secrets leaking."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from tests.factories import CLINIC, PASSWORD, Org

PROBLEM = "application/problem+json"


class TestErrors:
    async def test_unknown_path_is_problem_404(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/nowhere")
        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM
        body = response.json()
        assert body["status"] == 404
        assert body["detail"]
        assert body["requestId"] == response.headers["x-request-id"]

    async def test_wrong_method_is_405(self, client: httpx.AsyncClient) -> None:
        response = await client.put("/api/health")
        assert response.status_code == 405
        assert response.headers["content-type"] == PROBLEM

    @pytest.mark.parametrize(
        "content",
        [b"{not json", b"[]", b"null", b'"text"', b'{"email": 5, "password": []}'],
    )
    async def test_malformed_bodies_are_422(
        self, client: httpx.AsyncClient, content: bytes
    ) -> None:
        response = await client.post(
            "/api/auth/login", content=content, headers={"content-type": "application/json"}
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["errors"]

    async def test_bad_query_parameters_are_422(self, client: httpx.AsyncClient, org: Org) -> None:
        for query in ("limit=0", "limit=100000", "offset=-1", "limit=abc"):
            response = await client.get(f"/api/clinics?{query}", headers=org.headers)
            assert response.status_code == 422, query
            assert response.json()["errors"][0]["in"] == "query"

    async def test_missing_token_is_401_problem(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/clinics")
        assert response.status_code == 401
        assert response.headers["content-type"] == PROBLEM


class TestRequestIds:
    async def test_a_sane_incoming_id_is_echoed(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/health", headers={"X-Request-ID": "abc-123"})
        assert response.headers["x-request-id"] == "abc-123"

    async def test_an_odd_incoming_id_is_replaced(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/health", headers={"X-Request-ID": "<script>"})
        assert response.headers["x-request-id"] != "<script>"
        assert len(response.headers["x-request-id"]) == 32


class TestProbes:
    async def test_health(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/api/health")).json()["status"] == "ok"

    async def test_ready_when_migrated(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/ready")
        assert response.status_code == 200
        assert response.json()["status"] == "ready"

    async def test_not_ready_on_an_empty_database(self, settings: Any, databases: Any) -> None:
        from crowndesk.app import create_app

        empty = settings.model_copy(update={"database_url": databases.new("unmigrated")})
        app = create_app(empty)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            response = await client.get("/api/ready")
        await app.state.engine.dispose()
        assert response.status_code == 503
        assert "crowndesk migrate" in response.json()["detail"]

    async def test_metrics_count_requests_by_route(self, client: httpx.AsyncClient) -> None:
        await client.get("/api/health")
        text = (await client.get("/metrics")).text
        assert (
            'crowndesk_http_requests_total{method="GET",route="/api/health",status="200"}' in text
        )

    async def test_docs(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/api/docs")).status_code == 200
        spec = (await client.get("/api/openapi.json")).json()
        assert "/api/auth/login" in spec["paths"]


class TestNoSecretsLeak:
    async def test_keys_tokens_and_hashes_stay_out_of_answers_and_logs(
        self, client: httpx.AsyncClient, org: Org, capsys: pytest.CaptureFixture[str]
    ) -> None:
        answers: list[str] = []
        created = await client.post("/api/clinics", json=CLINIC, headers=org.headers)
        answers.append(created.text)
        for path in (
            "/api/clinics",
            f"/api/clinics/{created.json()['id']}",
            "/api/users",
            "/api/auth/me",
            "/api/sessions",
            "/api/activity-logs",
        ):
            answers.append((await client.get(path, headers=org.headers)).text)
        login = await client.post(
            "/api/auth/login", json={"email": org.user["email"], "password": PASSWORD}
        )
        refresh_token = login.json()["refreshToken"]
        access_token = login.json()["accessToken"]
        answers.append(
            (await client.post("/api/auth/refresh", json={"refreshToken": refresh_token})).text
        )
        logs = capsys.readouterr().err + capsys.readouterr().out
        od = CLINIC["openDental"]
        assert isinstance(od, dict)
        secrets = [
            od["developerKey"],
            od["customerKey"],
            PASSWORD,
            "$argon2",
            refresh_token,
            access_token,
        ]
        everything = "\n".join(answers)
        for secret in secrets:
            assert secret not in logs
        for secret in (od["developerKey"], od["customerKey"], PASSWORD, "$argon2"):
            assert secret not in everything
        assert "passwordHash" not in answers[3] + answers[4]  # users, me
        # the logs are JSON lines with the route template, never the email or bodies
        lines = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
        assert lines
        assert org.user["email"] not in logs
