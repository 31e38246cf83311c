"""`/api/patients`, `/api/patients/{id}`, `/api/families/{id}` over a mirrored sandbox."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from tests.factories import register_org
from tests.mirrored_practice import ACCENTED, MirroredPractice, mirrored_rows, phi_reads

from crowndesk.core.text import digits
from crowndesk.db.types import utcnow
from crowndesk.patients.models import Family, Patient

SYNC_FIELDS = {"pmsSource", "pmsId", "pmsUpdatedAt", "lastSyncedAt", "pmsDeletedAt"}
PATIENT_FIELDS = {
    "id",
    "clinicId",
    "firstName",
    "lastName",
    "middleInitial",
    "preferredName",
    "birthDate",
    "gender",
    "status",
    "email",
    "wirelessPhone",
    "homePhone",
    "workPhone",
    "address",
    "city",
    "state",
    "zip",
    "guarantorId",
    "familyId",
}


NAME_KEYS = ("lastName", "firstName", "preferredName", "middleInitial")


def _plain(text: str) -> str:
    """Lower case without accents, computed independently of the code under test."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


async def _all(client: httpx.AsyncClient, practice: MirroredPractice, **params: Any) -> list[Any]:
    items: list[Any] = []
    while True:
        response = await client.get(
            "/api/patients",
            params={**params, "limit": 17, "offset": len(items)},
            headers=practice.headers,
        )
        assert response.status_code == 200, response.text
        page = response.json()["items"]
        items += page
        if not page:
            return items


async def _by_pat_num(session: AsyncSession, practice: MirroredPractice, pat_num: int) -> Patient:
    (row,) = await mirrored_rows(
        session, practice.tenant_id, Patient, Patient.pms_id == str(pat_num)
    )
    return row


class TestListPatients:
    async def test_lists_every_patient_not_deleted_in_open_dental(
        self, client: httpx.AsyncClient, practice: MirroredPractice
    ) -> None:
        response = await client.get("/api/patients", headers=practice.headers)
        assert response.status_code == 200
        body = response.json()
        expected = practice.od_one("SELECT COUNT(*) FROM patient WHERE PatStatus <> 4")
        assert body["total"] == expected
        assert (body["limit"], body["offset"]) == (50, 0)
        assert set(body["items"][0]) >= PATIENT_FIELDS | SYNC_FIELDS

    async def test_wire_shape_is_open_dentals_row(
        self, client: httpx.AsyncClient, practice: MirroredPractice
    ) -> None:
        pat_num = practice.od_one("SELECT MIN(PatNum) FROM patient WHERE PatStatus <> 4")
        lname, fname, birth, email, wireless, zip_code = practice.od_one(
            "SELECT LName, FName, Birthdate, Email, WirelessPhone, Zip FROM patient"
            " WHERE PatNum = ?",
            pat_num,
        )
        found = [p for p in await _all(client, practice) if p["pmsId"] == str(pat_num)]
        assert len(found) == 1
        (patient,) = found
        assert patient["pmsSource"] == "opendental"
        assert (patient["lastName"], patient["firstName"]) == (lname, fname)
        assert patient["birthDate"] == birth
        assert (patient["email"] or "") == email
        assert (patient["wirelessPhone"] or "") == wireless
        assert (patient["zip"] or "") == zip_code
        assert patient["clinicId"] == str(practice.clinic_id)
        assert patient["pmsDeletedAt"] is None
        assert patient["lastSyncedAt"] is not None

    async def test_pages_are_ordered_and_complete(
        self, client: httpx.AsyncClient, practice: MirroredPractice
    ) -> None:
        items = await _all(client, practice)
        assert len({p["id"] for p in items}) == len(items)
        assert len(items) == practice.od_one("SELECT COUNT(*) FROM patient WHERE PatStatus <> 4")
        again = await _all(client, practice)
        assert [p["id"] for p in again] == [p["id"] for p in items]
        last_names = [p["lastName"] for p in items]
        assert [n.casefold() for n in last_names if n.isascii()] == sorted(
            n.casefold() for n in last_names if n.isascii()
        )

    async def test_include_deleted_shows_patients_deleted_in_open_dental(
        self, client: httpx.AsyncClient, practice: MirroredPractice
    ) -> None:
        hidden = await _all(client, practice)
        shown = await _all(client, practice, includeDeleted="true")
        deleted = [p for p in shown if p["pmsId"] == str(practice.deleted_pat_num)]
        assert len(shown) == len(hidden) + 1
        assert deleted[0]["pmsDeletedAt"] is not None
        assert deleted[0]["status"] == "deleted"
        assert str(practice.deleted_pat_num) not in {p["pmsId"] for p in hidden}

    async def test_clinic_filter(
        self, client: httpx.AsyncClient, practice: MirroredPractice
    ) -> None:
        mine = await client.get(
            "/api/patients", params={"clinicId": str(practice.clinic_id)}, headers=practice.headers
        )
        other = await client.get(
            "/api/patients",
            params={"clinicId": str(practice.empty_clinic_id)},
            headers=practice.headers,
        )
        everything = await client.get("/api/patients", headers=practice.headers)
        assert mine.json()["total"] == everything.json()["total"] > 0
        assert other.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}

    async def test_updated_since(
        self, client: httpx.AsyncClient, practice: MirroredPractice, session: AsyncSession
    ) -> None:
        patient = await _by_pat_num(session, practice, practice.accented_pat_num)
        later = utcnow() + timedelta(days=1)
        await session.execute(
            update(Patient).where(Patient.id == patient.id).values(updated_at=later)
        )
        await session.commit()
        since = (later - timedelta(hours=1)).isoformat()
        response = await client.get(
            "/api/patients", params={"updatedSince": since}, headers=practice.headers
        )
        assert [p["id"] for p in response.json()["items"]] == [str(patient.id)]
        naive = await client.get(
            "/api/patients",
            params={"updatedSince": "2025-01-01T00:00:00"},
            headers=practice.headers,
        )
        assert naive.status_code == 422

    async def test_reads_are_logged_once_per_patient_on_the_page(
        self, client: httpx.AsyncClient, practice: MirroredPractice, session: AsyncSession
    ) -> None:
        response = await client.get(
            "/api/patients", params={"limit": 7, "offset": 3}, headers=practice.headers
        )
        logged = await phi_reads(session, response)
        assert sorted(map(str, logged)) == sorted(p["id"] for p in response.json()["items"])
        assert len(logged) == 7


