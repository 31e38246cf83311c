"""One sync run: one clinic, one entity (ARCHITECTURE.md, "The sync engine").

The run holds the clinic+entity lock, reads pages from Open Dental in the cheapest way the
office allows (see `spec.py`), maps and validates each record, bulk-upserts each page and
commits it, parks records whose parent has not arrived and keeps malformed ones in
`sync_errors`. Only when every page succeeded does the cursor move — to Open Dental's own
clock — so a failed or killed run is simply repeated by the next one (upserts are idempotent).
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
import structlog
from sqlalchemy import Table, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

import crowndesk.models  # noqa: F401 - every table mapped, whichever entry point runs a sync
from crowndesk.audit import service as audit
from crowndesk.clinics.models import Clinic
from crowndesk.core.crypto import SecretBox
from crowndesk.db.base import PMS_SOURCE
from crowndesk.db.locks import LockNotAvailable, named_lock
from crowndesk.db.tenancy import set_tenant
from crowndesk.db.types import utcnow
from crowndesk.db.upsert import (
    PreparedUpsert,
    UpsertResult,
    bulk_upsert,
    commit_upserts,
    direct_commits,
    prepare_upsert,
)
from crowndesk.pms.opendental.client import (
    ConnectionSettings,
    OpenDentalClient,
    OpenDentalError,
    QueriesNotPermitted,
)
from crowndesk.pms.opendental.formats import od_datetime_text, timestamp
from crowndesk.pms.sync.mapper import KeyMapCache, Mapper, key_maps
from crowndesk.pms.sync.models import (
    RunMode,
    RunState,
    SyncConflict,
    SyncError,
    SyncPending,
    SyncRun,
    SyncState,
)
from crowndesk.pms.sync.registry import spec_for
from crowndesk.pms.sync.spec import EntitySpec, PerParent

log = structlog.get_logger("crowndesk.sync")

NATURAL_KEY = ("tenant_id", "clinic_id", "pms_source", "pms_id")
QUERY_PAGE = 100  # /queries/ShortQuery answers at most 100 rows per page
PARENT_BATCH = 200  # parent keys per `IN (...)` when the Queries permission allows it
QUERIES_RECHECK = timedelta(days=1)
WRITE_BATCH = 1000
MAP_SLICE = 25  # records mapped between two looks at the page being stored
PROGRESS_SECONDS = 1.0  # how often a run's row is brought up to date while it pages
LOCK_ATTEMPTS = 10  # a run finding its lock held looks again this many times ...
LOCK_RETRY_SECONDS = 0.2  # ... this far apart before it gives up

Progress = Callable[["Counts"], None]


@dataclass(slots=True)
class Counts:
    requests: int = 0
    pages: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    parked: int = 0
    deleted: int = 0

    @property
    def records(self) -> int:
        return self.inserted + self.updated + self.unchanged + self.failed + self.parked


@dataclass(slots=True)
class _Mapped:
    """One batch of payloads, mapped: rows to store, malformed records, parked records."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    upserts: list[PreparedUpsert] = field(default_factory=list)  # the rows, for the driver
    errors: list[tuple[str | None, str, Mapping[str, Any]]] = field(default_factory=list)
    parked: list[tuple[str, str, str, Mapping[str, Any]]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SyncEnv:
    """What a run needs besides its id: the database and the key to the clinic's secrets."""

    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    box: SecretBox
    transport: Any = None  # an httpx transport, for tests that need one
    key_maps: KeyMapCache = field(default_factory=KeyMapCache)  # kept between its runs


class ClinicNotConnected(OpenDentalError):
    pass


def lock_name(clinic_id: uuid.UUID, entity: str) -> str:
    return f"pms-sync:{clinic_id}:{entity}"


def connection_settings(clinic: Clinic, box: SecretBox) -> ConnectionSettings:
    if not (clinic.od_base_url and clinic.od_developer_key_enc and clinic.od_customer_key_enc):
        raise ClinicNotConnected("The clinic has no Open Dental address and keys.")
    base = clinic.od_base_url.rstrip("/")
    if not base.endswith("/api/v1"):
        base += "/api/v1"
    interval = clinic.effective_request_interval_ms
    return ConnectionSettings(
        base_url=base,
        developer_key=box.decrypt(clinic.od_developer_key_enc),
        customer_key=box.decrypt(clinic.od_customer_key_enc),
        page_size=clinic.od_mode.page_size,
        request_interval=interval / 1000 if interval else None,
    )


async def execute_run(
    env: SyncEnv, tenant_id: uuid.UUID, run_id: uuid.UUID, *, progress: Progress | None = None
) -> SyncRun:
    """Carry out a queued run. Never raises for Open Dental or data trouble: the run records
    it and fails; the next run repeats the window. A run that is not queued any more (someone
    else claimed it) is left alone and returned as it stands."""
    run, _ = await _execute(env, tenant_id, run_id, progress)
    return run


async def execute_batch(
    env: SyncEnv, tenant_id: uuid.UUID, run_ids: Sequence[uuid.UUID]
) -> list[SyncRun]:
    """Carry out the runs of one request in order. When one of them was claimed by someone
    else, that someone is carrying out this very batch (the job was delivered twice): stop,
    rather than run the later entities out of order beside it."""
    done: list[SyncRun] = []
    for run_id in run_ids:
        run, claimed = await _execute(env, tenant_id, run_id, None)
        if not claimed:
            break
        done.append(run)
    return done


async def _execute(
    env: SyncEnv, tenant_id: uuid.UUID, run_id: uuid.UUID, progress: Progress | None
) -> tuple[SyncRun, bool]:
    """The run and whether this call was the one to deal with it.

    The lock is taken before the run is claimed (queued → running), so a running run always
    has its lock held and `recover_interrupted` can trust a free lock to mean a dead process.
    """
    async with _run_session(env) as session:
        set_tenant(session, tenant_id)
        run = (await session.execute(select(SyncRun).where(SyncRun.id == run_id))).scalar_one()
        await session.commit()  # wait for the lock holding no transaction
        spec = spec_for(run.entity)
        for _ in range(LOCK_ATTEMPTS):
            if run.state is not RunState.queued:
                # The same run delivered twice (a job retried, two workers): whoever claimed
                # it carries it out; this copy leaves it alone.
                log.info("sync.run_skipped", entity=run.entity, state=run.state.value)
                return run, False
            try:
                async with named_lock(env.engine, lock_name(run.clinic_id, run.entity)):
                    if not await _claim(session, run_id):
                        await session.refresh(run)
                        await session.commit()
                        continue
                    await session.refresh(run)
                    await _Run(env, session, run, spec, progress).execute()
                    return run, True
            except LockNotAvailable:
                # Held by another copy of this run about to claim it, or by a run of the same
                # clinic and entity that is finishing: look again shortly.
                await asyncio.sleep(LOCK_RETRY_SECONDS)
                await session.refresh(run)
                await session.commit()
        refused = await session.execute(
            update(SyncRun)
            .where(SyncRun.id == run_id, SyncRun.state == RunState.queued)
            .values(
                state=RunState.failed,
                error="Another run of this clinic and entity is in progress.",
                finished_at=utcnow(),
            )
            .execution_options(synchronize_session=False)
        )
        await session.commit()
        await session.refresh(run)
        await session.commit()
        return run, bool(refused.rowcount)  # type: ignore[attr-defined]


@asynccontextmanager
async def _run_session(env: SyncEnv) -> AsyncIterator[AsyncSession]:
    """A session that keeps one connection for the whole run: a run commits every page, and a
    fresh connection per transaction (SQLite's engine pools none) would cost more than some
    pages' writing. A sessionmaker bound to one connection already (tests) is used as it is."""
    bind = env.sessionmaker.kw.get("bind")
    if not isinstance(bind, AsyncEngine):
        async with env.sessionmaker() as session:
            yield session
        return
    async with bind.connect() as connection, env.sessionmaker(bind=connection) as session:
        yield session


async def _claim(session: AsyncSession, run_id: uuid.UUID) -> bool:
    """Move the run from queued to running, atomically: true for exactly one caller."""
    claimed = await session.execute(
        update(SyncRun)
        .where(SyncRun.id == run_id, SyncRun.state == RunState.queued)
        .values(state=RunState.running, started_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


class _Run:
    def __init__(
        self,
        env: SyncEnv,
        session: AsyncSession,
        run: SyncRun,
        spec: EntitySpec,
        progress: Progress | None,
    ) -> None:
        self.env = env
        self.session = session
        self.run = run
        self.spec = spec
        self.progress = progress
        self.counts = Counts()
        self.table: Table = spec.model.__table__  # type: ignore[assignment]
        self.now = utcnow()
        self.mapper = Mapper(spec, run.clinic_id, {}, self.now)
        self.local_edits: dict[str, dict[str, Any]] = {}
        self.open_errors = False
        self.seen: set[str] = set()
        self.client: OpenDentalClient | None = None
        self.pending_keys: set[str] = set()
        # Pages being stored while the next one is fetched and mapped (see `_write_page`),
        # oldest first, each with whether it went straight to the driver.
        self.storing: list[tuple[asyncio.Future[None], bool]] = []
        # PostgreSQL: two connections of the run's own, so that a page is written while the
        # one before it is still being merged and committed (see `_writer`).
        self.writers: list[AsyncConnection] | None = None
        self.counts_saved_at = float("-inf")  # when the run's row last got the counts

    # ------------------------------------------------------------------ the run
    async def execute(self) -> None:
        run, session = self.run, self.session
        run.state = RunState.running
        run.started_at = self.now
        clinic = (
            await session.execute(select(Clinic).where(Clinic.id == run.clinic_id))
        ).scalar_one()
        state = await self._state()
        run.cursor_before = state.cursor
        await session.commit()
        try:
            settings = connection_settings(clinic, self.env.box)
            async with OpenDentalClient(settings, transport=self.env.transport) as client:
                self.client = client
                await self._prepare()
                await session.commit()  # hold no transaction while waiting for Open Dental
                if run.mode is RunMode.reconcile:
                    await self._reconcile(state)
                    await self._stored()
                else:
                    await self._retry_pending()
                    await self._read(state)
                    await self._stored()
                    counts = self.counts
                    if self.spec.after_run is not None and (
                        counts.inserted or counts.updated or counts.deleted
                    ):
                        await self.spec.after_run(session, run.clinic_id)
        except (OpenDentalError, ValueError) as exc:
            await self._fail(exc)
        except BaseException as exc:
            await self._fail(exc)
            await self._commit_quietly()
            raise
        else:
            state.last_run_id = run.id
            state.last_synced_at = utcnow()
            if run.mode is RunMode.reconcile:
                state.last_reconciled_at = state.last_synced_at
            run.cursor_after = state.cursor
            self._finish(RunState.succeeded, None)
        finally:
            for writer in self.writers or ():
                await writer.close()
        audit.record(
            session,
            f"pms_sync.run_{run.state.value}",
            "sync_run",
            run.id,
            changed_fields=[run.entity],
        )
        await session.commit()
        log.info(
            "sync.run",
            entity=run.entity,
            state=run.state.value,
            mode=run.mode.value,
            strategy=run.strategy,
            requests=run.requests,
            inserted=run.inserted,
            updated=run.updated,
            failed=run.failed,
            parked=run.parked,
            deleted=run.deleted,
        )

    async def _fail(self, exc: BaseException) -> None:
        # Pages already committed stay (upserts are idempotent); the cursor does not move.
        storing, self.storing = [future for future, _ in self.storing], []
        if storing:
            await asyncio.wait(storing)  # they are using the connection: let them end first
            for future in storing:
                if not future.cancelled():
                    future.exception()  # the run's failure is reported once, as `exc`
        await self.session.rollback()
        await self.session.refresh(self.run)
        self._finish(RunState.failed, _describe(exc))

    def _finish(self, state: RunState, error: str | None) -> None:
        run = self.run
        self._copy_counts()
        run.state = state
        run.error = error
        run.finished_at = utcnow()

    def _copy_counts(self) -> None:
        for name, value in self._run_counts().items():
            setattr(self.run, name, value)

    def _run_counts(self) -> dict[str, int]:
        """The run's counts as its row holds them."""
        counts = self.counts
        if self.client is not None:
            counts.requests = self.client.requests
        return asdict(counts)  # the row has a column of each name

    async def _commit_quietly(self) -> None:
        try:
            await asyncio.shield(self.session.commit())
        except Exception:  # noqa: BLE001 - the original error is what matters
            log.warning("sync.run_not_recorded", entity=self.run.entity)

    async def _state(self) -> SyncState:
        run = self.run
        state = (
            await self.session.execute(
                select(SyncState).where(
                    SyncState.clinic_id == run.clinic_id, SyncState.entity == run.entity
                )
            )
        ).scalar_one_or_none()
        if state is None:
            state = SyncState(clinic_id=run.clinic_id, entity=run.entity)
            self.session.add(state)
        if run.mode is RunMode.reset:
            state.cursor = None
            state.parent_mark = None
        return state

    async def _prepare(self) -> None:
        spec, session, clinic_id = self.spec, self.session, self.run.clinic_id
        self.mapper = Mapper(
            spec, clinic_id, await key_maps(session, spec, clinic_id, self.env.key_maps), self.now
        )
        model = spec.model
        edited = (
            await session.execute(
                select(model).where(
                    model.clinic_id == clinic_id,  # type: ignore[attr-defined]
                    model.local_modified_at.is_not(None),  # type: ignore[attr-defined]
                )
            )
        ).scalars()
        row: Any
        for row in edited:
            self.local_edits[row.pms_id] = {
                "id": row.id,
                **{c: getattr(row, c) for c in self.mapper.columns},
            }
        self.open_errors = (
            await session.scalar(
                select(func.count())
                .select_from(SyncError)
                .where(
                    SyncError.clinic_id == clinic_id,
                    SyncError.entity == spec.name,
                    SyncError.resolved_at.is_(None),
                )
            )
            or 0
        ) > 0

    # ------------------------------------------------------------------ reading
    async def _read(self, state: SyncState) -> None:
        spec = self.spec
        initial = state.cursor is None and state.parent_mark is None
        changed_since = spec.changed_since
        if spec.endpoint and changed_since and (state.cursor or spec.listable):
            # Changed-since resource: incremental from the cursor; the first run reads all.
            await self._read_list(state, since=state.cursor)
            return
        if initial and spec.endpoint and spec.listable:
            await self._read_list(state, since=None)
            return
        if spec.query and await self._queries_allowed(state):
            try:
                if spec.query.stamp or initial:
                    await self._read_query(state, since=None if initial else state.cursor)
                    return
            except QueriesNotPermitted:
                await self._queries_denied(state)
        if spec.per_parent:
            await self._read_children(state, everything=initial)
            return
        if spec.endpoint and spec.listable:
            await self._read_list(state, since=None)
            return
        raise ValueError(f"{spec.name}: no way to read it without the Queries permission")

    async def _queries_allowed(self, state: SyncState) -> bool:
        if state.queries_permitted is False and state.queries_checked_at is not None:
            if utcnow() - state.queries_checked_at < QUERIES_RECHECK:
                return False
        return True

    async def _queries_denied(self, state: SyncState) -> None:
        await self._stored()  # the page being stored may be flushing the state
        state.queries_permitted = False
        state.queries_checked_at = utcnow()

    async def _read_list(self, state: SyncState, *, since: str | None) -> None:
        spec, client = self.spec, self._client()
        assert spec.endpoint is not None
        params: dict[str, str | int] = dict(spec.params)
        cs = spec.changed_since
        if since and cs:
            params[cs.param] = since[:10] if cs.date_only else since
        self.run.strategy = "changed_since" if since else "full_read"
        server_time: str | None = None
        newest: datetime | None = None
        async for page in _prefetch(client.pages(spec.endpoint, params)):
            if server_time is None and cs and cs.server_time:
                server_time = _server_time(page)
            newest = _max_stamp(newest, page, spec.stamp)
            await self._write_page(page)
        await self._stored()  # before the run's state changes: the session is flushing it
        if since is None:
            await self._mark_unseen_deleted(None)
        if cs and cs.server_time:
            state.cursor = server_time or state.cursor
        elif cs:
            state.cursor = _overlapped(newest, cs.overlap) or state.cursor
        elif since is None:
            self._after_full_read(state, newest)

    def _after_full_read(self, state: SyncState, newest: datetime | None) -> None:
        """Having read everything, later runs can follow the cheaper incremental ways."""
        query = self.spec.query
        if query is not None and query.stamp:
            state.cursor = _overlapped(newest, query.overlap) or state.cursor
        if self.spec.per_parent:
            state.parent_mark = self.now

    async def _read_query(self, state: SyncState, *, since: str | None) -> None:
        spec, client = self.spec, self._client()
        query = spec.query
        assert query is not None
        sql = f"SELECT * FROM {query.table}"  # noqa: S608 - names come from our specs
        if since and query.stamp:
            sql += f" WHERE {query.stamp} >= '{_safe_stamp(since)}'"
        sql += f" ORDER BY {spec.key}"
        self.run.strategy = "query_since" if since else "query_all"
        newest: datetime | None = None
        async for page, fetched in _gathered(
            _prefetch(client.short_query(sql, page_size=QUERY_PAGE))
        ):
            newest = _max_stamp(newest, page, query.stamp)
            await self._write_page(page, fetched)
        await self._stored()  # before the run's state changes: the session is flushing it
        state.queries_permitted = True
        if since is None:
            await self._mark_unseen_deleted(None)
            self._after_full_read(state, newest)
        elif query.stamp:
            state.cursor = _overlapped(newest, query.overlap) or state.cursor

    async def _read_children(self, state: SyncState, *, everything: bool) -> None:
        """Children of parents written since the last such run (all parents the first time)."""
        mark = utcnow()
        self.run.strategy = "per_parent"
        for relation in self.spec.per_parent:
            await self._stored()
            parents = await self._parents(relation, None if everything else state.parent_mark)
            await self.session.commit()
            if not parents:
                continue
            if self.spec.query and await self._queries_allowed(state):
                try:
                    await self._children_by_query(relation, parents)
                    continue
                except QueriesNotPermitted:
                    await self._queries_denied(state)
            await self._children_by_get(relation, parents)
        state.parent_mark = mark

    async def _parents(self, relation: PerParent, since: datetime | None) -> dict[str, uuid.UUID]:
        model = spec_for(relation.parent).model
        stmt = select(model.pms_id, model.id).where(  # type: ignore[attr-defined]
            model.clinic_id == self.run.clinic_id,  # type: ignore[attr-defined]
            model.pms_deleted_at.is_(None),  # type: ignore[attr-defined]
        )
        if since is not None:
            stmt = stmt.where(model.last_synced_at >= since)  # type: ignore[attr-defined]
        return {k: v for k, v in (await self.session.execute(stmt)).all()}

    async def _children_by_get(self, relation: PerParent, parents: dict[str, uuid.UUID]) -> None:
        spec, client = self.spec, self._client()
        assert spec.endpoint is not None
        for parent_key, parent_id in sorted(parents.items(), key=lambda kv: int(kv[0])):
            params = {**spec.params, relation.param: parent_key}
            rows: list[dict[str, Any]] = []
            async for page in client.pages(spec.endpoint, params):
                rows.extend(page)
            await self._write_page(rows)
            await self._mark_unseen_deleted((relation, [parent_id]))

    async def _children_by_query(self, relation: PerParent, parents: dict[str, uuid.UUID]) -> None:
        spec, client = self.spec, self._client()
        assert spec.query is not None
        keys = sorted(parents, key=int)
        for start in range(0, len(keys), PARENT_BATCH):
            chunk = keys[start : start + PARENT_BATCH]
            in_list = ", ".join(str(int(k)) for k in chunk)
            sql = (
                f"SELECT * FROM {spec.query.table} "  # noqa: S608 - integers and our names
                f"WHERE {relation.query_column} IN ({in_list}) ORDER BY {spec.key}"
            )
            async for page, fetched in _gathered(
                _prefetch(client.short_query(sql, page_size=QUERY_PAGE))
            ):
                await self._write_page(page, fetched)
            await self._mark_unseen_deleted((relation, [parents[k] for k in chunk]))

    # ------------------------------------------------------------------ reconciliation
    async def _reconcile(self, state: SyncState) -> None:
        """Find rows Open Dental deleted without a trace by comparing keys."""
        spec, client = self.spec, self._client()
        self.run.strategy = "reconcile"
        if not spec.hard_deletes:
            return
        if spec.endpoint and spec.listable:
            async for page in _prefetch(client.pages(spec.endpoint, dict(spec.params))):
                self.counts.pages += 1
                self._see(page)
        elif spec.query and await self._queries_allowed(state):
            sql = f"SELECT {spec.key} FROM {spec.query.table} ORDER BY {spec.key}"  # noqa: S608
            try:
                async for page in client.short_query(sql, page_size=QUERY_PAGE):
                    self.counts.pages += 1
                    self._see(page)
            except QueriesNotPermitted:
                await self._queries_denied(state)
                await self._read_children(state, everything=True)
                return
        elif spec.per_parent:
            await self._read_children(state, everything=True)
            return
        else:
            return
        await self._mark_unseen_deleted(None)

    def _see(self, page: Iterable[Mapping[str, Any]]) -> None:
        for raw in page:
            pms_id = self.mapper.pms_id(raw)
            if pms_id is not None:
                self.seen.add(pms_id)

    async def _mark_unseen_deleted(self, scope: tuple[PerParent, list[uuid.UUID]] | None) -> None:
        """After a complete read (of everything, or of some parents' children), rows we hold
        that Open Dental no longer has were deleted there."""
        await self._stored()
        spec, table = self.spec, self.table
        if not spec.hard_deletes:
            return
        stmt = select(table.c.pms_id).where(
            table.c.tenant_id == self.run.tenant_id,
            table.c.clinic_id == self.run.clinic_id,
            table.c.pms_source == PMS_SOURCE,
            table.c.pms_deleted_at.is_(None),
        )
        if spec.pms_id_prefix:
            stmt = stmt.where(table.c.pms_id.startswith(spec.pms_id_prefix))
        if scope is not None:
            relation, parent_ids = scope
            column = next(r.column for r in spec.refs if r.entity == relation.parent)
            stmt = stmt.where(table.c[column].in_(parent_ids))
        gone = [
            pms_id
            for pms_id in (await self.session.execute(stmt)).scalars()
            if pms_id not in self.seen
        ]
        for start in range(0, len(gone), 500):
            await self.session.execute(
                update(table)
                .where(
                    table.c.tenant_id == self.run.tenant_id,
                    table.c.clinic_id == self.run.clinic_id,
                    table.c.pms_source == PMS_SOURCE,
                    table.c.pms_id.in_(gone[start : start + 500]),
                )
                .values(pms_deleted_at=self.now, last_synced_at=self.now)
            )
        self.counts.deleted += len(gone)
        await self.session.commit()

    # ------------------------------------------------------------------ writing
    async def _write_page(self, page: list[dict[str, Any]], fetched: int = 1) -> None:
        """Map the page, then store it in the background: while the database works on it, the
        next page is fetched and mapped (the database lets go of the GIL meanwhile). Pages are
        stored in order. A page of nothing but rows that goes straight to the driver (SQLite)
        is queued behind the page before it, so the database's thread moves from one page to
        the next without a round trip through the event loop; at most two are in flight.
        `_stored` waits for them before the session is used."""
        self.counts.pages += fetched
        self._see(page)
        batches = [
            await self._map(page[start : start + WRITE_BATCH])
            for start in range(0, max(len(page), 1), WRITE_BATCH)
        ]
        only_rows = self._only_rows(batches)
        writer = await self._writer() if only_rows else None
        direct = only_rows and (writer is not None or await direct_commits(self.session))
        await self._stored(keep=1 if direct and all(d for _, d in self.storing) else 0)
        store = self._store_rows(batches, writer) if only_rows else self._store_page(batches)
        self.storing.append((asyncio.ensure_future(store), direct))
        await asyncio.sleep(0)  # the page reaches the database now, not after the next one

    async def _writer(self) -> AsyncConnection | None:
        """PostgreSQL, when the run has a database of its own to connect to (not a test's
        single connection): the connection this page's rows are written on, the other one
        than the page before's. While one page is merged and committed, the next is copied
        in on the other connection: the server works on both (pages hold different rows)
        instead of waiting for this process between statements."""
        if self.writers is None:
            bind = self.env.sessionmaker.kw.get("bind")
            self.writers = []
            if isinstance(bind, AsyncEngine) and bind.dialect.name == "postgresql":
                self.writers = [await bind.connect(), await bind.connect()]
        if not self.writers:
            return None
        self.writers.reverse()  # the one the page before did not use
        return self.writers[0]

    async def _stored(self, keep: int = 0) -> None:
        """Wait until at most `keep` pages are being stored; a failure is the run's."""
        while len(self.storing) > keep:
            future, _ = self.storing[0]
            await future
            del self.storing[0]

    async def _store_rows(self, batches: list[_Mapped], writer: AsyncConnection | None) -> None:
        """The common page: rows to upsert and nothing else to record. One transaction of its
        own (on SQLite a single call into the driver's thread), with the run's progress."""
        upserts = [upsert for batch in batches for upsert in batch.upserts]
        target = self.session if writer is None else writer
        for result in await commit_upserts(target, upserts, also=self._progress()):
            self._count(result)
        if self.progress is not None:
            self.progress(self.counts)

    async def _store_page(self, batches: list[_Mapped]) -> None:
        """A page with errors, parked records or rows that may resolve or conflict with
        something: through the session, with the run's counts."""
        for batch in batches:
            await self._store(batch)
        self._copy_counts()
        self.counts_saved_at = asyncio.get_running_loop().time()
        await self.session.commit()
        if self.progress is not None:
            self.progress(self.counts)

    def _progress(self) -> Any:
        """The run's counts for its row, once a second, so that its progress can be watched."""
        now = asyncio.get_running_loop().time()
        if now - self.counts_saved_at < PROGRESS_SECONDS:
            return None
        self.counts_saved_at = now
        run = self.run
        return (
            update(SyncRun.__table__)  # type: ignore[arg-type]
            .where(SyncRun.id == run.id, SyncRun.tenant_id == run.tenant_id)
            .values(self._run_counts())
        )

    def _only_rows(self, batches: list[_Mapped]) -> bool:
        """Nothing but upserts to store: no errors or parked records, no local edits that
        could conflict, no open errors or parked entries the rows could resolve."""
        if self.local_edits or self.pending_keys or self.open_errors:
            return False
        return not any(batch.errors or batch.parked for batch in batches)

    def _count(self, result: UpsertResult) -> None:
        self.counts.inserted += result.inserted
        self.counts.updated += result.updated
        self.counts.unchanged += result.unchanged

    async def _write(self, records: Sequence[Mapping[str, Any]]) -> None:
        await self._store(await self._map(records))

    async def _map(self, records: Sequence[Mapping[str, Any]]) -> _Mapped:
        mapped = _Mapped()
        rows, errors, parked = mapped.rows, mapped.errors, mapped.parked
        map_one = self.mapper.map
        for count, raw in enumerate(records, 1):
            try:
                row, waiting = map_one(raw)
            except ValueError as exc:
                errors.append((self.mapper.pms_id(raw), str(exc), raw))
                continue
            if waiting is not None:
                parked.append((row["pms_id"], waiting, f"waiting for {waiting}", raw))
            else:
                rows.append(row)
            if count % MAP_SLICE == 0:
                await asyncio.sleep(0)  # let the page being stored move on to its next statement
        if rows:
            mapped.upserts = prepare_upsert(
                self.session,
                self.spec.model,
                rows,
                conflict_columns=NATURAL_KEY,
                update_columns=self._update_columns(),
                compare_columns=self._compare_columns(),
                merge=self._merge_rules(),
                batch_size=WRITE_BATCH,
            )
        return mapped

    async def _store(self, mapped: _Mapped) -> None:
        rows, errors, parked = mapped.rows, mapped.errors, mapped.parked
        if rows:
            await self._detect_conflicts(rows)
            for upsert in mapped.upserts:
                self._count(await upsert.write(self.session))
            await self._resolve([row["pms_id"] for row in rows])
        if errors:
            self.counts.failed += len(errors)
            await self._keep_errors(errors)
        if parked:
            self.counts.parked += len(parked)
            await self._park(parked)

    def _update_columns(self) -> list[str]:
        return [
            *self.mapper.columns,
            "pms_updated_at",
            "last_synced_at",
            "pms_deleted_at",
            "local_modified_at",
        ]

    def _compare_columns(self) -> list[str]:
        return [
            *self.mapper.columns,
            "pms_updated_at",
            "pms_deleted_at",
            "local_modified_at",
        ]

    def _merge_rules(self) -> dict[str, Any]:
        rules: dict[str, Any] = {"pms_deleted_at": _first_deletion}
        for column in self.spec.local_columns:
            rules[column] = _keep_local
        return rules

    async def _detect_conflicts(self, rows: list[dict[str, Any]]) -> None:
        if not self.local_edits:
            return
        for row in rows:
            local = self.local_edits.pop(row["pms_id"], None)
            if local is None:
                continue
            for column in self.mapper.columns:
                if column in self.spec.local_columns or local[column] == row.get(column):
                    continue
                self.session.add(
                    SyncConflict(
                        clinic_id=self.run.clinic_id,
                        entity=self.spec.name,
                        record_id=local["id"],
                        pms_id=row["pms_id"],
                        field=column,
                        local_value=_jsonable(local[column]),
                        pms_value=_jsonable(row.get(column)),
                        run_id=self.run.id,
                    )
                )

    # ------------------------------------------------------------------ errors and parking
    async def _keep_errors(self, errors: list[tuple[str | None, str, Mapping[str, Any]]]) -> None:
        await self._upsert_issues(
            SyncError,
            [
                {
                    "record_key": pms_id or _digest(raw),
                    "pms_id": pms_id,
                    "reason": reason[:500],
                    "payload": _jsonable_payload(raw),
                }
                for pms_id, reason, raw in errors
            ],
        )

    async def _park(self, parked: list[tuple[str, str, str, Mapping[str, Any]]]) -> None:
        await self._upsert_issues(
            SyncPending,
            [
                {
                    "record_key": pms_id,
                    "pms_id": pms_id,
                    "reason": reason,
                    "waiting_for": waiting,
                    "payload": _jsonable_payload(raw),
                }
                for pms_id, waiting, reason, raw in parked
            ],
        )

    async def _upsert_issues(self, model: type[Any], items: list[dict[str, Any]]) -> None:
        now = utcnow()
        rows = [
            {
                **item,
                "clinic_id": self.run.clinic_id,
                "entity": self.spec.name,
                "first_seen_at": now,
                "last_seen_at": now,
                "resolved_at": None,
                "run_id": self.run.id,
            }
            for item in items
        ]
        update_columns = ["pms_id", "reason", "payload", "last_seen_at", "resolved_at", "run_id"]
        if model is SyncPending:
            update_columns.append("waiting_for")
        await bulk_upsert(
            self.session,
            model,
            rows,
            conflict_columns=("tenant_id", "clinic_id", "entity", "record_key"),
            update_columns=update_columns,
            compare_columns=(),
        )
        if model is SyncError:
            self.open_errors = True

    async def _resolve(self, pms_ids: list[str]) -> None:
        """Records that now stored cleanly close their open errors and parked entries."""
        now = utcnow()
        models: list[type[SyncError] | type[SyncPending]] = (
            [SyncPending] if self.pending_keys else []
        )
        if self.open_errors:
            models.append(SyncError)
        for model in models:
            keys = pms_ids if model is SyncError else [k for k in pms_ids if k in self.pending_keys]
            for start in range(0, len(keys), 500):
                await self.session.execute(
                    update(model)
                    .where(
                        model.clinic_id == self.run.clinic_id,
                        model.entity == self.spec.name,
                        model.record_key.in_(keys[start : start + 500]),
                        model.resolved_at.is_(None),
                    )
                    .values(resolved_at=now)
                    .execution_options(synchronize_session=False)
                )

    async def _retry_pending(self) -> None:
        """Parked records go first: their parents may have arrived since."""
        pending = (
            (
                await self.session.execute(
                    select(SyncPending).where(
                        SyncPending.clinic_id == self.run.clinic_id,
                        SyncPending.entity == self.spec.name,
                        SyncPending.resolved_at.is_(None),
                    )
                )
            )
            .scalars()
            .all()
        )
        self.pending_keys = {p.record_key for p in pending}
        if not pending:
            await self.session.commit()  # hold no transaction while waiting for Open Dental
            return
        payloads = [p.payload for p in pending]
        for start in range(0, len(payloads), WRITE_BATCH):
            await self._write(payloads[start : start + WRITE_BATCH])
        # Retried records are counted by this run only if they still wait.
        await self.session.commit()

    def _client(self) -> OpenDentalClient:
        assert self.client is not None
        return self.client


async def _prefetch(
    pages: AsyncIterator[list[dict[str, Any]]],
) -> AsyncIterator[list[dict[str, Any]]]:
    """Ask for the next page while the current one is being written."""
    iterator = aiter(pages)
    pending: asyncio.Task[list[dict[str, Any]]] | None = asyncio.ensure_future(anext(iterator))
    try:
        while pending is not None:
            try:
                page = await pending
            except StopAsyncIteration:
                return
            pending = asyncio.ensure_future(anext(iterator))
            yield page
    finally:
        if pending is not None and not pending.done():
            pending.cancel()
            try:
                await pending
            except (asyncio.CancelledError, StopAsyncIteration, Exception):  # noqa: BLE001
                pass


async def _gathered(
    pages: AsyncIterator[list[dict[str, Any]]],
) -> AsyncIterator[tuple[list[dict[str, Any]], int]]:
    """ShortQuery's 100-row pages written 1,000 rows at a time, with how many pages each
    holds: a page is a transaction, and committing is a good part of writing 100 rows."""
    held: list[dict[str, Any]] = []
    count = 0
    async for page in pages:
        held.extend(page)
        count += 1
        if len(held) >= WRITE_BATCH:
            yield held, count
            held, count = [], 0
    if count:
        yield held, count


def _first_deletion(old: Any, new: Any) -> Any:
    """A row deleted in Open Dental keeps the moment we first saw it deleted."""
    return case((new.is_(None), None), else_=func.coalesce(old, new))


def _keep_local(old: Any, new: Any) -> Any:
    """A local column is set by the first sight of the row (or while it is still empty)."""
    return func.coalesce(old, new)


def _server_time(page: Sequence[Mapping[str, Any]]) -> str | None:
    for raw in page:
        value = raw.get("serverDateTime") if isinstance(raw, Mapping) else None
        try:
            moment = timestamp(value)
        except ValueError:
            continue
        if moment is not None:
            return od_datetime_text(moment)
    return None


def _max_stamp(
    current: datetime | None, page: Sequence[Mapping[str, Any]], stamp: str | None
) -> datetime | None:
    if stamp is None:
        return current
    for raw in page:
        try:
            moment = timestamp(raw.get(stamp)) if isinstance(raw, Mapping) else None
        except ValueError:
            continue
        if moment is not None and (current is None or moment > current):
            current = moment
    return current


def _overlapped(newest: datetime | None, overlap: timedelta) -> str | None:
    return None if newest is None else od_datetime_text(newest - overlap)


def _safe_stamp(value: str) -> str:
    moment = timestamp(value)
    if moment is None:
        raise ValueError("empty cursor")
    return od_datetime_text(moment)


def _digest(raw: Any) -> str:
    return (
        "sha256:" + hashlib.sha256(orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)).hexdigest()[:64]
    )


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def _jsonable_payload(raw: Any) -> Any:
    return orjson.loads(orjson.dumps(raw, default=str))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, asyncio.CancelledError):
        return "The run was interrupted."
    if isinstance(exc, OpenDentalError | ValueError):
        return str(exc)[:1000]
    return f"Unexpected error ({type(exc).__name__})."
