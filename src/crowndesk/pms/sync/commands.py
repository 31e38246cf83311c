"""`crowndesk sync`: run syncs in the foreground with progress bars, then verify if asked."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy import select

from crowndesk.clinics.models import Clinic
from crowndesk.config import Settings
from crowndesk.core.context import Context
from crowndesk.core.crypto import SecretBox
from crowndesk.core.errors import NotFound
from crowndesk.db.engine import create_engine, create_sessionmaker, unit_of_work
from crowndesk.db.tenancy import unscoped
from crowndesk.pms.sync import service as sync_service
from crowndesk.pms.sync.engine import Counts, SyncEnv, execute_run
from crowndesk.pms.sync.models import RunMode, RunState, SyncRun
from crowndesk.pms.sync.registry import ENTITY_NAMES, spec_for
from crowndesk.pms.sync.verify import Verification, verify


@dataclass(slots=True)
class Outcome:
    runs: list[SyncRun] = field(default_factory=list)
    verifications: list[Verification] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.state is RunState.succeeded for r in self.runs) and all(
            v.differences == 0 for v in self.verifications
        )


async def sync_command(
    settings: Settings,
    console: Console,
    *,
    clinic_id: uuid.UUID | None = None,
    entities: Sequence[str] = ENTITY_NAMES,
    mode: RunMode = RunMode.incremental,
    check: bool = False,
) -> Outcome:
    for name in entities:
        spec_for(name)
    engine = create_engine(settings.database_url)
    env = SyncEnv(engine, create_sessionmaker(engine), SecretBox(settings.secret_key))
    outcome = Outcome()
    try:
        for clinic in await _clinics(env, clinic_id):
            console.print(f"[bold]{clinic.name}[/bold]", highlight=False)
            outcome.runs += await _sync_clinic(env, console, clinic, entities, mode)
            if check:
                outcome.verifications += await _verify_clinic(env, console, clinic, entities)
    finally:
        await engine.dispose()
    return outcome


async def _clinics(env: SyncEnv, clinic_id: uuid.UUID | None) -> list[Clinic]:
    async with env.sessionmaker() as session:
        with unscoped(session):
            stmt = select(Clinic).where(
                Clinic.deleted_at.is_(None), Clinic.od_base_url.is_not(None)
            )
            if clinic_id is not None:
                stmt = stmt.where(Clinic.id == clinic_id)
            clinics = list((await session.execute(stmt.order_by(Clinic.created_at))).scalars())
    if clinic_id is not None and not clinics:
        raise NotFound("Clinic not found, or it has no Open Dental connection.")
    return clinics


def _context(clinic: Clinic) -> Context:
    return Context(tenant_id=clinic.tenant_id, user_id=None, roles=frozenset())


async def _sync_clinic(
    env: SyncEnv, console: Console, clinic: Clinic, entities: Sequence[str], mode: RunMode
) -> list[SyncRun]:
    async with unit_of_work(env.sessionmaker, _context(clinic)) as session:
        runs = await sync_service.request_runs(
            session, env.engine, entities=entities, clinic_id=clinic.id, mode=mode
        )
    done: list[SyncRun] = []
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description:<26}"),
        BarColumn(bar_width=None),
        TextColumn("{task.fields[pages]:>5} pages"),
        TextColumn("{task.fields[records]:>8} records"),
        TextColumn("{task.fields[rate]:>7} rec/s"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        for run in runs:
            task = progress.add_task(run.entity, total=None, pages=0, records=0, rate="-")
            started = time.monotonic()

            def show(counts: Counts, task: TaskID = task, started: float = started) -> None:
                elapsed = max(time.monotonic() - started, 1e-6)
                progress.update(
                    task,
                    pages=counts.pages,
                    records=counts.records,
                    rate=f"{counts.records / elapsed:,.0f}",
                )

            finished = await execute_run(env, clinic.tenant_id, run.id, progress=show)
            show(_counts(finished))
            progress.update(task, total=1, completed=1)
            done.append(finished)
    console.print(summary_table(done))
    return done


def _counts(run: SyncRun) -> Counts:
    return Counts(
        requests=run.requests,
        pages=run.pages,
        inserted=run.inserted,
        updated=run.updated,
        unchanged=run.unchanged,
        failed=run.failed,
        parked=run.parked,
        deleted=run.deleted,
    )


def summary_table(runs: Sequence[SyncRun]) -> Table:
    table = Table(title="Sync summary", title_justify="left")
    for heading in (
        "entity",
        "state",
        "how",
        "requests",
        "inserted",
        "updated",
        "unchanged",
        "failed",
        "parked",
        "deleted",
        "seconds",
    ):
        table.add_column(
            heading, justify="left" if heading in ("entity", "state", "how") else "right"
        )
    for run in runs:
        seconds = run.duration_seconds
        state = run.state.value if run.error is None else f"{run.state.value}: {run.error}"
        table.add_row(
            run.entity,
            state,
            run.strategy or "-",
            str(run.requests),
            str(run.inserted),
            str(run.updated),
            str(run.unchanged),
            str(run.failed),
            str(run.parked),
            str(run.deleted),
            "-" if seconds is None else f"{seconds:.1f}",
        )
    return table


async def _verify_clinic(
    env: SyncEnv, console: Console, clinic: Clinic, entities: Sequence[str]
) -> list[Verification]:
    results = []
    async with unit_of_work(env.sessionmaker, _context(clinic)) as session:
        with console.status("Comparing the mirror with Open Dental ..."):
            for name in entities:
                results.append(await verify(env, session, clinic, name))
    table = Table(title="Verification", title_justify="left")
    for heading in ("entity", "records compared", "differences"):
        table.add_column(heading, justify="left" if heading == "entity" else "right")
    for result in results:
        table.add_row(result.entity, str(result.compared), str(result.differences))
    console.print(table)
    for result in results:
        for difference in result.examples or []:
            console.print(
                f"  {difference.entity} {difference.pms_id} {difference.field}: "
                f"ours={difference.ours!r} open dental={difference.theirs!r}",
                highlight=False,
            )
    return results