class TestSearch:
    async def test_name_ignores_accents_and_case(
        self, client: httpx.AsyncClient, practice: MirroredPractice
    ) -> None:
        first, last, _ = ACCENTED
        for term in ("zoe nunez", "NÚÑEZ", "ölander zoë", "Nunez-Olander", "zo"):
            found = await _all(client, practice, name=term)
            assert str(practice.accented_pat_num) in {p["pmsId"] for p in found}, term
            for p in found:
                names = _plain(" ".join(filter(None, (p[k] for k in NAME_KEYS))))
                assert all(word in names for word in _plain(term).split()), (term, names)
        (patient,) = await _all(client, practice, name="zoe nunez")
        assert (patient["firstName"], patient["lastName"]) == (first, last)

    async def test_every_word_must_match(
        self, client: httpx.AsyncClient, practice: MirroredPractice
    ) -> None:
        lname, fname = practice.od_one(
            "SELECT LName, FName FROM patient WHERE PatStatus <> 4 AND PatNum <> ?"
            " ORDER BY PatNum LIMIT 1",
            practice.accented_pat_num,
        )
        expected = practice.od(
            "SELECT PatNum FROM patient WHERE PatStatus <> 4 AND lower(LName || ' ' || FName"
            " || ' ' || Preferred || ' ' || MiddleI) LIKE ? AND lower(LName || ' ' || FName"
            " || ' ' || Preferred || ' ' || MiddleI) LIKE ?",
            f"%{lname.lower()}%",
            f"%{fname.lower()}%",
        )
        found = await _all(client, practice, name=f"{fname.upper()}   {lname.lower()}")
        assert sorted(p["pmsId"] for p in found) == sorted(str(r[0]) for r in expected)
        assert await _all(client, practice, name=f"{lname} zzzqqq") == []

    async def test_like_wildcards_are_literal(
        self, client: httpx.AsyncClient, practice: MirroredPractice
    ) -> None:
        assert await _all(client, practice, name="%") == []
        assert await _all(client, practice, name="_") == []

    async def test_birth_date(self, client: httpx.AsyncClient, practice: MirroredPractice) -> None:
        birth = practice.od_one(
            "SELECT Birthdate FROM patient WHERE PatStatus <> 4 ORDER BY PatNum LIMIT 1"
        )
        expected = practice.od(
            "SELECT PatNum FROM patient WHERE PatStatus <> 4 AND Birthdate = ?", birth
        )
        for params in ({"birthDate": birth}, {"search": birth}):
            found = await _all(client, practice, **params)
            assert sorted(p["pmsId"] for p in found) == sorted(str(r[0]) for r in expected)

    async def test_phone_digits_anywhere_in_any_number(
        self, client: httpx.AsyncClient, practice: MirroredPractice
    ) -> None:
        phone = practice.od_one(
            "SELECT WirelessPhone FROM patient WHERE PatStatus <> 4 AND WirelessPhone <> ''"
            " ORDER BY PatNum LIMIT 1"
        )
        wanted = digits(phone)[-7:]
        expected = [
            str(num)
            for num, *phones in practice.od(
                "SELECT PatNum, HmPhone, WkPhone, WirelessPhone FROM patient WHERE PatStatus <> 4"
            )
            if any(wanted in digits(p) for p in phones)
        ]
        dashed = f"{wanted[:3]}-{wanted[3:]}"
        for params in ({"phone": dashed}, {"search": dashed}):
            found = await _all(client, practice, **params)
            assert sorted(p["pmsId"] for p in found) == sorted(expected)

    async def test_criteria_combine(
        self, client: httpx.AsyncClient, practice: MirroredPractice
    ) -> None:
        lname, birth = practice.od_one(
            "SELECT LName, Birthdate FROM patient WHERE PatNum = ?", practice.accented_pat_num
        )
        found = await _all(client, practice, name="nunez", birthDate=birth, status="patient")
        assert [p["pmsId"] for p in found] == [str(practice.accented_pat_num)]
        assert await _all(client, practice, name="nunez", birthDate="1900-01-01") == []

    @pytest.mark.parametrize(
        "params",
        [
            {"birthDate": "1990-02-30"},
            {"birthDate": "yesterday"},
            {"phone": "call me"},
            {"status": "alive"},
            {"clinicId": "not-a-uuid"},
            {"limit": "0"},
            {"includeDeleted": "perhaps"},
        ],
    )
    async def test_bad_input_is_a_problem(
        self, client: httpx.AsyncClient, practice: MirroredPractice, params: dict[str, str]
    ) -> None:
        response = await client.get("/api/patients", params=params, headers=practice.headers)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"]


