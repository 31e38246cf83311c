"""Typed helpers that build data through the public API, as a client would."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

PASSWORD = "correct-horse-battery"


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example-dental.com"


class Org:
    """A registered organization seen through its owner's bearer token."""

    def __init__(self, client: httpx.AsyncClient, tokens: dict[str, Any], password: str) -> None:
        self.client = client
        self.tokens = tokens
        self.password = password
        self.user = tokens["user"]
        self.headers = {"Authorization": f"Bearer {tokens['accessToken']}"}

    @property
    def tenant_id(self) -> str:
        return str(self.user["tenantId"])

    async def add_user(
        self, role: str, password: str = PASSWORD
    ) -> tuple[dict[str, Any], dict[str, str]]:
        email = unique_email(role)
        body = {"email": email, "fullName": f"{role} person", "role": role, "password": password}
        created = await self.client.post("/api/users", json=body, headers=self.headers)
        assert created.status_code == 201, created.text
        login = await self.client.post(
            "/api/auth/login", json={"email": email, "password": password}
        )
        assert login.status_code == 200, login.text
        return created.json(), {"Authorization": f"Bearer {login.json()['accessToken']}"}


async def register_org(client: httpx.AsyncClient, name: str = "Smile Dental") -> Org:
    body = {
        "organizationName": name,
        "email": unique_email("owner"),
        "password": PASSWORD,
        "fullName": "Olive Owner",
    }
    response = await client.post("/api/auth/register", json=body)
    assert response.status_code == 201, response.text
    client.cookies.clear()  # tests authenticate with bearer tokens unless they say otherwise
    return Org(client, response.json(), PASSWORD)


CLINIC = {
    "name": "Main Street Dental",
    "timezone": "America/Chicago",
    "address": {
        "line1": "1 Main St",
        "city": "Springfield",
        "state": "IL",
        "postalCode": "62701",
        "country": "US",
    },
    "contact": {"email": "front@example-dental.com", "phone": "555-0100"},
    "openDental": {
        "baseUrl": "https://od.example.test/api/v1",
        "developerKey": "DEVKEY-abcdefghijklmnop",
        "customerKey": "CUSTKEY-qrstuvwxyz1234",
        "syncEnabled": True,
        "mode": "remote",
        "tier": "standard",
    },
}
