from __future__ import annotations

import copy
import uuid

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from tests.factories import CLINIC, Org

from crowndesk.clinics.models import Clinic
from crowndesk.config import Settings
from crowndesk.core.crypto import SecretBox
from crowndesk.db.tenancy import unscoped


async def _create(
    client: httpx.AsyncClient, org: Org, body: dict[str, object] | None = None
) -> dict[str, object]:
    response = await client.post("/api/clinics", json=body or CLINIC, headers=org.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


class TestCreateClinic:
    async def test_answers_the_clinic_without_keys(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        response = await client.post("/api/clinics", json=CLINIC, headers=org.headers)
        assert response.status_code == 201
        body = response.json()
        assert body["name"] == "Main Street Dental"
        assert body["tenantId"] == org.tenant_id
        assert body["address"]["postalCode"] == "62701"
        od = body["openDental"]
        assert od["hasCredentials"] is True
        assert od["customerKeyLast4"] == "1234"
        assert od["mode"] == "remote"
        assert od["tier"] == "standard"
        assert od["effectiveRequestIntervalMs"] == 1000
        assert "DEVKEY" not in response.text
        assert "CUSTKEY" not in response.text

    async def test_keys_are_encrypted_at_rest(
        self, client: httpx.AsyncClient, org: Org, session: AsyncSession, settings: Settings
    ) -> None:
        created = await _create(client, org)
        with unscoped(session):
            clinic = await session.scalar(
                select(Clinic).where(Clinic.id == uuid.UUID(str(created["id"])))
            )
        assert clinic is not None
        assert clinic.od_customer_key_enc is not None
        assert "CUSTKEY" not in clinic.od_customer_key_enc
        box = SecretBox(settings.secret_key)
        assert box.decrypt(clinic.od_customer_key_enc) == "CUSTKEY-qrstuvwxyz1234"

    async def test_defaults_and_overrides(self, client: httpx.AsyncClient, org: Org) -> None:
        minimal = await _create(client, org, {"name": "Tiny", "timezone": "Europe/Berlin"})
        od = minimal["openDental"]
        assert isinstance(od, dict)
        assert od["hasCredentials"] is False
        assert od["syncEnabled"] is False
        assert od["pageSize"] == 100
        body = {
            "name": "Local",
            "timezone": "UTC",
            "openDental": {"mode": "local", "requestIntervalMs": 0},
        }
        local = await _create(client, org, body)
        assert local["openDental"] == local["openDental"] | {
            "pageSize": 1000,
            "effectiveRequestIntervalMs": 0,
        }
        slow = await _create(
            client, org, {"name": "Slow", "timezone": "UTC", "openDental": {"tier": "read_all"}}
        )
        assert slow["openDental"]["effectiveRequestIntervalMs"] == 5000  # type: ignore[index]

    async def test_bad_input_is_422(self, client: httpx.AsyncClient, org: Org) -> None:
        cases = [
            {"name": "X", "timezone": "Mars/Olympus"},
            {"timezone": "UTC"},
            {"name": "", "timezone": "UTC"},
            {"name": "X", "timezone": "UTC", "openDental": {"mode": "carrier-pigeon"}},
            {"name": "X", "timezone": "UTC", "openDental": {"baseUrl": "not a url"}},
            {"name": "X", "timezone": "UTC", "openDental": {"requestIntervalMs": -1}},
            {"name": "X", "timezone": "UTC", "color": "blue"},
        ]
        for body in cases:
            response = await client.post("/api/clinics", json=body, headers=org.headers)
            assert response.status_code == 422, body
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["errors"]

    async def test_front_desk_may_read_but_not_write(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        created = await _create(client, org)
        _, front = await org.add_user("front_desk")
        assert (await client.get(f"/api/clinics/{created['id']}", headers=front)).status_code == 200
        assert (await client.post("/api/clinics", json=CLINIC, headers=front)).status_code == 403
        assert (
            await client.delete(f"/api/clinics/{created['id']}", headers=front)
        ).status_code == 403


class TestReplaceClinic:
    async def test_put_keeps_stored_keys_when_omitted(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        created = await _create(client, org)
        body = copy.deepcopy(CLINIC)
        body["name"] = "Renamed"
        od = body["openDental"]
        assert isinstance(od, dict)
        del od["developerKey"], od["customerKey"]
        od["syncEnabled"] = False
        response = await client.put(f"/api/clinics/{created['id']}", json=body, headers=org.headers)
        assert response.status_code == 200
        assert response.json()["name"] == "Renamed"
        assert response.json()["openDental"]["hasCredentials"] is True
        assert response.json()["openDental"]["syncEnabled"] is False

    async def test_new_customer_key_replaces_the_old(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        created = await _create(client, org)
        body = copy.deepcopy(CLINIC)
        body["openDental"]["customerKey"] = "NEW-KEY-9876"  # type: ignore[index]
        response = await client.put(f"/api/clinics/{created['id']}", json=body, headers=org.headers)
        assert response.json()["openDental"]["customerKeyLast4"] == "9876"


class TestListAndDelete:
    async def test_list_paginates(self, client: httpx.AsyncClient, org: Org) -> None:
        for name in ("A clinic", "B clinic", "C clinic"):
            await _create(client, org, {"name": name, "timezone": "UTC"})
        page = (await client.get("/api/clinics?limit=2&offset=1", headers=org.headers)).json()
        assert page["total"] == 3
        assert page["limit"] == 2
        assert page["offset"] == 1
        assert [c["name"] for c in page["items"]] == ["B clinic", "C clinic"]

    async def test_deleted_clinic_is_gone(self, client: httpx.AsyncClient, org: Org) -> None:
        created = await _create(client, org)
        assert (
            await client.delete(f"/api/clinics/{created['id']}", headers=org.headers)
        ).status_code == 204
        assert (
            await client.get(f"/api/clinics/{created['id']}", headers=org.headers)
        ).status_code == 404
        assert (await client.get("/api/clinics", headers=org.headers)).json()["total"] == 0

    async def test_unknown_and_malformed_ids(self, client: httpx.AsyncClient, org: Org) -> None:
        assert (
            await client.get(f"/api/clinics/{uuid.uuid4()}", headers=org.headers)
        ).status_code == 404
        assert (await client.get("/api/clinics/not-a-uuid", headers=org.headers)).status_code == 422