class TestReadPatient:
    async def test_family_guarantor_and_plans(
        self,
        client: httpx.AsyncClient,
        practice: MirroredPractice,
        session: AsyncSession,
    ) -> None:
        guarantor = await _by_pat_num(session, practice, practice.accented_pat_num)
        member_num = practice.od_one(
            "SELECT MIN(PatNum) FROM patient WHERE Guarantor = ? AND PatNum <> Guarantor",
            practice.accented_pat_num,
        )
        member = await _by_pat_num(session, practice, member_num)
        response = await client.get(f"/api/patients/{member.id}", headers=practice.headers)
        assert response.status_code == 200
        body = response.json()
        assert set(body) >= PATIENT_FIELDS | SYNC_FIELDS | {
            "guarantor",
            "familyMembers",
            "patientPlans",
        }
        assert body["pmsId"] == str(member_num)
        assert body["guarantorId"] == str(guarantor.id)
        assert body["guarantor"]["firstName"] == ACCENTED[0]
        (family,) = await mirrored_rows(
            session, practice.tenant_id, Family, Family.guarantor_id == guarantor.id
        )
        assert body["familyId"] == str(family.id)
        expected = practice.od(
            "SELECT PatNum FROM patient WHERE Guarantor = ? AND PatStatus <> 4",
            practice.accented_pat_num,
        )
        members = body["familyMembers"]
        assert members[0]["id"] == str(guarantor.id)
        assert sorted(m["pmsId"] for m in members) == sorted(str(r[0]) for r in expected)
        assert all(m["familyId"] == str(family.id) for m in members)
        plans = practice.od(
            "SELECT PatPlanNum FROM patplan WHERE PatNum = ? ORDER BY Ordinal", member_num
        )
        assert [p["pmsId"] for p in body["patientPlans"]] == [str(r[0]) for r in plans]

    async def test_a_guarantors_own_ids(
        self, client: httpx.AsyncClient, practice: MirroredPractice, session: AsyncSession
    ) -> None:
        guarantor = await _by_pat_num(session, practice, practice.accented_pat_num)
        body = (await client.get(f"/api/patients/{guarantor.id}", headers=practice.headers)).json()
        assert body["guarantorId"] == body["id"] == body["guarantor"]["id"]
        assert body["familyId"] is not None

    async def test_plans_in_ordinal_order(
        self, client: httpx.AsyncClient, practice: MirroredPractice, session: AsyncSession
    ) -> None:
        patient = await _by_pat_num(session, practice, practice.two_plans_pat_num)
        body = (await client.get(f"/api/patients/{patient.id}", headers=practice.headers)).json()
        plans = body["patientPlans"]
        assert [p["ordinal"] for p in plans] == [1, 2]
        assert plans[1]["relationship"] == "spouse"
        assert plans[1]["patientMemberId"] == "SECOND-1"
        sub_num, plan_num = practice.od_one(
            "SELECT s.InsSubNum, s.PlanNum FROM patplan pp JOIN inssub s USING (InsSubNum)"
            " WHERE pp.PatNum = ? AND pp.Ordinal = 2",
            practice.two_plans_pat_num,
        )
        assert plans[1]["subscriber"]["pmsId"] == str(sub_num)
        assert plans[1]["plan"]["pmsId"] == str(plan_num)
        assert plans[1]["plan"]["carrier"]["name"]

    async def test_read_is_logged_for_everyone_shown(
        self, client: httpx.AsyncClient, practice: MirroredPractice, session: AsyncSession
    ) -> None:
        guarantor = await _by_pat_num(session, practice, practice.accented_pat_num)
        response = await client.get(f"/api/patients/{guarantor.id}", headers=practice.headers)
        body = response.json()
        shown = {body["id"], *(m["id"] for m in body["familyMembers"])}
        shown |= {p["subscriber"]["subscriberId"] for p in body["patientPlans"]}
        logged = await phi_reads(session, response)
        assert len(logged) == len(set(logged))
        assert set(map(str, logged)) == shown

    async def test_deleted_patient_only_with_include_deleted(
        self, client: httpx.AsyncClient, practice: MirroredPractice, session: AsyncSession
    ) -> None:
        deleted = await _by_pat_num(session, practice, practice.deleted_pat_num)
        hidden = await client.get(f"/api/patients/{deleted.id}", headers=practice.headers)
        assert hidden.status_code == 404
        assert hidden.headers["content-type"] == "application/problem+json"
        shown = await client.get(
            f"/api/patients/{deleted.id}?includeDeleted=true", headers=practice.headers
        )
        assert shown.status_code == 200
        assert shown.json()["pmsDeletedAt"] is not None
        assert str(deleted.id) in {m["id"] for m in shown.json()["familyMembers"]}

    async def test_unknown_and_malformed_ids(
        self, client: httpx.AsyncClient, practice: MirroredPractice
    ) -> None:
        missing = await client.get(f"/api/patients/{uuid.uuid4()}", headers=practice.headers)
        assert missing.status_code == 404
        bad = await client.get("/api/patients/12345", headers=practice.headers)
        assert bad.status_code == 422
        assert bad.headers["content-type"] == "application/problem+json"

    async def test_another_tenant_gets_404(
        self, client: httpx.AsyncClient, practice: MirroredPractice, session: AsyncSession
    ) -> None:
        other = await register_org(client, "Elsewhere Dental")
        patient = await _by_pat_num(session, practice, practice.accented_pat_num)
        response = await client.get(f"/api/patients/{patient.id}", headers=other.headers)
        assert response.status_code == 404
        listed = await client.get("/api/patients", headers=other.headers)
        assert listed.json()["total"] == 0

    async def test_needs_a_signed_in_user(
        self, client: httpx.AsyncClient, practice: MirroredPractice
    ) -> None:
        assert (await client.get("/api/patients")).status_code == 401


