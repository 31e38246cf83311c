"""`/api/insurance/plans` and `/api/patients/{id}/insurance` over a mirrored sandbox."""

from __future__ import annotations

import uuid
from decimal import Decimal

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from tests.mirrored_practice import MirroredPractice, mirrored_rows, phi_reads

from crowndesk.insurance.models import InsurancePlan
from crowndesk.patients.models import Patient

RELATIONSHIPS = {0: "self", 1: "spouse", 2: "child"}


async def _patient(session: AsyncSession, practice: MirroredPractice, pat_num: int) -> Patient:
    (row,) = await mirrored_rows(
        session, practice.tenant_id, Patient, Patient.pms_id == str(pat_num)
    )
    return row


class TestListPlans:
    async def test_plans_with_their_carriers(
        self, client: httpx.AsyncClient, practice: MirroredPractice, session: AsyncSession
    ) -> None:
        response = await client.get("/api/insurance/plans", headers=practice.headers)
        assert response.status_code == 200
        body = response.json()
        rows = practice.od(
            "SELECT p.PlanNum, p.GroupName, p.GroupNum, c.CarrierNum, c.CarrierName"
            " FROM insplan p JOIN carrier c USING (CarrierNum)"
        )
        assert body["total"] == len(rows)
        assert {
            p["pmsId"]: (
                p["groupName"],
                p["groupNumber"],
                p["carrier"]["pmsId"],
                p["carrier"]["name"],
            )
            for p in body["items"]
        } == {str(n): (g, num, str(cn), name) for n, g, num, cn, name in rows}
        names = [p["groupName"] for p in body["items"]]
        assert names == sorted(names)
        assert "benefits" not in body["items"][0]
        assert await phi_reads(session, response) == []  # no patient's record in a plan

    async def test_carrier_and_clinic_filters(
        self, client: httpx.AsyncClient, practice: MirroredPractice
    ) -> None:
        plans = (await client.get("/api/insurance/plans", headers=practice.headers)).json()
        carrier_id = plans["items"][0]["carrierId"]
        by_carrier = await client.get(
            "/api/insurance/plans", params={"carrierId": carrier_id}, headers=practice.headers
        )
        assert [p["carrierId"] for p in by_carrier.json()["items"]] == [carrier_id]
        other = await client.get(
            "/api/insurance/plans",
            params={"clinicId": str(practice.empty_clinic_id)},
            headers=practice.headers,
        )
        assert other.json()["total"] == 0


class TestReadPlan:
    async def test_a_plan_with_its_benefits(
        self, client: httpx.AsyncClient, practice: MirroredPractice, session: AsyncSession
    ) -> None:
        (plan,) = await mirrored_rows(
            session, practice.tenant_id, InsurancePlan, InsurancePlan.pms_id == "1"
        )
        response = await client.get(f"/api/insurance/plans/{plan.id}", headers=practice.headers)
        assert response.status_code == 200
        benefits = response.json()["benefits"]
        rows = practice.od(
            "SELECT BenefitNum, Percent FROM benefit WHERE PlanNum = 1 ORDER BY BenefitNum"
        )
        assert [(b["pmsId"], b["percent"]) for b in benefits] == [
            (str(n), None if pct == -1 else pct) for n, pct in rows
        ]
        assert any(b["coverageCategory"] for b in benefits)

    async def test_unknown_plan(
        self, client: httpx.AsyncClient, practice: MirroredPractice
    ) -> None:
        response = await client.get(
            f"/api/insurance/plans/{uuid.uuid4()}", headers=practice.headers
        )
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


