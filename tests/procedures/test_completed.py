"""`/api/completed-procedures` over a practice mirrored from the sandbox."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from tests.procedures.conftest import Mirrored

from crowndesk.audit.models import ActivityLog
from crowndesk.db.tenancy import set_tenant
from crowndesk.patients.models import Patient
from crowndesk.procedures.models import Procedure, ProcedureStatus

BASE = "/api/completed-procedures"


async def _completed(session: AsyncSession, m: Mirrored, *where: Any) -> list[Procedure]:
    set_tenant(session, m.tenant_id)
    stmt = select(Procedure).where(Procedure.status == ProcedureStatus.completed, *where)
    return list(await session.scalars(stmt))


async def _all_pages(client: httpx.AsyncClient, headers: dict[str, str], query: str) -> list[Any]:
    items: list[Any] = []
    cursor = None
    while True:
        url = f"{BASE}?{query}&limit=37" + (f"&cursor={cursor}" if cursor else "")
        page = (await client.get(url, headers=headers)).json()
        items += page["items"]
        cursor = page["nextCursor"]
        if cursor is None:
            return items


class TestList:
    async def test_lists_every_completed_procedure_newest_first_with_its_fields(
        self, client: httpx.AsyncClient, session: AsyncSession, mirrored: Mirrored
    ) -> None:
        rows = await _completed(session, mirrored)
        assert len(rows) > 100
        page = (await client.get(f"{BASE}?limit=500", headers=mirrored.owner)).json()
        assert page["total"] == len(rows)
        expected = sorted(rows, key=lambda p: (p.proc_date, str(p.id)), reverse=True)
        assert [i["id"] for i in page["items"]] == [str(p.id) for p in expected[:500]]
        first, procedure = page["items"][0], expected[0]
        patient = await session.get(Patient, procedure.patient_id)
        assert patient is not None
        assert first["patientName"] == f"{patient.last_name}, {patient.first_name}"
        assert first["fee"] == f"{procedure.fee:.2f}"
        assert first["cdtCode"] == procedure.code
        assert first["pmsProcedureId"] == procedure.pms_id == first["pmsId"]
        assert first["pmsSource"] == "opendental"
        assert first["billingStatus"] == "unbilled"
        assert first["status"] == "completed"
        assert first["tenantId"] == str(mirrored.tenant_id)
        assert set(first) >= {
            "appointmentId",
            "toothNumber",
            "surface",
            "providerId",
            "providerName",
            "note",
            "diagCode",
            "claimId",
            "invoiceId",
            "lastSyncedAt",
            "createdAt",
            "updatedAt",
        }

    async def test_cursor_pages_walk_the_same_order_as_offsets_and_end_with_null(
        self, client: httpx.AsyncClient, mirrored: Mirrored
    ) -> None:
        for sort in ("-procDate", "procDate", "fee", "-fee", "patientName", "-patientName"):
            walked = await _all_pages(client, mirrored.owner, f"sort={sort}")
            by_offset: list[Any] = []
            while True:
                url = f"{BASE}?sort={sort}&limit=500&offset={len(by_offset)}"
                page = (await client.get(url, headers=mirrored.owner)).json()
                by_offset += page["items"]
                if len(by_offset) >= page["total"]:
                    break
            assert [i["id"] for i in walked] == [i["id"] for i in by_offset], sort
            assert len({i["id"] for i in walked}) == page["total"]

    async def test_sorts_by_fee_and_patient_name(
        self, client: httpx.AsyncClient, mirrored: Mirrored
    ) -> None:
        fees = (await client.get(f"{BASE}?sort=-fee&limit=500", headers=mirrored.owner)).json()
        amounts = [Decimal(i["fee"]) for i in fees["items"]]
        assert amounts == sorted(amounts, reverse=True)
        assert amounts[0] > amounts[-1]
        names = await client.get(f"{BASE}?sort=patientName&limit=500", headers=mirrored.owner)
        folded = [i["patientName"].lower().replace(",", "") for i in names.json()["items"]]
        assert folded == sorted(folded)

    async def test_filters_by_billing_status_date_range_patient_provider_and_code(
        self, client: httpx.AsyncClient, session: AsyncSession, mirrored: Mirrored
    ) -> None:
        rows = await _completed(session, mirrored)
        day = Counter(p.proc_date for p in rows).most_common(1)[0][0]
        assert day is not None
        start, end = day - timedelta(days=3), day
        query = f"dateFrom={start}&dateTo={end}&limit=500"
        found = (await client.get(f"{BASE}?{query}", headers=mirrored.owner)).json()
        expected = {str(p.id) for p in rows if p.proc_date and start <= p.proc_date <= end}
        assert {i["id"] for i in found["items"]} == expected
        assert any(i["procDate"] == str(end) for i in found["items"])  # both ends included

        sample = rows[0]
        for name, value, attr in (
            ("patientId", sample.patient_id, "patient_id"),
            ("providerId", sample.provider_id, "provider_id"),
            ("cdtCode", sample.code, "code"),
        ):
            got = await client.get(f"{BASE}?{name}={value}&limit=500", headers=mirrored.owner)
            want = {str(p.id) for p in rows if getattr(p, attr) == getattr(sample, attr)}
            assert {i["id"] for i in got.json()["items"]} == want, name

        await _move(client, mirrored, "mark-claim-pending", [rows[0].id, rows[1].id])
        pending = await client.get(
            f"{BASE}?billingStatus=pending_claim&billingStatus=paid", headers=mirrored.owner
        )
        assert {i["id"] for i in pending.json()["items"]} == {str(rows[0].id), str(rows[1].id)}
        unbilled = await client.get(f"{BASE}?billingStatus=unbilled", headers=mirrored.owner)
        assert unbilled.json()["total"] == len(rows) - 2

    async def test_search_is_case_and_accent_insensitive_over_name_code_description_tooth(
        self, client: httpx.AsyncClient, session: AsyncSession, mirrored: Mirrored
    ) -> None:
        rows = await _completed(session, mirrored)
        target = rows[0]
        await session.execute(
            update(Patient)
            .where(Patient.id == target.patient_id)
            .values(first_name="Zoë", last_name="Núñez-Łoś", name_key="nunez-łos zoe")
        )
        await session.flush()
        found = await client.get(f"{BASE}?search=ZOE%20nunez&limit=500", headers=mirrored.owner)
        want = {str(p.id) for p in rows if p.patient_id == target.patient_id}
        assert {i["id"] for i in found.json()["items"]} == want
        assert found.json()["items"][0]["patientName"] == "Núñez-Łoś, Zoë"

        described = next(p for p in rows if p.description and p.tooth_number)
        word = described.description.split()[0]
        query = f"search={word.upper()}%20{described.tooth_number}&limit=500"
        hits = (await client.get(f"{BASE}?{query}", headers=mirrored.owner)).json()["items"]
        assert str(described.id) in {i["id"] for i in hits}
        assert all(
            word.lower() in (i["description"] or "").lower() + i["patientName"].lower()
            for i in hits
        )
        by_code = await client.get(
            f"{BASE}?search={described.code.lower()}&limit=500", headers=mirrored.owner
        )
        assert by_code.json()["total"] >= 1
        assert all(
            i["cdtCode"] == described.code
            or described.code.lower() in (i["description"] or "").lower()
            for i in by_code.json()["items"]
        )

    async def test_patient_and_unbilled_lists(
        self, client: httpx.AsyncClient, session: AsyncSession, mirrored: Mirrored
    ) -> None:
        rows = await _completed(session, mirrored)
        patient_id = rows[0].patient_id
        mine = await client.get(f"{BASE}/patient/{patient_id}", headers=mirrored.owner)
        assert {i["id"] for i in mine.json()["items"]} == {
            str(p.id) for p in rows if p.patient_id == patient_id
        }
        await _move(client, mirrored, "mark-claim-pending", [rows[0].id])
        unbilled = await client.get(
            f"{BASE}/unbilled?patientId={patient_id}", headers=mirrored.owner
        )
        assert str(rows[0].id) not in {i["id"] for i in unbilled.json()["items"]}
        assert all(i["billingStatus"] == "unbilled" for i in unbilled.json()["items"])
        assert unbilled.json()["total"] == mine.json()["total"] - 1
        unknown = await client.get(f"{BASE}/patient/{uuid.uuid4()}", headers=mirrored.owner)
        assert unknown.status_code == 404

    @pytest.mark.parametrize(
        "query",
        [
            "cursor=not-a-cursor",
            "dateFrom=2026-02-01&dateTo=2026-01-01",
            "sort=tooth",
            "billingStatus=lost",
            "dateFrom=yesterday",
            "limit=0",
        ],
    )
    async def test_bad_input_is_a_clear_4xx(
        self, client: httpx.AsyncClient, mirrored: Mirrored, query: str
    ) -> None:
        response = await client.get(f"{BASE}?{query}", headers=mirrored.owner)
        assert response.status_code in (400, 422)
        assert response.headers["content-type"] == "application/problem+json"

    async def test_a_cursor_and_an_offset_together_are_refused(
        self, client: httpx.AsyncClient, mirrored: Mirrored
    ) -> None:
        first = (await client.get(f"{BASE}?limit=5", headers=mirrored.owner)).json()
        both = await client.get(
            f"{BASE}?limit=5&offset=5&cursor={first['nextCursor']}", headers=mirrored.owner
        )
        assert both.status_code == 400
        other_sort = await client.get(
            f"{BASE}?limit=5&sort=fee&cursor={first['nextCursor']}", headers=mirrored.owner
        )
        assert other_sort.status_code == 400

    async def test_reading_writes_read_phi_for_each_patient_shown(
        self, client: httpx.AsyncClient, session: AsyncSession, mirrored: Mirrored
    ) -> None:
        page = (await client.get(f"{BASE}?limit=20", headers=mirrored.front_desk)).json()
        shown = {uuid.UUID(i["patientId"]) for i in page["items"]}
        set_tenant(session, mirrored.tenant_id)
        logged = await session.scalars(
            select(ActivityLog.entity_id).where(ActivityLog.action == "read_phi")
        )
        assert set(logged) == shown
        one = await client.get(f"{BASE}/{page['items'][0]['id']}", headers=mirrored.front_desk)
        assert one.status_code == 200
        assert one.json() == page["items"][0]


class TestStats:
    async def test_counts_and_fees_per_billing_status(
        self, client: httpx.AsyncClient, session: AsyncSession, mirrored: Mirrored
    ) -> None:
        rows = await _completed(session, mirrored)
        await _move(client, mirrored, "mark-claim-pending", [rows[0].id, rows[1].id])
        await _move(client, mirrored, "mark-claimed", [rows[1].id])
        stats = (await client.get(f"{BASE}/stats", headers=mirrored.owner)).json()
        assert stats["total"] == len(rows)
        assert stats["pendingClaim"] == 1
        assert stats["claimed"] == 1
        assert stats["unbilled"] == len(rows) - 2
        assert stats["paid"] == stats["denied"] == stats["writeOff"] == 0
        assert stats["totalFees"] == f"{sum(p.fee for p in rows):.2f}"
        assert stats["unbilledFees"] == f"{sum(p.fee for p in rows[2:]):.2f}"
        assert stats["inClaimsFees"] == f"{rows[0].fee + rows[1].fee:.2f}"

    async def test_this_month_is_the_clinics_month_and_ranges_narrow(
        self, client: httpx.AsyncClient, session: AsyncSession, mirrored: Mirrored
    ) -> None:
        rows = await _completed(session, mirrored)
        today = datetime.now(ZoneInfo("America/Chicago")).date()
        first = today.replace(day=1)
        await session.execute(
            update(Procedure).where(Procedure.id == rows[0].id).values(proc_date=first)
        )
        await session.execute(
            update(Procedure)
            .where(Procedure.id == rows[1].id)
            .values(proc_date=first - timedelta(days=1))
        )
        await session.flush()
        rows = await _completed(session, mirrored)
        in_month = sum(
            1
            for p in rows
            if p.proc_date
            and p.proc_date >= first
            and (p.proc_date.year, p.proc_date.month) == (first.year, first.month)
        )
        stats = (await client.get(f"{BASE}/stats", headers=mirrored.owner)).json()
        assert stats["thisMonth"] == in_month >= 1
        ranged = await client.get(
            f"{BASE}/stats?dateFrom={first - timedelta(days=1)}&dateTo={first}",
            headers=mirrored.owner,
        )
        window = [p for p in rows if p.proc_date in (first, first - timedelta(days=1))]
        assert ranged.json()["total"] == len(window) >= 2
        assert (
            await client.get(f"{BASE}/stats?clinicId={uuid.uuid4()}", headers=mirrored.owner)
        ).json()["total"] == 0


async def _move(
    client: httpx.AsyncClient,
    m: Mirrored,
    action: str,
    ids: list[uuid.UUID],
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> httpx.Response:
    body: dict[str, Any] = {"procedureIds": [str(i) for i in ids], **extra}
    if action == "mark-claim-pending":
        body.setdefault("claimId", str(uuid.uuid4()))
    if action in ("mark-denied", "write-off"):
        body.setdefault("reason", "not covered")
    response = await client.post(f"{BASE}/{action}", json=body, headers=headers or m.billing)
    if headers is None:
        assert response.status_code == 200, response.text
    return response


class TestBillingMoves:
    async def test_the_billing_flow_with_history_and_activity(
        self, client: httpx.AsyncClient, session: AsyncSession, mirrored: Mirrored
    ) -> None:
        rows = await _completed(session, mirrored)
        ids = [rows[0].id, rows[1].id]
        claim = uuid.uuid4()
        pending = await _move(client, mirrored, "mark-claim-pending", ids, claimId=str(claim))
        assert pending.json()["updated"] == 2
        assert {i["claimId"] for i in pending.json()["items"]} == {str(claim)}
        await _move(client, mirrored, "mark-claimed", ids)
        await _move(client, mirrored, "mark-paid", [ids[0]])
        denied = await _move(client, mirrored, "mark-denied", [ids[1]], reason="frequency")
        assert denied.json()["items"][0]["billingStatus"] == "denied"
        resubmitted = await _move(client, mirrored, "mark-claim-pending", [ids[1]])
        assert resubmitted.json()["items"][0]["billingStatus"] == "pending_claim"

        history = await client.get(f"{BASE}/{ids[1]}/history", headers=mirrored.front_desk)
        moves = [(e["fromStatus"], e["toStatus"]) for e in history.json()]
        assert moves == [
            ("unbilled", "pending_claim"),
            ("pending_claim", "claimed"),
            ("claimed", "denied"),
            ("denied", "pending_claim"),
        ]
        assert history.json()[2]["reason"] == "frequency"
        assert all(e["actorId"] for e in history.json())
        logged = await session.scalars(
            select(ActivityLog.action).where(
                ActivityLog.entity_id == ids[1], ActivityLog.action.like("procedure.billing.%")
            )
        )
        assert sorted(logged) == sorted(f"procedure.billing.{to}" for _, to in moves)

    async def test_a_dropped_draft_returns_its_procedures_to_unbilled(
        self, client: httpx.AsyncClient, session: AsyncSession, mirrored: Mirrored
    ) -> None:
        rows = await _completed(session, mirrored)
        await _move(client, mirrored, "mark-claim-pending", [rows[0].id])
        back = await _move(client, mirrored, "mark-unbilled", [rows[0].id])
        assert back.json()["items"][0]["billingStatus"] == "unbilled"
        assert back.json()["items"][0]["claimId"] is None
        again = await _move(client, mirrored, "mark-unbilled", [rows[0].id], mirrored.billing)
        assert again.status_code == 409

    async def test_write_off_from_unbilled_and_not_from_paid(
        self, client: httpx.AsyncClient, session: AsyncSession, mirrored: Mirrored
    ) -> None:
        rows = await _completed(session, mirrored)
        written = await _move(client, mirrored, "write-off", [rows[0].id], reason="courtesy")
        assert written.json()["items"][0]["billingStatus"] == "write_off"
        await _move(client, mirrored, "mark-claim-pending", [rows[1].id])
        await _move(client, mirrored, "mark-claimed", [rows[1].id])
        await _move(client, mirrored, "mark-paid", [rows[1].id])
        refused = await _move(client, mirrored, "write-off", [rows[1].id], mirrored.billing)
        assert refused.status_code == 409

    async def test_an_illegal_move_in_a_batch_changes_nothing_and_names_the_ids(
        self, client: httpx.AsyncClient, session: AsyncSession, mirrored: Mirrored
    ) -> None:
        rows = await _completed(session, mirrored)
        await _move(client, mirrored, "mark-claim-pending", [rows[0].id])
        batch = [rows[0].id, rows[1].id, rows[2].id]
        response = await _move(client, mirrored, "mark-claim-pending", batch, mirrored.billing)
        assert response.status_code == 409
        problem = response.json()
        assert problem["procedureIds"] == [str(rows[0].id)]
        assert problem["refused"][0]["billingStatus"] == "pending_claim"
        assert "nothing was changed" in problem["detail"]
        statuses = await client.get(f"{BASE}?billingStatus=pending_claim", headers=mirrored.owner)
        assert [i["id"] for i in statuses.json()["items"]] == [str(rows[0].id)]
        claimed = await _move(client, mirrored, "mark-paid", [rows[1].id], mirrored.billing)
        assert claimed.status_code == 409  # unbilled cannot be paid

    async def test_unknown_or_other_tenants_ids_are_404_and_change_nothing(
        self, client: httpx.AsyncClient, session: AsyncSession, mirrored: Mirrored
    ) -> None:
        rows = await _completed(session, mirrored)
        stranger = uuid.uuid4()
        response = await _move(
            client, mirrored, "mark-claim-pending", [rows[0].id, stranger], mirrored.billing
        )
        assert response.status_code == 404
        assert response.json()["procedureIds"] == [str(stranger)]
        other = await _move(
            client, mirrored, "mark-claim-pending", [rows[0].id], mirrored.other_tenant
        )
        assert other.status_code == 404
        assert other.json()["procedureIds"] == [str(rows[0].id)]
        stats = (await client.get(f"{BASE}/stats", headers=mirrored.owner)).json()
        assert stats["unbilled"] == stats["total"]
        foreign = await client.get(f"{BASE}/{rows[0].id}", headers=mirrored.other_tenant)
        assert foreign.status_code == 404

    async def test_only_billing_admin_and_owner_may_move(
        self, client: httpx.AsyncClient, session: AsyncSession, mirrored: Mirrored
    ) -> None:
        rows = await _completed(session, mirrored)
        refused = await _move(
            client, mirrored, "mark-claim-pending", [rows[0].id], mirrored.front_desk
        )
        assert refused.status_code == 403
        allowed = await _move(client, mirrored, "mark-claim-pending", [rows[0].id], mirrored.owner)
        assert allowed.status_code == 200

    @pytest.mark.parametrize(
        ("action", "body"),
        [
            ("mark-claim-pending", {"procedureIds": []}),
            ("mark-claim-pending", {"procedureIds": ["x"], "claimId": "y"}),
            ("mark-denied", {"procedureIds": [str(uuid.UUID(int=1))]}),
            ("write-off", {"procedureIds": [str(uuid.UUID(int=1))], "reason": "   "}),
            ("mark-claimed", {"procedureIds": [str(uuid.UUID(int=1))], "extra": 1}),
        ],
    )
    async def test_bad_bodies_are_422(
        self, client: httpx.AsyncClient, mirrored: Mirrored, action: str, body: dict[str, Any]
    ) -> None:
        response = await client.post(f"{BASE}/{action}", json=body, headers=mirrored.billing)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"

    async def test_a_procedure_that_is_not_completed_may_not_move(
        self, client: httpx.AsyncClient, session: AsyncSession, mirrored: Mirrored
    ) -> None:
        set_tenant(session, mirrored.tenant_id)
        planned = await session.scalar(
            select(Procedure).where(Procedure.status == ProcedureStatus.treatment_planned)
        )
        assert planned is not None
        assert planned.billing_status is None
        response = await _move(
            client, mirrored, "mark-claim-pending", [planned.id], mirrored.billing
        )
        assert response.status_code == 409
        assert "treatment_planned" in response.json()["refused"][0]["reason"]
