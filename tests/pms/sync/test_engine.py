"""The sync engine against the sandbox over real HTTP."""

from __future__ import annotations

import asyncio
import dataclasses
import math
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from tests.pms.sync.support import (
    Practice,
    assert_mirrored,
    connect_practice,
    start_sandbox,
)

from crowndesk.clinics.models import Clinic, ConnectionMode
from crowndesk.db.engine import unit_of_work
from crowndesk.db.upsert import PreparedUpsert, prepare_upsert
from crowndesk.odsim.faults import FaultRule
from crowndesk.odsim.simulator import advance
from crowndesk.patients.models import Family, Patient
from crowndesk.pms.sync import engine
from crowndesk.pms.sync import service as sync_service
from crowndesk.pms.sync.models import (
    RunMode,
    RunState,
    SyncConflict,
    SyncError,
    SyncPending,
    SyncRun,
)
from crowndesk.pms.sync.registry import ENTITIES, ENTITY_NAMES, spec_for
from crowndesk.pms.sync.service import SyncAlreadyRunning
from crowndesk.procedures.models import BillingStatus, Procedure, ProcedureStatus
from crowndesk.scheduling.models import Appointment

# Open Dental table, edit stamp and page size of each stamp-followed entity.
_STAMPED = {
    "procedure_codes": ("procedurecode", "DateTStamp", 1000),
    "treatment_plans": ("treatplan", "SecDateTEdit", 1000),
    "insurance_subscribers": ("inssub", "SecDateTEdit", 1000),
    "claims": ("claim", "SecDateTEdit", 1000),
    "claim_payments": ("claimpayment", "SecDateTEdit", 1000),
    "referral_attachments": ("refattach", "DateTStamp", 1000),
    "fees": ("fee", "SecDateTEdit", 100),
    "insurance_plans": ("insplan", "SecDateTEdit", 100),
    "patient_plans": ("patplan", "SecDateTEdit", 100),
    "benefits": ("benefit", "SecDateTEdit", 100),
    "claim_procedures": ("claimproc", "SecDateTEdit", 100),
    "payments": ("payment", "SecDateTEdit", 100),
    "payment_splits": ("paysplit", "SecDateTEdit", 100),
    "adjustments": ("adjustment", "SecDateTEdit", 100),
    "saved_plan_procedures": ("proctp", "SecDateTEdit", 100),
}


def sandbox_rows(practice: Practice, sql: str, *args: Any) -> list[Any]:
    return practice.server.sandbox.conn.execute(sql, args).fetchall()


def assert_succeeded(runs: list[Any]) -> None:
    assert [(r.entity, r.state, r.error) for r in runs if r.state is not RunState.succeeded] == []


