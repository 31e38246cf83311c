"""Key maps kept between the runs of one sync (`KeyMapCache`, `SyncEnv.key_maps`)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession
from tests.pms.sync.support import Practice, assert_mirrored

from crowndesk.auth.models import Tenant
from crowndesk.clinics.models import Clinic
from crowndesk.db.tenancy import set_tenant
from crowndesk.odsim.simulator import advance
from crowndesk.patients.models import Patient, PatientStatus
from crowndesk.pms.sync.mapper import KeyMap, KeyMapCache, key_map
from crowndesk.pms.sync.models import RunState, SyncPending
from crowndesk.scheduling.models import Appointment


async def _clinic(session: AsyncSession) -> Clinic:
    tenant = Tenant(name="Key Map Dental")
    session.add(tenant)
    await session.flush()
    set_tenant(session, tenant.id)
    clinic = Clinic(name="Main", timezone="America/Chicago")
    session.add(clinic)
    await session.flush()
    return clinic


async def _patients(
    session: AsyncSession, clinic: Clinic, *pms_ids: str, pms_source: str = "opendental"
) -> dict[str, uuid.UUID]:
    patients = [
        Patient(
            clinic_id=clinic.id,
            pms_source=pms_source,
            pms_id=pms_id,
            status=PatientStatus.patient,
        )
        for pms_id in pms_ids
    ]
    session.add_all(patients)
    await session.flush()
    return {p.pms_id: p.id for p in patients}


def _ids(found: KeyMap) -> dict[str, uuid.UUID]:
    """The map with every id as a UUID (SQLite gives them as hex text until first used)."""
    return {key: uuid.UUID(str(value)) for key, value in found.items()}


class TestKeyMap:
    async def test_a_cached_map_is_used_again_while_the_count_is_unchanged(
        self, session: AsyncSession
    ) -> None:
        clinic = await _clinic(session)
        ids = await _patients(session, clinic, "1", "2", "3")
        cache = KeyMapCache()
        first = await key_map(session, "patients", clinic.id, cache)
        assert _ids(first) == ids
        again = await key_map(session, "patients", clinic.id, cache)
        assert again is first
        assert _ids(again) == ids

    async def test_a_row_added_reloads_the_map(self, session: AsyncSession) -> None:
        clinic = await _clinic(session)
        ids = await _patients(session, clinic, "1", "2", "3")
        cache = KeyMapCache()
        first = await key_map(session, "patients", clinic.id, cache)
        ids |= await _patients(session, clinic, "4")
        reloaded = await key_map(session, "patients", clinic.id, cache)
        assert reloaded is not first
        assert _ids(reloaded) == ids
        assert len(first) == 3  # the map handed out before is left as it was
        assert await key_map(session, "patients", clinic.id, cache) is reloaded

    async def test_rows_outside_the_map_do_not_reload_it(self, session: AsyncSession) -> None:
        # The count looks at what the map holds: the clinic's rows from Open Dental.
        clinic = await _clinic(session)
        other_clinic = Clinic(name="Second", timezone="America/Chicago")
        session.add(other_clinic)
        await session.flush()
        ids = await _patients(session, clinic, "1", "2")
        cache = KeyMapCache()
        first = await key_map(session, "patients", clinic.id, cache)
        other_ids = await _patients(session, other_clinic, "1", "7")
        await _patients(session, clinic, "8", pms_source="local")
        assert await key_map(session, "patients", clinic.id, cache) is first
        assert _ids(first) == ids
        assert _ids(await key_map(session, "patients", other_clinic.id, cache)) == other_ids

    async def test_without_a_cache_every_call_reads_the_map(self, session: AsyncSession) -> None:
        clinic = await _clinic(session)
        ids = await _patients(session, clinic, "1", "2")
        first = await key_map(session, "patients", clinic.id)
        again = await key_map(session, "patients", clinic.id)
        assert again is not first
        assert _ids(again) == _ids(first) == ids


class TestSyncEnvKeyMaps:
    async def test_children_of_parents_new_since_the_last_runs_are_linked(
        self, practice: Practice
    ) -> None:
        runs = await practice.sync(("providers", "patients", "operatories", "appointments"))
        assert [r.state for r in runs] == [RunState.succeeded] * 4
        slot = (practice.tenant_id, practice.clinic_id, "patients")
        cached = practice.env.key_maps.maps[slot]
        # Nothing changed: the next run of the same env reads the map from the cache.
        (again,) = await practice.sync(("appointments",))
        assert again.state is RunState.succeeded
        assert practice.env.key_maps.maps[slot] is cached

        sandbox = practice.server.sandbox
        (last_before,) = sandbox.conn.execute("SELECT MAX(PatNum) FROM patient").fetchone()
        advance(sandbox, 60 * 24 * 30)
        new_patients = {
            str(pat)
            for (pat,) in sandbox.conn.execute(
                "SELECT PatNum FROM patient WHERE PatNum > ?", (last_before,)
            )
        }
        new_appointments = dict(
            sandbox.conn.execute(
                "SELECT AptNum, PatNum FROM appointment WHERE PatNum > ?", (last_before,)
            ).fetchall()
        )
        assert new_patients  # the simulated month brought some, with appointments
        assert new_appointments

        runs = await practice.sync(("patients", "appointments"))
        assert [(r.state, r.parked, r.failed) for r in runs] == [(RunState.succeeded, 0, 0)] * 2
        assert await practice.rows(SyncPending) == []
        patients = {p.pms_id: p.id for p in await practice.rows(Patient)}
        assert new_patients <= patients.keys()
        linked = {
            a.pms_id: a.patient_id
            for a in await practice.rows(
                Appointment, Appointment.pms_id.in_([str(k) for k in new_appointments])
            )
        }
        assert linked == {str(apt): patients[str(pat)] for apt, pat in new_appointments.items()}
        reloaded = practice.env.key_maps.maps[slot]
        assert reloaded is not cached
        assert _ids(reloaded) == patients
        await assert_mirrored(practice, ("patients", "appointments"))