class TestPatientInsurance:
    async def test_coverage_in_ordinal_order_with_benefits(
        self, client: httpx.AsyncClient, practice: MirroredPractice, session: AsyncSession
    ) -> None:
        patient = await _patient(session, practice, practice.two_plans_pat_num)
        response = await client.get(
            f"/api/patients/{patient.id}/insurance", headers=practice.headers
        )
        assert response.status_code == 200
        coverage = response.json()
        rows = practice.od(
            "SELECT pp.PatPlanNum, pp.Ordinal, pp.Relationship, s.InsSubNum, s.PlanNum,"
            " s.Subscriber, s.SubscriberID FROM patplan pp JOIN inssub s USING (InsSubNum)"
            " WHERE pp.PatNum = ? ORDER BY pp.Ordinal",
            practice.two_plans_pat_num,
        )
        assert len(coverage) == len(rows) == 2
        for got, (pat_plan, ordinal, rel, sub, plan, subscriber, member_id) in zip(
            coverage, rows, strict=True
        ):
            assert got["pmsId"] == str(pat_plan)
            assert got["ordinal"] == ordinal
            assert got["relationship"] == RELATIONSHIPS[rel]
            assert got["patientId"] == str(patient.id)
            assert got["subscriber"]["pmsId"] == str(sub)
            assert (got["subscriber"]["memberId"] or "") == member_id
            subscriber_row = await _patient(session, practice, subscriber)
            assert got["subscriber"]["subscriberId"] == str(subscriber_row.id)
            assert got["subscriber"]["subscriber"]["lastName"] == subscriber_row.last_name
            assert got["plan"]["pmsId"] == str(plan)
            assert got["plan"]["carrier"]["name"]
            plan_benefits = practice.od("SELECT BenefitNum FROM benefit WHERE PlanNum = ?", plan)
            own = practice.od("SELECT BenefitNum FROM benefit WHERE PatPlanNum = ?", pat_plan)
            assert sorted(int(b["pmsId"]) for b in got["benefits"]) == sorted(
                r[0] for r in plan_benefits + own
            )
        (override,) = [
            b for b in coverage[1]["benefits"] if b["pmsId"] == str(practice.override_benefit_num)
        ]
        assert override["patientPlanId"] == coverage[1]["id"]
        assert override["insurancePlanId"] is None
        assert override["amount"] == "50.50"
        assert override["benefitType"] == "deductible"
        assert override["coverageLevel"] == "individual"
        assert Decimal(override["amount"]) == Decimal("50.5")

    async def test_reads_of_patient_and_subscribers_are_logged(
        self, client: httpx.AsyncClient, practice: MirroredPractice, session: AsyncSession
    ) -> None:
        patient = await _patient(session, practice, practice.two_plans_pat_num)
        response = await client.get(
            f"/api/patients/{patient.id}/insurance", headers=practice.headers
        )
        logged = await phi_reads(session, response)
        assert len(logged) == len(set(logged))
        assert set(map(str, logged)) == {str(patient.id)} | {
            c["subscriber"]["subscriberId"] for c in response.json()
        }

    async def test_uninsured_patient_has_no_coverage(
        self, client: httpx.AsyncClient, practice: MirroredPractice, session: AsyncSession
    ) -> None:
        pat_num = practice.od_one(
            "SELECT MIN(PatNum) FROM patient WHERE PatStatus <> 4"
            " AND PatNum NOT IN (SELECT PatNum FROM patplan)"
        )
        patient = await _patient(session, practice, pat_num)
        response = await client.get(
            f"/api/patients/{patient.id}/insurance", headers=practice.headers
        )
        assert response.json() == []

    async def test_missing_or_deleted_patient_is_404(
        self, client: httpx.AsyncClient, practice: MirroredPractice, session: AsyncSession
    ) -> None:
        deleted = await _patient(session, practice, practice.deleted_pat_num)
        for patient_id in (uuid.uuid4(), deleted.id):
            response = await client.get(
                f"/api/patients/{patient_id}/insurance", headers=practice.headers
            )
            assert response.status_code == 404
        shown = await client.get(
            f"/api/patients/{deleted.id}/insurance?includeDeleted=true", headers=practice.headers
        )
        assert shown.status_code == 200