class TestReadFamily:
    async def test_guarantor_first_then_members(
        self, client: httpx.AsyncClient, practice: MirroredPractice, session: AsyncSession
    ) -> None:
        guarantor = await _by_pat_num(session, practice, practice.accented_pat_num)
        (family,) = await mirrored_rows(
            session, practice.tenant_id, Family, Family.guarantor_id == guarantor.id
        )
        response = await client.get(f"/api/families/{family.id}", headers=practice.headers)
        assert response.status_code == 200
        body = response.json()
        assert body["pmsId"] == str(practice.accented_pat_num)
        assert body["guarantorId"] == body["guarantor"]["id"] == str(guarantor.id)
        assert body["members"][0]["id"] == str(guarantor.id)
        expected = practice.od(
            "SELECT PatNum FROM patient WHERE Guarantor = ? AND PatStatus <> 4",
            practice.accented_pat_num,
        )
        assert sorted(m["pmsId"] for m in body["members"]) == sorted(str(r[0]) for r in expected)
        assert sorted(map(str, await phi_reads(session, response))) == sorted(
            m["id"] for m in body["members"]
        )
        with_deleted = await client.get(
            f"/api/families/{family.id}?includeDeleted=true", headers=practice.headers
        )
        assert len(with_deleted.json()["members"]) == len(body["members"]) + 1

    async def test_unknown_family(
        self, client: httpx.AsyncClient, practice: MirroredPractice
    ) -> None:
        response = await client.get(f"/api/families/{uuid.uuid4()}", headers=practice.headers)
        assert response.status_code == 404