class TestFullSync:
    async def test_mirror_equals_the_sandbox(self, practice: Practice) -> None:
        runs = await practice.sync()
        assert_succeeded(runs)
        assert [r.entity for r in runs] == list(ENTITY_NAMES)
        await assert_mirrored(practice)

    async def test_query_pages_are_written_in_batches(
        self, sync_env: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # ShortQuery answers 100 rows a page; they are written WRITE_BATCH rows at a time (here
        # two pages), each batch its own transaction (on PostgreSQL on alternate connections).
        monkeypatch.setattr(engine, "WRITE_BATCH", 200)
        server = start_sandbox(patients=200)
        try:
            practice = await connect_practice(sync_env, server)
            runs = await practice.sync()
            assert_succeeded(runs)
            queried = [r for r in runs if r.strategy == "query_all"]
            assert max(r.pages for r in queried) >= 4  # two batches or more
            for run in queried:
                assert run.pages == run.requests
            await assert_mirrored(practice)
        finally:
            server.stop()

    async def test_counts_and_money_match_the_sandbox_tables(self, practice: Practice) -> None:
        assert_succeeded(await practice.sync())
        patients = await practice.rows(Patient)
        assert len(patients) == sandbox_rows(practice, "SELECT COUNT(*) FROM patient")[0][0]
        procedures = await practice.rows(Procedure)
        ((count, total),) = sandbox_rows(
            practice, "SELECT COUNT(*), SUM(CAST(ProcFee AS REAL) * 100) FROM procedurelog"
        )
        assert len(procedures) == count
        assert sum(p.fee for p in procedures) == Decimal(round(total)) / 100
        # Every completed procedure starts unbilled; nothing else has a billing status.
        for p in procedures:
            expected = BillingStatus.unbilled if p.status is ProcedureStatus.completed else None
            assert p.billing_status is expected

    async def test_families_follow_guarantors(self, practice: Practice) -> None:
        assert_succeeded(await practice.sync(("providers", "patients")))
        patients = {p.pms_id: p for p in await practice.rows(Patient)}
        families = {f.guarantor_id: f for f in await practice.rows(Family)}
        for pat_num, guarantor in sandbox_rows(practice, "SELECT PatNum, Guarantor FROM patient"):
            patient = patients[str(pat_num)]
            head = patients[str(guarantor)]
            assert patient.guarantor_id == head.id
            assert patient.family_id == families[head.id].id


class TestIncremental:
    async def test_after_a_simulated_day_the_mirror_equals_the_sandbox_again(
        self, practice: Practice
    ) -> None:
        assert_succeeded(await practice.sync())
        advance(practice.server.sandbox, 60 * 24)
        runs = await practice.sync()
        assert_succeeded(runs)
        assert sum(r.inserted + r.updated for r in runs) > 0
        await assert_mirrored(practice)

    async def test_no_changes_cost_one_request_per_changed_since_entity(
        self, practice: Practice
    ) -> None:
        assert_succeeded(await practice.sync())
        before = practice.server.sandbox.stats.requests
        runs = await practice.sync()
        assert_succeeded(runs)
        by_entity = {r.entity: r for r in runs}
        for spec in ENTITIES:
            run = by_entity[spec.name]
            if spec.changed_since is not None and spec.changed_since.server_time:
                assert run.requests == 1, spec.name
            elif spec.changed_since is not None or (spec.query and spec.query.stamp):
                # The cursor is the newest stamp minus a safety overlap: one request, plus
                # whatever pages the rows inside that overlap fill.
                table, stamp, page = _STAMPED[spec.name]
                (inside,) = sandbox_rows(
                    practice, f"SELECT COUNT(*) FROM {table} WHERE {stamp} >= ?", run.cursor_before
                )[0]
                assert run.requests == max(1, math.ceil((inside + 1) / page)), spec.name
            elif spec.per_parent:
                assert run.requests == 0, spec.name  # no parent changed
        assert practice.server.sandbox.stats.requests - before == sum(r.requests for r in runs)
        assert sum(r.inserted + r.updated for r in runs) == 0

    async def test_a_row_changed_while_paging_is_picked_up_by_the_next_run(
        self, sync_env: Any
    ) -> None:
        server = start_sandbox(patients=150)
        try:
            practice = await connect_practice(sync_env, server, interval_ms=0)
            assert_succeeded(await practice.sync(("providers",)))
            # The next page starts 5 rows late, as if 5 patients vanished mid-run; the sandbox
            # bumps the skipped rows' stamps, as an edit during the run would.
            server.sandbox.faults.add(
                FaultRule(kind="shift", resource="patients", rate=1.0, shift=5)
            )
            # Small pages so the run has several.
            async with unit_of_work(sync_env.sessionmaker, practice.ctx) as session:
                await session.execute(
                    update(Clinic).where(Clinic.id == practice.clinic_id).values(od_mode="remote")
                )
            assert_succeeded(await practice.sync(("patients",)))
            assert len(await practice.rows(Patient)) == 145
            server.sandbox.faults.clear()
            assert_succeeded(await practice.sync(("patients",)))
            assert len(await practice.rows(Patient)) == 150
            await assert_mirrored(practice, ("patients",))
        finally:
            server.stop()


class TestFaults:
    async def test_throttling_errors_and_bad_rows_leave_a_clean_mirror(self, sync_env: Any) -> None:
        server = start_sandbox(patients=80, mode="remote", tier="standard", throttle_scale=0.002)
        try:
            practice = await connect_practice(sync_env, server)
            faults = server.sandbox.faults
            for kind in ("429", "500", "503", "drop"):
                faults.add(FaultRule(kind=kind, rate=0.05, retry_after=0.01))
            faults.add(FaultRule(kind="malformed", resource="procedurelogs", count=3))
            faults.add(FaultRule(kind="malformed", resource="patients", count=1))
            runs = await practice.sync()
            assert_succeeded(runs)
            assert faults.fired.get("429", 0) + faults.fired.get("500", 0) > 0
            errors = await practice.rows(SyncError)
            assert 1 <= len(errors) <= 4
            assert all(e.resolved_at is None and e.reason and e.payload for e in errors)
            faults.rules.clear()
            await assert_mirrored(practice)
            # Nothing duplicated: one row per Open Dental key.
            procedures = await practice.rows(Procedure)
            assert len({p.pms_id for p in procedures}) == len(procedures)
        finally:
            server.stop()

    async def test_a_failed_run_keeps_the_cursor_and_the_next_one_repeats_the_window(
        self, practice: Practice
    ) -> None:
        assert_succeeded(await practice.sync(("providers", "patients")))
        (state_before,) = [r.cursor_after for r in await practice.sync(("patients",))]
        practice.server.sandbox.faults.add(FaultRule(kind="500", resource="*", count=50))
        advance(practice.server.sandbox, 120)
        (failed,) = await practice.sync(("patients",))
        assert failed.state is RunState.failed
        assert failed.error
        practice.server.sandbox.faults.rules.clear()
        (again,) = await practice.sync(("patients",))
        assert again.state is RunState.succeeded
        assert again.cursor_before == state_before
        await assert_mirrored(practice, ("patients",))

    async def test_a_page_that_fails_to_store_fails_the_run_and_keeps_the_pages_before_it(
        self, sync_env: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Pages are stored in the background while the next one is read: a failure there must
        # still end the run as failed, with the pages stored before it kept, none of the
        # failed page's rows stored and the cursor left. (The page after it may be stored
        # too: on SQLite it is already queued behind the failing one, in its own transaction.)
        server = start_sandbox(patients=60, mode="remote", throttle_scale=0.0)
        try:
            practice = await connect_practice(
                sync_env, server, mode=ConnectionMode.remote, interval_ms=0
            )
            parents = ("procedure_codes", "providers", "patients", "operatories")
            assert_succeeded(await practice.sync(parents))
            pages: list[list[str]] = []

            def break_the_third_page(*args: Any, **kwargs: Any) -> list[PreparedUpsert]:
                # A row the database refuses (no key): the page fails as it is written.
                batches = prepare_upsert(*args, **kwargs)
                (batch,) = batches
                keys = batch.values[batch.columns.index("pms_id")]
                pages.append(list(keys))
                if len(pages) != 3:
                    return batches
                values = [list(column) for column in batch.values]
                values[batch.columns.index("pms_id")][-1] = None
                return [dataclasses.replace(batch, values=values)]

            monkeypatch.setattr(engine, "prepare_upsert", break_the_third_page)
            with pytest.raises(IntegrityError):
                await practice.sync(("appointments",))
            monkeypatch.undo()
            (failed,) = await practice.rows(SyncRun, SyncRun.entity == "appointments")
            assert failed.state is RunState.failed
            assert failed.error == "Unexpected error (IntegrityError)."
            assert failed.cursor_after is None
            stored = {row.pms_id for row in await practice.rows(Appointment)}
            assert [len(page) for page in pages[:3]] == [100, 100, 100]
            assert stored >= {*pages[0], *pages[1]}  # the pages before it
            assert stored.isdisjoint(pages[2])  # the failed page: all or nothing
            assert stored <= {key for page in pages[:4] for key in page}  # nothing later
            assert_succeeded(await practice.sync(("appointments",)))
            await assert_mirrored(practice, ("appointments",))
        finally:
            server.stop()


class TestParkingAndConflicts:
    async def test_records_whose_parent_is_missing_are_parked_then_stored(
        self, practice: Practice
    ) -> None:
        assert_succeeded(await practice.sync(("procedure_codes", "providers")))
        # Procedures before their patients: every one waits.
        (run,) = await practice.sync(("procedures",))
        assert run.state is RunState.succeeded
        assert run.parked > 0
        assert run.inserted == 0
        pending = await practice.rows(SyncPending)
        assert len(pending) == run.parked
        assert all(p.waiting_for.startswith("patients:") for p in pending)
        assert_succeeded(await practice.sync(("patients", "operatories", "appointments")))
        (again,) = await practice.sync(("procedures",))
        assert again.state is RunState.succeeded
        assert again.inserted == run.parked
        assert again.parked == 0
        assert all(p.resolved_at is not None for p in await practice.rows(SyncPending))
        await assert_mirrored(practice, ("procedures",))

    async def test_open_dental_overwriting_a_local_edit_is_a_conflict(
        self, practice: Practice
    ) -> None:
        assert_succeeded(await practice.sync(("providers", "patients")))
        pat_num = sandbox_rows(practice, "SELECT MIN(PatNum) FROM patient")[0][0]
        async with unit_of_work(practice.env.sessionmaker, practice.ctx) as session:
            patient = (
                await session.execute(select(Patient).where(Patient.pms_id == str(pat_num)))
            ).scalar_one()
            patient.email = "local.edit@example.com"
            patient.local_modified_at = func.now()
        conn = practice.server.sandbox.conn
        stamp = practice.server.sandbox.clock.now_str()
        conn.execute(
            "UPDATE patient SET Email = 'from.od@example.com', DateTStamp = ? WHERE PatNum = ?",
            (stamp, pat_num),
        )
        assert_succeeded(await practice.sync(("patients",)))
        conflicts = await practice.rows(SyncConflict)
        assert [(c.field, c.local_value, c.pms_value) for c in conflicts] == [
            ("email", "local.edit@example.com", "from.od@example.com")
        ]
        (patient,) = await practice.rows(Patient, Patient.pms_id == str(pat_num))
        assert patient.email == "from.od@example.com"
        assert patient.local_modified_at is None

    async def test_local_billing_status_survives_open_dental_updates(
        self, practice: Practice
    ) -> None:
        assert_succeeded(await practice.sync())
        (proc_num,) = sandbox_rows(
            practice, "SELECT MIN(ProcNum) FROM procedurelog WHERE ProcStatus = 2"
        )[0]
        async with unit_of_work(practice.env.sessionmaker, practice.ctx) as session:
            await session.execute(
                update(Procedure)
                .where(Procedure.pms_id == str(proc_num))
                .values(billing_status=BillingStatus.claimed)
            )
        practice.server.sandbox.conn.execute(
            "UPDATE procedurelog SET BillingNote = 'edited in OD', DateTStamp = ? WHERE ProcNum = ?",
            (practice.server.sandbox.clock.now_str(), proc_num),
        )
        assert_succeeded(await practice.sync(("procedures",)))
        (procedure,) = await practice.rows(Procedure, Procedure.pms_id == str(proc_num))
        assert procedure.billing_note == "edited in OD"
        assert procedure.billing_status is BillingStatus.claimed


class TestDeletions:
    async def test_a_hard_deleted_row_is_marked_deleted_after_reconciliation(
        self, practice: Practice
    ) -> None:
        assert_succeeded(await practice.sync())
        (apt_num,) = sandbox_rows(practice, "SELECT MAX(AptNum) FROM appointment")[0]
        practice.server.sandbox.conn.execute("DELETE FROM appointment WHERE AptNum = ?", (apt_num,))
        assert_succeeded(await practice.sync(("appointments",)))
        (kept,) = await practice.rows(Appointment, Appointment.pms_id == str(apt_num))
        assert kept.pms_deleted_at is None  # no trace in the change feed
        (run,) = await practice.sync(("appointments",), RunMode.reconcile)
        assert run.state is RunState.succeeded
        assert run.deleted == 1
        (gone,) = await practice.rows(Appointment, Appointment.pms_id == str(apt_num))
        assert gone.pms_deleted_at is not None
        await assert_mirrored(practice, ("appointments",))

    async def test_soft_deleted_procedures_arrive_deleted(self, practice: Practice) -> None:
        assert_succeeded(await practice.sync())
        (proc_num,) = sandbox_rows(
            practice, "SELECT MIN(ProcNum) FROM procedurelog WHERE ProcStatus = 1"
        )[0]
        practice.server.sandbox.conn.execute(
            "UPDATE procedurelog SET ProcStatus = 6, DateTStamp = ? WHERE ProcNum = ?",
            (practice.server.sandbox.clock.now_str(), proc_num),
        )
        assert_succeeded(await practice.sync(("procedures",)))
        (procedure,) = await practice.rows(Procedure, Procedure.pms_id == str(proc_num))
        assert procedure.status is ProcedureStatus.deleted
        assert procedure.pms_deleted_at is not None


class TestOneRunAtATime:
    async def test_two_concurrent_triggers_give_one_run(self, practice: Practice) -> None:
        results = await asyncio.gather(
            practice.queue(("patients",)), practice.queue(("patients",)), return_exceptions=True
        )
        queued = [r for r in results if isinstance(r, list)]
        refused = [r for r in results if isinstance(r, SyncAlreadyRunning)]
        assert len(queued) == 1
        assert len(refused) == 1

    async def test_a_refused_trigger_leaves_the_callers_transaction_usable(
        self, practice: Practice
    ) -> None:
        # As the scheduler's dispatch does: a refusal is skipped and the transaction goes on.
        async def queue_or_skip(started: asyncio.Event) -> str:
            async with unit_of_work(practice.env.sessionmaker, practice.ctx) as session:
                started.set()
                try:
                    await sync_service.request_runs(
                        session,
                        practice.env.engine,
                        entities=("patients",),
                        clinic_id=practice.clinic_id,
                    )
                except SyncAlreadyRunning:
                    return "refused"  # and the unit of work still commits
                return "queued"

        async with unit_of_work(practice.env.sessionmaker, practice.ctx) as first:
            await sync_service.request_runs(
                first, practice.env.engine, entities=("patients",), clinic_id=practice.clinic_id
            )
            started = asyncio.Event()
            second = asyncio.create_task(queue_or_skip(started))
            await started.wait()
            await asyncio.sleep(0.3)  # the second checks for busy runs before this one commits
        assert await second == "refused"

    async def test_unknown_entity_is_refused(self, practice: Practice) -> None:
        with pytest.raises(Exception, match="Unknown entity"):
            await practice.queue(("teeth",))


def test_registry_is_in_dependency_order() -> None:
    position = {name: i for i, name in enumerate(ENTITY_NAMES)}
    for spec in ENTITIES:
        for dependency in spec.dependencies:
            assert position[dependency] < position[spec.name], (spec.name, dependency)
    assert spec_for("patients").name == "patients"
