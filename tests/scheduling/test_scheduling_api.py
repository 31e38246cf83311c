"""`/api/providers`, `/api/operatories`, `/api/appointments` over a mirrored sandbox."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from tests.mirrored_practice import MirroredPractice, mirrored_rows, phi_reads

from crowndesk.db.types import utcnow
from crowndesk.patients.models import Patient
from crowndesk.scheduling.models import Appointment, Operatory, Provider

SYNC_FIELDS = {"pmsSource", "pmsId", "pmsUpdatedAt", "lastSyncedAt", "pmsDeletedAt"}
APPOINTMENT_FIELDS = {
    "id",
    "clinicId",
    "patientId",
    "providerId",
    "operatoryId",
    "start",
    "durationMinutes",
    "status",
    "confirmed",
    "note",
    "isNewPatient",
}
STATUS_NUMBERS = {"scheduled": 1, "complete": 2, "unscheduled": 3, "broken": 5, "planned": 6}


async def _all(
    client: httpx.AsyncClient, practice: MirroredPractice, path: str, **params: Any
) -> list[Any]:
    items: list[Any] = []
    while True:
        response = await client.get(
            path, params={**params, "limit": 100, "offset": len(items)}, headers=practice.headers
        )
        assert response.status_code == 200, response.text
        page = response.json()["items"]
        items += page
        if not page:
            return items


async def _appointments(
    client: httpx.AsyncClient, practice: MirroredPractice, **params: Any
) -> list[str]:
    """The Open Dental keys of the appointments found, sorted as numbers."""
    found = await _all(client, practice, "/api/appointments", **params)
    return sorted((a["pmsId"] for a in found), key=int)


def _keys(rows: list[Any]) -> list[str]:
    return sorted((str(r[0]) for r in rows), key=int)


class TestProviders:
    async def test_lists_open_dentals_providers(
        self, client: httpx.AsyncClient, practice: MirroredPractice
    ) -> None:
        found = await _all(client, practice, "/api/providers")
        rows = practice.od("SELECT ProvNum, Abbr, LName, FName, NationalProvID FROM provider")
        assert {p["pmsId"]: (p["abbreviation"], p["lastName"], p["firstName"]) for p in found} == {
            str(num): (abbr, last, first) for num, abbr, last, first, _ in rows
        }
        assert set(found[0]) >= SYNC_FIELDS | {"id", "clinicId", "isHygienist", "status"}
        assert [p["lastName"] for p in found] == sorted(p["lastName"] for p in found)

    async def test_clinic_filter_and_no_phi_logged(
        self, client: httpx.AsyncClient, practice: MirroredPractice, session: AsyncSession
    ) -> None:
        response = await client.get(
            "/api/providers",
            params={"clinicId": str(practice.empty_clinic_id)},
            headers=practice.headers,
        )
        assert response.json()["total"] == 0
        assert await phi_reads(session, response) == []


class TestOperatories:
    async def test_in_the_offices_order(
        self, client: httpx.AsyncClient, practice: MirroredPractice, session: AsyncSession
    ) -> None:
        found = await _all(client, practice, "/api/operatories")
        rows = practice.od("SELECT OperatoryNum, OpName FROM operatory ORDER BY ItemOrder")
        assert [(o["pmsId"], o["name"]) for o in found] == [(str(n), name) for n, name in rows]
        dentists = {
            p.id: p.pms_id for p in await mirrored_rows(session, practice.tenant_id, Provider)
        }
        expected = dict(practice.od("SELECT OperatoryNum, ProvDentist FROM operatory"))
        for operatory in found:
            wanted = expected[int(operatory["pmsId"])]
            got = operatory["dentistId"] and dentists[uuid.UUID(operatory["dentistId"])]
            assert got == (str(wanted) if wanted else None)


class TestAppointments:
    async def test_no_window_means_every_appointment_not_deleted(
        self, client: httpx.AsyncClient, practice: MirroredPractice
    ) -> None:
        found = await _appointments(client, practice)
        assert found == _keys(practice.od("SELECT AptNum FROM appointment"))
        deleted = str(practice.hard_deleted["appointment"])
        assert deleted not in found
        everything = await _appointments(client, practice, includeDeleted="true")
        assert everything == sorted([*found, deleted], key=int)

    async def test_wire_shape(self, client: httpx.AsyncClient, practice: MirroredPractice) -> None:
        num = practice.od_one("SELECT MIN(AptNum) FROM appointment WHERE AptDateTime > '1900'")
        when, note, new, pattern = practice.od_one(
            "SELECT AptDateTime, Note, IsNewPatient, Pattern FROM appointment WHERE AptNum = ?",
            num,
        )
        day = when[:10]
        found = await _all(client, practice, "/api/appointments", dateFrom=day, dateTo=day)
        (appointment,) = [a for a in found if a["pmsId"] == str(num)]
        assert set(appointment) >= APPOINTMENT_FIELDS | SYNC_FIELDS
        assert appointment["start"] == when.replace(" ", "T")
        assert (appointment["note"] or "") == note
        assert appointment["isNewPatient"] is bool(new)
        assert appointment["durationMinutes"] == len(pattern) * 5
        assert appointment["pmsSource"] == "opendental"

    async def test_dates_are_inclusive_days(
        self, client: httpx.AsyncClient, practice: MirroredPractice
    ) -> None:
        busiest = practice.od_one(
            "SELECT date(AptDateTime) FROM appointment WHERE AptDateTime > '1900'"
            " GROUP BY 1 ORDER BY COUNT(*) DESC, 1 LIMIT 1"
        )
        one_day = await _appointments(client, practice, dateFrom=busiest, dateTo=busiest)
        assert one_day == _keys(
            practice.od("SELECT AptNum FROM appointment WHERE date(AptDateTime) = ?", busiest)
        )
        assert len(one_day) > 1
        first, last = practice.od_one(
            "SELECT MIN(date(AptDateTime)), MAX(date(AptDateTime)) FROM appointment"
            " WHERE AptDateTime > '2024-01-01'"
        )
        span = await _appointments(client, practice, dateFrom=first, dateTo=last)
        assert span == _keys(
            practice.od(
                "SELECT AptNum FROM appointment WHERE date(AptDateTime) BETWEEN ? AND ?",
                first,
                last,
            )
        )
        since = await _appointments(client, practice, dateFrom="2024-01-01")
        assert since == span
        until = await _appointments(client, practice, dateTo="2023-12-31")
        assert until == _keys(
            practice.od(
                "SELECT AptNum FROM appointment WHERE AptDateTime > '1900'"
                " AND date(AptDateTime) <= '2023-12-31'"
            )
        )
        assert (
            await _appointments(client, practice, dateFrom="9999-12-31", dateTo="9999-12-31") == []
        )

    async def test_ordered_by_start(
        self, client: httpx.AsyncClient, practice: MirroredPractice
    ) -> None:
        found = await _all(client, practice, "/api/appointments", dateFrom="2020-01-01")
        starts = [a["start"] for a in found]
        assert starts == sorted(starts)

    @pytest.mark.parametrize("statuses", [("complete",), ("scheduled", "broken")])
    async def test_status(
        self, client: httpx.AsyncClient, practice: MirroredPractice, statuses: tuple[str, ...]
    ) -> None:
        found = await _appointments(client, practice, status=list(statuses))
        numbers = ",".join(str(STATUS_NUMBERS[s]) for s in statuses)
        assert found == _keys(
            practice.od(f"SELECT AptNum FROM appointment WHERE AptStatus IN ({numbers})")  # noqa: S608
        )

    async def test_provider_operatory_and_patient(
        self, client: httpx.AsyncClient, practice: MirroredPractice, session: AsyncSession
    ) -> None:
        tenant = practice.tenant_id
        (provider,) = await mirrored_rows(session, tenant, Provider, Provider.pms_id == "2")
        (operatory,) = await mirrored_rows(session, tenant, Operatory, Operatory.pms_id == "3")
        pat_num = practice.od_one(
            "SELECT PatNum FROM appointment GROUP BY PatNum ORDER BY COUNT(*) DESC LIMIT 1"
        )
        (patient,) = await mirrored_rows(session, tenant, Patient, Patient.pms_id == str(pat_num))
        for params, where in (
            ({"providerId": str(provider.id)}, "ProvNum = 2"),
            ({"operatoryId": str(operatory.id)}, "Op = 3"),
            ({"patientId": str(patient.id)}, f"PatNum = {pat_num}"),
            (
                {"providerId": str(provider.id), "operatoryId": str(operatory.id)},
                "ProvNum = 2 AND Op = 3",
            ),
        ):
            found = await _appointments(client, practice, **params)
            expected = _keys(practice.od(f"SELECT AptNum FROM appointment WHERE {where}"))  # noqa: S608
            assert found == expected, params
            assert found

    async def test_clinic_and_updated_since(
        self, client: httpx.AsyncClient, practice: MirroredPractice, session: AsyncSession
    ) -> None:
        other = await _appointments(client, practice, clinicId=str(practice.empty_clinic_id))
        assert other == []
        num = practice.od_one("SELECT MIN(AptNum) FROM appointment")
        later = utcnow() + timedelta(days=2)
        await mirrored_rows(session, practice.tenant_id, Appointment)  # binds the tenant
        await session.execute(
            update(Appointment).where(Appointment.pms_id == str(num)).values(updated_at=later)
        )
        await session.commit()
        since = (later - timedelta(minutes=1)).isoformat()
        assert await _appointments(client, practice, updatedSince=since) == [str(num)]

    async def test_patients_reads_are_logged(
        self, client: httpx.AsyncClient, practice: MirroredPractice, session: AsyncSession
    ) -> None:
        response = await client.get(
            "/api/appointments", params={"limit": 40}, headers=practice.headers
        )
        items = response.json()["items"]
        logged = await phi_reads(session, response)
        assert len(logged) == len(set(logged))
        assert set(map(str, logged)) == {a["patientId"] for a in items}

    @pytest.mark.parametrize(
        ("params", "words"),
        [
            ({"dateFrom": "2025-06-10", "dateTo": "2025-06-09"}, "after dateTo"),
            ({"dateFrom": "2025-02-30"}, "dateFrom"),
            ({"dateTo": "June 1st"}, "dateTo"),
            ({"providerId": "7"}, "providerId"),
            ({"status": "cancelled"}, "status"),
            ({"updatedSince": "not-a-time"}, "updatedSince"),
        ],
    )
    async def test_bad_input_is_a_problem(
        self,
        client: httpx.AsyncClient,
        practice: MirroredPractice,
        params: dict[str, str],
        words: str,
    ) -> None:
        response = await client.get("/api/appointments", params=params, headers=practice.headers)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert words in response.json()["detail"]
