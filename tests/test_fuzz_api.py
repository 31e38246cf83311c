"""Every operation of the OpenAPI document, fed generated input by schemathesis: no answer
is a 5xx, and every 4xx is problem+json. Runs against its own database and app instance."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from starlette.testclient import TestClient
from tests.factories import CLINIC, PASSWORD, unique_email

from crowndesk.app import create_app
from crowndesk.config import Settings
from crowndesk.db.migrate import upgrade


def _fuzz_database() -> str:
    import tempfile
    from pathlib import Path

    from tests.conftest import DatabaseFactory

    factory = DatabaseFactory(Path(tempfile.mkdtemp(prefix="crowndesk-fuzz-")))
    url = factory.new("fuzz")
    upgrade(url)
    return url


_settings = Settings(
    data_dir=os.environ.get("TMPDIR", "/tmp"),
    database_url=_fuzz_database(),
    secret_key="fuzz-secret-key-" + "y" * 40,
    allow_signup=True,
    # Queued syncs would try to reach the fuzzed clinics' made-up Open Dental addresses.
    jobs_runner="off",
)
app = create_app(_settings)
schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)


@pytest.fixture(scope="module")
def auth_headers() -> Iterator[dict[str, str]]:
    with TestClient(app) as client:
        body = {
            "organizationName": "Fuzz Dental",
            "email": unique_email("fuzz"),
            "password": PASSWORD,
            "fullName": "Fuzz Owner",
        }
        tokens = client.post("/api/auth/register", json=body).json()
        headers = {"Authorization": f"Bearer {tokens['accessToken']}"}
        assert client.post("/api/clinics", json=CLINIC, headers=headers).status_code == 201
        yield headers


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_problem_json(case: Any, auth_headers: dict[str, str]) -> None:
    if case.path in ("/api/auth/logout",) or (
        case.method == "DELETE" and case.path.startswith("/api/users")
    ):
        headers = {}  # keep the fuzzing session alive: these run unauthenticated
    else:
        headers = auth_headers
    response = case.call(headers=headers)
    assert response.status_code < 500, (case.method, case.path, response.text)
    if 400 <= response.status_code < 500:
        assert response.headers["content-type"][0].startswith("application/problem+json"), (
            case.method,
            case.path,
            response.status_code,
        )
