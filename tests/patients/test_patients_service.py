"""The patient services the web UI calls."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from tests.mirrored_practice import MirroredPractice, mirrored_rows

from crowndesk.audit.models import ActivityLog
from crowndesk.core.mirror import MirrorFilters
from crowndesk.core.pagination import PageParams
from crowndesk.patients import service as patient_service
from crowndesk.patients.models import Patient


class TestGetPatientOverview:
    async def test_record_coverage_and_appointments_logged_once(
        self, session: AsyncSession, practice: MirroredPractice
    ) -> None:
        (patient,) = await mirrored_rows(
            session,
            practice.tenant_id,
            Patient,
            Patient.pms_id == str(practice.two_plans_pat_num),
        )
        overview = await patient_service.get_patient_overview(session, patient.id)
        assert [p.ordinal for p in overview.patient.patient_plans] == [1, 2]
        expected = practice.od(
            "SELECT AptNum FROM appointment WHERE PatNum = ?", practice.two_plans_pat_num
        )
        assert sorted(int(a.pms_id) for a in overview.appointments) == sorted(
            r[0] for r in expected
        )
        logged = list(
            await session.scalars(
                select(ActivityLog.entity_id).where(ActivityLog.action == "read_phi")
            )
        )
        assert logged.count(patient.id) == 1


class TestSearchPatients:
    async def test_by_phone_for_the_ui(
        self, session: AsyncSession, practice: MirroredPractice
    ) -> None:
        await mirrored_rows(session, practice.tenant_id, Patient)  # binds the tenant
        phone = practice.od_one(
            "SELECT HmPhone FROM patient WHERE PatNum = ?", practice.accented_pat_num
        )
        assert len(phone) >= 7
        found = await patient_service.search_patients(
            session, MirrorFilters(), patient_service.PatientSearch(text=phone), PageParams()
        )
        assert str(practice.accented_pat_num) in {p.pms_id for p in found.items}
        assert found.total < practice.od_one("SELECT COUNT(*) FROM patient")
