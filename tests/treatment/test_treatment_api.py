"""`/api/treatment-plans` over a mirrored sandbox."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from tests.mirrored_practice import MirroredPractice, mirrored_rows, phi_reads

from crowndesk.patients.models import Patient
from crowndesk.treatment.models import TreatmentPlan

PLAN_STATUS = {0: "saved", 1: "active", 2: "inactive"}


def _money(value: str) -> str:
    return f"{Decimal(value):.2f}"


async def _plans(client: httpx.AsyncClient, practice: MirroredPractice, **params: Any) -> list[Any]:
    items: list[Any] = []
    while True:
        response = await client.get(
            "/api/treatment-plans",
            params={**params, "limit": 25, "offset": len(items)},
            headers=practice.headers,
        )
        assert response.status_code == 200, response.text
        page = response.json()["items"]
        items += page
        if not page:
            return items


async def _plan(
    client: httpx.AsyncClient, practice: MirroredPractice, session: AsyncSession, num: int
) -> Any:
    (plan,) = await mirrored_rows(
        session, practice.tenant_id, TreatmentPlan, TreatmentPlan.pms_id == str(num)
    )
    response = await client.get(f"/api/treatment-plans/{plan.id}", headers=practice.headers)
    assert response.status_code == 200, response.text
    return response.json()


class TestListTreatmentPlans:
    async def test_a_patients_plans_newest_first(
        self, client: httpx.AsyncClient, practice: MirroredPractice, session: AsyncSession
    ) -> None:
        pat_num = practice.od_one(
            "SELECT PatNum FROM treatplan GROUP BY PatNum ORDER BY COUNT(*) DESC, PatNum LIMIT 1"
        )
        (patient,) = await mirrored_rows(
            session, practice.tenant_id, Patient, Patient.pms_id == str(pat_num)
        )
        found = await _plans(client, practice, patientId=str(patient.id))
        rows = practice.od(
            "SELECT TreatPlanNum, DateTP, TPStatus, Heading FROM treatplan WHERE PatNum = ?",
            pat_num,
        )
        assert sorted(
            (p["pmsId"], p["planDate"], p["status"], p["heading"]) for p in found
        ) == sorted((str(n), d, PLAN_STATUS[s], h) for n, d, s, h in rows)
        dates = [p["planDate"] for p in found]
        assert dates == sorted(dates, reverse=True)
        assert {p["patientId"] for p in found} == {str(patient.id)}

    async def test_every_plan_but_the_deleted_one(
        self, client: httpx.AsyncClient, practice: MirroredPractice
    ) -> None:
        found = await _plans(client, practice)
        assert sorted(int(p["pmsId"]) for p in found) == [
            r[0] for r in practice.od("SELECT TreatPlanNum FROM treatplan ORDER BY 1")
        ]
        deleted = str(practice.hard_deleted["treatplan"])
        everything = await _plans(client, practice, includeDeleted="true")
        assert len(everything) == len(found) + 1
        (gone,) = [p for p in everything if p["pmsId"] == deleted]
        assert gone["pmsDeletedAt"] is not None

    async def test_status_and_clinic_filters(
        self, client: httpx.AsyncClient, practice: MirroredPractice
    ) -> None:
        active = await _plans(client, practice, status="active")
        assert len(active) == practice.od_one("SELECT COUNT(*) FROM treatplan WHERE TPStatus = 1")
        assert {p["status"] for p in active} == {"active"}
        assert await _plans(client, practice, clinicId=str(practice.empty_clinic_id)) == []

    async def test_patients_reads_are_logged(
        self, client: httpx.AsyncClient, practice: MirroredPractice, session: AsyncSession
    ) -> None:
        response = await client.get(
            "/api/treatment-plans", params={"limit": 30}, headers=practice.headers
        )
        logged = await phi_reads(session, response)
        assert len(logged) == len(set(logged))
        assert set(map(str, logged)) == {p["patientId"] for p in response.json()["items"]}

    async def test_bad_patient_id(
        self, client: httpx.AsyncClient, practice: MirroredPractice
    ) -> None:
        response = await client.get(
            "/api/treatment-plans", params={"patientId": "42"}, headers=practice.headers
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"


class TestReadTreatmentPlan:
    async def test_a_saved_plan_holds_frozen_copies(
        self, client: httpx.AsyncClient, practice: MirroredPractice, session: AsyncSession
    ) -> None:
        num = practice.od_one(
            "SELECT TreatPlanNum FROM proctp GROUP BY 1 ORDER BY COUNT(*) DESC, 1 LIMIT 1"
        )
        plan = await _plan(client, practice, session, num)
        assert plan["status"] == "saved"
        rows = practice.od(
            "SELECT ProcTPNum, ProcCode, Descript, ToothNumTP, FeeAmt, PriInsAmt, PatAmt"
            " FROM proctp WHERE TreatPlanNum = ? ORDER BY ItemOrder",
            num,
        )
        assert [
            (
                p["pmsId"],
                p["code"],
                p["description"],
                p["tooth"] or "",
                p["fee"],
                p["primaryInsuranceAmount"],
                p["patientAmount"],
            )
            for p in plan["plannedProcedures"]
        ] == [
            (f"proctp-{n}", code, desc, tooth, _money(fee), _money(pri), _money(pat))
            for n, code, desc, tooth, fee, pri, pat in rows
        ]
        assert {p["kind"] for p in plan["plannedProcedures"]} == {"saved"}
        assert {p["patientId"] for p in plan["plannedProcedures"]} == {plan["patientId"]}

    async def test_an_active_plan_shows_its_live_procedures(
        self, client: httpx.AsyncClient, practice: MirroredPractice, session: AsyncSession
    ) -> None:
        num = practice.od_one(
            "SELECT TreatPlanNum FROM treatplanattach GROUP BY 1 ORDER BY COUNT(*) DESC, 1 LIMIT 1"
        )
        plan = await _plan(client, practice, session, num)
        rows = practice.od(
            "SELECT a.TreatPlanAttachNum, c.ProcCode, l.ProcFee, l.ToothNum"
            " FROM treatplanattach a JOIN procedurelog l USING (ProcNum)"
            " JOIN procedurecode c USING (CodeNum) WHERE a.TreatPlanNum = ?",
            num,
        )
        assert sorted(
            (p["pmsId"], p["code"], p["fee"], p["tooth"] or "") for p in plan["plannedProcedures"]
        ) == sorted((f"attach-{n}", code, _money(fee), tooth) for n, code, fee, tooth in rows)
        assert {p["kind"] for p in plan["plannedProcedures"]} == {"attached"}
        assert all(p["procedureId"] and p["procedureStatus"] for p in plan["plannedProcedures"])

    async def test_unknown_and_deleted_plans(
        self, client: httpx.AsyncClient, practice: MirroredPractice, session: AsyncSession
    ) -> None:
        missing = await client.get(f"/api/treatment-plans/{uuid.uuid4()}", headers=practice.headers)
        assert missing.status_code == 404
        (gone,) = await mirrored_rows(
            session,
            practice.tenant_id,
            TreatmentPlan,
            TreatmentPlan.pms_id == str(practice.hard_deleted["treatplan"]),
        )
        hidden = await client.get(f"/api/treatment-plans/{gone.id}", headers=practice.headers)
        assert hidden.status_code == 404
        shown = await client.get(
            f"/api/treatment-plans/{gone.id}?includeDeleted=true", headers=practice.headers
        )
        assert shown.status_code == 200
        response = await client.get(
            f"/api/treatment-plans/{gone.id}?includeDeleted=true", headers=practice.headers
        )
        assert [str(i) for i in await phi_reads(session, response)] == [shown.json()["patientId"]]
