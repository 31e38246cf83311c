"""`/api/procedure-codes` and `/api/fee-schedules` over a mirrored practice."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from tests.procedures.conftest import Mirrored

from crowndesk.db.tenancy import set_tenant
from crowndesk.procedures.models import Fee, FeeSchedule, FeeScheduleType, ProcedureCode


async def test_procedure_codes_carry_their_fields_and_default_fee(
    client: httpx.AsyncClient, session: AsyncSession, mirrored: Mirrored
) -> None:
    set_tenant(session, mirrored.tenant_id)
    codes = {c.code: c for c in await session.scalars(select(ProcedureCode))}
    listed = await client.get("/api/procedure-codes?limit=500", headers=mirrored.front_desk)
    items = listed.json()["items"]
    assert listed.json()["total"] == len(codes)
    assert [i["code"] for i in items] == sorted(codes)
    schedule = await session.scalar(
        select(FeeSchedule)
        .where(FeeSchedule.type == FeeScheduleType.normal, FeeSchedule.is_hidden.is_(False))
        .order_by(FeeSchedule.item_order, FeeSchedule.id)
    )
    assert schedule is not None
    fees = {
        f.procedure_code_id: f.amount
        for f in await session.scalars(
            select(Fee).where(Fee.fee_schedule_id == schedule.id, Fee.provider_id.is_(None))
        )
    }
    assert fees
    for item in items:
        code = codes[item["code"]]
        assert item["pmsId"] == code.pms_id
        assert item["description"] == code.description
        assert item["isActive"] is code.is_active
        assert item["typicalDurationMinutes"] == code.typical_duration_minutes
        want = fees.get(code.id)
        assert item["defaultFee"] == (None if want is None else f"{want:.2f}")


async def test_procedure_codes_search_by_code_or_words(
    client: httpx.AsyncClient, session: AsyncSession, mirrored: Mirrored
) -> None:
    set_tenant(session, mirrored.tenant_id)
    code = await session.scalar(
        select(ProcedureCode).where(ProcedureCode.description.is_not(None)).limit(1)
    )
    assert code is not None
    by_code = await client.get(
        f"/api/procedure-codes?search={code.code.lower()}", headers=mirrored.owner
    )
    assert code.code in [i["code"] for i in by_code.json()["items"]]
    words = " ".join(reversed((code.description or "").split()[:2])).upper()
    by_words = await client.get(f"/api/procedure-codes?search={words}", headers=mirrored.owner)
    assert code.code in [i["code"] for i in by_words.json()["items"]]
    for item in by_words.json()["items"]:
        text = f"{item['code']} {item['description']} {item['abbreviation']}".lower()
        assert all(
            w.lower() in text or w.lower() in (item["laymanTerm"] or "").lower()
            for w in words.split()
        )
    none = await client.get("/api/procedure-codes?search=zzzqqq", headers=mirrored.owner)
    assert none.json()["total"] == 0


async def test_fee_schedules_and_their_fees(
    client: httpx.AsyncClient, session: AsyncSession, mirrored: Mirrored
) -> None:
    set_tenant(session, mirrored.tenant_id)
    schedules = list(await session.scalars(select(FeeSchedule)))
    listed = (await client.get("/api/fee-schedules", headers=mirrored.owner)).json()
    assert {i["id"] for i in listed["items"]} == {str(s.id) for s in schedules}
    schedule = schedules[0]
    fees = list(await session.scalars(select(Fee).where(Fee.fee_schedule_id == schedule.id)))
    got = await client.get(
        f"/api/fee-schedules/{schedule.id}/fees?limit=500", headers=mirrored.owner
    )
    assert got.json()["total"] == len(fees)
    amounts = {f.id: f"{f.amount:.2f}" for f in fees}
    assert all(amounts[uuid.UUID(i["id"])] == i["amount"] for i in got.json()["items"])
    one = got.json()["items"][0]
    only = await client.get(
        f"/api/fee-schedules/{schedule.id}/fees?code={one['code'].lower()}", headers=mirrored.owner
    )
    assert {i["code"] for i in only.json()["items"]} == {one["code"]}
    missing = await client.get(f"/api/fee-schedules/{uuid.uuid4()}/fees", headers=mirrored.owner)
    assert missing.status_code == 404


async def test_deleted_rows_are_hidden_unless_asked_and_updated_since_narrows(
    client: httpx.AsyncClient, session: AsyncSession, mirrored: Mirrored
) -> None:
    set_tenant(session, mirrored.tenant_id)
    schedule = await session.scalar(select(FeeSchedule).limit(1))
    assert schedule is not None
    later = datetime.now(UTC) + timedelta(hours=1)
    await session.execute(
        update(FeeSchedule)
        .where(FeeSchedule.id == schedule.id)
        .values(pms_deleted_at=datetime.now(UTC), updated_at=later)
    )
    await session.flush()
    shown = await client.get("/api/fee-schedules", headers=mirrored.owner)
    assert str(schedule.id) not in {i["id"] for i in shown.json()["items"]}
    everything = await client.get("/api/fee-schedules?includeDeleted=true", headers=mirrored.owner)
    assert str(schedule.id) in {i["id"] for i in everything.json()["items"]}
    since = (later - timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    recent = await client.get(
        "/api/fee-schedules",
        params={"includeDeleted": "true", "updatedSince": since},
        headers=mirrored.owner,
    )
    assert [i["id"] for i in recent.json()["items"]] == [str(schedule.id)]
    naive = await client.get(
        "/api/fee-schedules",
        params={"updatedSince": "2026-01-01T00:00:00"},
        headers=mirrored.owner,
    )
    assert naive.status_code == 422
