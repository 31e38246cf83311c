"""`/api/payments` and `/api/adjustments` over a mirrored sandbox."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from tests.mirrored_practice import MirroredPractice, mirrored_rows, phi_reads

from crowndesk.patients.models import Patient


async def _all(
    client: httpx.AsyncClient, practice: MirroredPractice, path: str, **params: Any
) -> list[Any]:
    items: list[Any] = []
    while True:
        response = await client.get(
            path, params={**params, "limit": 60, "offset": len(items)}, headers=practice.headers
        )
        assert response.status_code == 200, response.text
        page = response.json()["items"]
        items += page
        if not page:
            return items


async def _patient_id(session: AsyncSession, practice: MirroredPractice, pat_num: int) -> str:
    (row,) = await mirrored_rows(
        session, practice.tenant_id, Patient, Patient.pms_id == str(pat_num)
    )
    return str(row.id)


class TestPayments:
    async def test_every_payment_with_its_splits(
        self, client: httpx.AsyncClient, practice: MirroredPractice
    ) -> None:
        found = await _all(client, practice, "/api/payments")
        rows = practice.od("SELECT PayNum, PayDate, PayAmt FROM payment")
        assert {p["pmsId"]: (p["payDate"], p["amount"]) for p in found} == {
            str(n): (d, f"{Decimal(a):.2f}") for n, d, a in rows
        }
        dates = [p["payDate"] for p in found]
        assert dates == sorted(dates)
        splits = dict(practice.od("SELECT PayNum, COUNT(*) FROM paysplit GROUP BY PayNum"))
        for payment in found:
            assert len(payment["splits"]) == splits.get(int(payment["pmsId"]), 0)
            total = sum(Decimal(s["amount"]) for s in payment["splits"])
            assert total == Decimal(payment["amount"])
            assert all(isinstance(s["amount"], str) for s in payment["splits"])

    async def test_a_patients_payments_in_an_inclusive_range(
        self, client: httpx.AsyncClient, practice: MirroredPractice, session: AsyncSession
    ) -> None:
        pat_num = practice.od_one(
            "SELECT PatNum FROM payment GROUP BY PatNum ORDER BY COUNT(*) DESC LIMIT 1"
        )
        dates = [
            r[0]
            for r in practice.od(
                "SELECT PayDate FROM payment WHERE PatNum = ? ORDER BY PayDate", pat_num
            )
        ]
        first, last = dates[1], dates[-2]
        found = await _all(
            client,
            practice,
            "/api/payments",
            patientId=await _patient_id(session, practice, pat_num),
            dateFrom=first,
            dateTo=last,
        )
        expected = practice.od(
            "SELECT PayNum FROM payment WHERE PatNum = ? AND PayDate BETWEEN ? AND ?",
            pat_num,
            first,
            last,
        )
        assert sorted(int(p["pmsId"]) for p in found) == sorted(r[0] for r in expected)
        assert {p["payDate"] for p in found} >= {first, last}

    async def test_deleted_payment_only_with_include_deleted(
        self, client: httpx.AsyncClient, practice: MirroredPractice
    ) -> None:
        gone = str(practice.hard_deleted["payment"])
        assert gone not in {p["pmsId"] for p in await _all(client, practice, "/api/payments")}
        shown = await _all(client, practice, "/api/payments", includeDeleted="true")
        (payment,) = [p for p in shown if p["pmsId"] == gone]
        assert payment["pmsDeletedAt"] is not None

    async def test_reads_of_payers_and_split_patients_are_logged(
        self, client: httpx.AsyncClient, practice: MirroredPractice, session: AsyncSession
    ) -> None:
        response = await client.get("/api/payments", params={"limit": 30}, headers=practice.headers)
        items = response.json()["items"]
        logged = await phi_reads(session, response)
        assert len(logged) == len(set(logged))
        assert set(map(str, logged)) == {p["patientId"] for p in items} | {
            s["patientId"] for p in items for s in p["splits"]
        }


class TestAdjustments:
    async def test_every_adjustment_signed_amounts(
        self, client: httpx.AsyncClient, practice: MirroredPractice
    ) -> None:
        found = await _all(client, practice, "/api/adjustments")
        rows = practice.od("SELECT AdjNum, AdjDate, AdjAmt FROM adjustment")
        assert {a["pmsId"]: (a["adjustmentDate"], a["amount"]) for a in found} == {
            str(n): (d, f"{Decimal(a):.2f}") for n, d, a in rows
        }
        assert any(a["amount"].startswith("-") for a in found)
        gone = str(practice.hard_deleted["adjustment"])
        shown = await _all(client, practice, "/api/adjustments", includeDeleted="true")
        assert {a["pmsId"] for a in shown} - {a["pmsId"] for a in found} == {gone}

    async def test_inclusive_dates_and_patient(
        self, client: httpx.AsyncClient, practice: MirroredPractice, session: AsyncSession
    ) -> None:
        num, pat_num, day = practice.od_one(
            "SELECT AdjNum, PatNum, AdjDate FROM adjustment ORDER BY AdjNum LIMIT 1"
        )
        on_the_day = await _all(client, practice, "/api/adjustments", dateFrom=day, dateTo=day)
        assert str(num) in {a["pmsId"] for a in on_the_day}
        assert {a["adjustmentDate"] for a in on_the_day} == {day}
        mine = await _all(
            client,
            practice,
            "/api/adjustments",
            patientId=await _patient_id(session, practice, pat_num),
        )
        assert sorted(int(a["pmsId"]) for a in mine) == [
            r[0]
            for r in practice.od(
                "SELECT AdjNum FROM adjustment WHERE PatNum = ? ORDER BY 1", pat_num
            )
        ]
        response = await client.get(
            "/api/adjustments", params={"dateFrom": day, "dateTo": day}, headers=practice.headers
        )
        assert set(map(str, await phi_reads(session, response))) == {
            a["patientId"] for a in on_the_day
        }


@pytest.mark.parametrize("path", ["/api/payments", "/api/adjustments"])
@pytest.mark.parametrize(
    "params",
    [
        {"dateFrom": "2025-01-02", "dateTo": "2025-01-01"},
        {"dateFrom": "2025-13-01"},
        {"patientId": "someone"},
        {"limit": "501"},
        {"offset": "-1"},
    ],
)
async def test_bad_input_is_a_problem(
    client: httpx.AsyncClient, practice: MirroredPractice, path: str, params: dict[str, str]
) -> None:
    response = await client.get(path, params=params, headers=practice.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"]


async def test_other_clinic_has_no_ledger(
    client: httpx.AsyncClient, practice: MirroredPractice
) -> None:
    for path in ("/api/payments", "/api/adjustments"):
        assert await _all(client, practice, path, clinicId=str(practice.empty_clinic_id)) == []
