"""Sync throughput against the sandbox, as a fraction of what this machine allows.

Unthrottled (local API mode, 1,000-row pages): a full sync of an N-patient practice into
SQLite and PostgreSQL, against the lesser of two ceilings measured in the same run — the
sandbox's raw paging rate (fetch and decode only, every entity) and the database's raw
upsert rate for the same rows through the bare driver (stdlib sqlite3 executemany; psycopg
COPY into a temporary table + `INSERT .. SELECT .. ON CONFLICT`), values converted beforehand.
Our `bulk_upsert` alone on the same rows is printed beside it. On PostgreSQL, where the sync
writes its pages on two connections, the bare-driver upsert on two connections is printed too,
with the ratio against it. Throttled (remote mode, 100-row pages): the requests an
incremental sync needs after a simulated stretch of practice activity, against the floor of
one request per 100 changed rows plus one per entity, and the time to freshness at 1 req/s.

    .venv/bin/python bench/sync_full.py [--patients 10000] [--postgres postgresql://postgres@127.0.0.1/postgres]

The sandbox runs in its own process (`crowndesk odsim serve`), as Open Dental would.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import Table, select, text
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import make_url

from crowndesk.auth.models import Tenant
from crowndesk.clinics.models import Clinic, ConnectionMode
from crowndesk.core.context import Context
from crowndesk.core.crypto import SecretBox
from crowndesk.db.engine import create_engine, create_sessionmaker, unit_of_work
from crowndesk.db.migrate import upgrade
from crowndesk.db.tenancy import set_tenant, unscoped
from crowndesk.db.upsert import bulk_upsert
from crowndesk.odsim.server import free_port
from crowndesk.pms.opendental.client import ConnectionSettings, OpenDentalClient
from crowndesk.pms.sync import service as sync_service
from crowndesk.pms.sync.engine import QUERY_PAGE, SyncEnv, execute_run
from crowndesk.pms.sync.models import RunMode
from crowndesk.pms.sync.registry import ENTITIES, ENTITY_NAMES

DEV, CUST = "odsim-developer", "odsim-customer"
SECRET = "bench-secret-" + "z" * 40


def start_sandbox(patients: int, mode: str, workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    db = workdir / f"sandbox-{patients}-{mode}.db"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crowndesk.odsim",
            "serve",
            "--patients",
            str(patients),
            "--port",
            str(port),
            "--mode",
            mode,
            "--db",
            str(db),
            "--log-level",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            httpx.get(base + "/_sandbox/stats", timeout=1)
            return proc, base
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("sandbox did not start")


def new_database(kind: str, label: str, workdir: Path, server: str | None) -> str:
    if kind == "sqlite":
        path = workdir / f"{label}.db"
        path.unlink(missing_ok=True)
        return f"sqlite+aiosqlite:///{path}"
    assert server is not None
    name = f"crowndesk_bench_{label}"
    admin = create_sync_engine(
        make_url(server).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return (
        make_url(server)
        .set(drivername="postgresql+psycopg", database=name)
        .render_as_string(hide_password=False)
    )


async def connect(env: SyncEnv, base: str, mode: ConnectionMode) -> tuple[uuid.UUID, uuid.UUID]:
    async with env.sessionmaker() as session, session.begin():
        with unscoped(session):
            tenant = Tenant(name="Bench Dental")
            session.add(tenant)
            await session.flush()
            clinic = Clinic(
                tenant_id=tenant.id,
                name="Bench",
                timezone="America/Chicago",
                od_base_url=base + "/api/v1",
                od_developer_key_enc=env.box.encrypt(DEV),
                od_customer_key_enc=env.box.encrypt(CUST),
                od_customer_key_last4=CUST[-4:],
                od_sync_enabled=True,
                od_mode=mode,
                od_request_interval_ms=0,
            )
            session.add(clinic)
            await session.flush()
            return tenant.id, clinic.id


async def sync_all(
    env: SyncEnv, tenant_id: uuid.UUID, clinic_id: uuid.UUID, mode: RunMode
) -> tuple[float, list[Any]]:
    ctx = Context(tenant_id=tenant_id, user_id=None, roles=frozenset())
    started = time.perf_counter()
    async with unit_of_work(env.sessionmaker, ctx) as session:
        runs = await sync_service.request_runs(
            session, env.engine, entities=ENTITY_NAMES, clinic_id=clinic_id, mode=mode
        )
    done = [await execute_run(env, tenant_id, run.id) for run in runs]
    return time.perf_counter() - started, done


async def fetch_ceiling(base: str) -> tuple[float, int]:
    """Fetch and decode every record the initial sync reads, with no database work."""
    settings = ConnectionSettings(base + "/api/v1", DEV, CUST, page_size=1000)
    records = 0
    started = time.perf_counter()
    async with OpenDentalClient(settings) as client:
        for spec in ENTITIES:
            if spec.endpoint and spec.listable:
                pages = client.pages(spec.endpoint, dict(spec.params))
            else:
                assert spec.query is not None
                sql = f"SELECT * FROM {spec.query.table} ORDER BY {spec.key}"  # noqa: S608
                pages = client.short_query(sql, page_size=QUERY_PAGE)
            async for page in pages:
                records += len(page)
    return records / (time.perf_counter() - started), records


KEY = ("tenant_id", "clinic_id", "pms_source", "pms_id")


async def stored_rows(
    source: SyncEnv, tenant_id: uuid.UUID
) -> list[tuple[Table, list[dict[str, Any]]]]:
    """Every row the sync stored, table by table (parents first), to write again elsewhere."""
    tables: list[tuple[Table, list[dict[str, Any]]]] = []
    async with source.sessionmaker() as session:
        with unscoped(session):
            for model in (Tenant, Clinic):
                rows = [
                    dict(r) for r in (await session.execute(select(model.__table__))).mappings()
                ]
                tables.append((model.__table__, rows))  # type: ignore[arg-type]
        set_tenant(session, tenant_id)
        for spec in ENTITIES:
            table: Table = spec.model.__table__  # type: ignore[assignment]
            if any(t is table for t, _ in tables):
                continue
            rows = [dict(r) for r in (await session.execute(select(table))).mappings()]
            tables.append((table, _parents_first(table, rows)))
    return tables


def _parents_first(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows that point at rows of their own table (a patient's guarantor) after those rows,
    so that batch-wise writing never meets a foreign key to a later batch."""
    own = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
    if not own:
        return rows
    return sorted(rows, key=lambda r: any(r[c] is not None and r[c] != r["id"] for c in own))


def _upsert_sql(table: Table, columns: list[str], dialect: str, source: str) -> str:
    """The plain upsert, as one would write it by hand: update what differs, else nothing."""
    update = [c for c in columns if c not in (*KEY, "id", "created_at")]
    distinct = " OR ".join(
        f"{table.name}.{c} IS DISTINCT FROM excluded.{c}"
        if dialect == "postgresql"
        else f"{table.name}.{c} IS NOT excluded.{c}"
        for c in update
    )
    return (
        f"INSERT INTO {table.name} ({', '.join(columns)}) {source} "
        f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in update)
        + f" WHERE {distinct}"
    )


def _driver_values(
    table: Table, rows: list[dict[str, Any]], columns: list[str], dialect: Any
) -> list[tuple[Any, ...]]:
    processors = [table.c[c].type._cached_bind_processor(dialect) for c in columns]
    return [
        tuple(
            p(row[c]) if p is not None and row[c] is not None else row[c]
            for c, p in zip(columns, processors, strict=True)
        )
        for row in rows
    ]


Prepared = list[tuple[Table, list[str], list[tuple[Any, ...]]]]


def _prepared(
    kind: str, target_url: str, tables: list[tuple[Table, list[dict[str, Any]]]]
) -> Prepared:
    """A fresh database for the ceiling, and the rows converted for its bare driver."""
    upgrade(target_url)
    engine = create_sync_engine(
        make_url(target_url).set(drivername="sqlite" if kind == "sqlite" else "postgresql+psycopg")
    )
    prepared = [
        (table, list(rows[0]), _driver_values(table, rows, list(rows[0]), engine.dialect))
        for table, rows in tables
        if rows
    ]
    engine.dispose()
    return prepared


def _copy_plain(
    conn: psycopg.Connection[Any], table: Table, columns: list[str], values: Any
) -> None:
    """Tenants and clinics: copied in as they are."""
    with (
        conn.cursor() as cur,
        cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in values:
            copy.write_row(row)
    conn.commit()


def raw_write_ceiling(
    kind: str, target_url: str, tables: list[tuple[Table, list[dict[str, Any]]]]
) -> tuple[float, int]:
    """The database's own upsert rate for these rows through the bare driver, values already
    converted (not timed): stdlib sqlite3 executemany on SQLite; on PostgreSQL psycopg COPY
    into a temporary table and one `INSERT .. SELECT .. ON CONFLICT DO UPDATE` per 1,000 rows.
    Commit per 1,000 rows, as the sync commits per page."""
    prepared = _prepared(kind, target_url, tables)
    count = 0
    if kind == "sqlite":
        path = make_url(target_url).database
        assert path is not None
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA journal_mode=WAL")
        started = time.perf_counter()
        for table, columns, values in prepared:
            sql = _upsert_sql(
                table, columns, "sqlite", "VALUES (" + ", ".join("?" * len(columns)) + ")"
            )
            if table.name in ("tenants", "clinics"):
                sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            for start in range(0, len(values), 1000):
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(sql, values[start : start + 1000])
                conn.execute("COMMIT")
            if table.name not in ("tenants", "clinics"):
                count += len(values)
        elapsed = time.perf_counter() - started
        conn.close()
        return count / elapsed, count
    url = make_url(target_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as conn:
        started = time.perf_counter()
        for table, columns, values in prepared:
            column_list = ", ".join(columns)
            if table.name in ("tenants", "clinics"):
                _copy_plain(conn, table, columns, values)
                continue
            staged = f"staged_{table.name}"
            conn.execute(
                f"CREATE TEMPORARY TABLE {staged} AS SELECT {column_list} FROM {table.name} WITH NO DATA"
            )
            sql = _upsert_sql(table, columns, "postgresql", f"SELECT {column_list} FROM {staged}")
            for start in range(0, len(values), 1000):
                with conn.cursor() as cur:
                    cur.execute(f"DELETE FROM {staged}")
                    with cur.copy(f"COPY {staged} ({column_list}) FROM STDIN") as copy:
                        for row in values[start : start + 1000]:
                            copy.write_row(row)
                    cur.execute(sql)
                conn.commit()
            count += len(values)
        elapsed = time.perf_counter() - started
    return count / elapsed, count


def raw_write_ceiling_two_connections(
    target_url: str, tables: list[tuple[Table, list[dict[str, Any]]]]
) -> tuple[float, int]:
    """PostgreSQL only: the same bare-driver upsert on two connections at once, each taking
    every other 1,000-row batch of a table (the sync writes its pages that way), tables one
    after the other so that parents are in before their children."""
    prepared = _prepared("postgresql", target_url, tables)
    url = make_url(target_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connections = [psycopg.connect(url), psycopg.connect(url)]

    def write(
        conn: psycopg.Connection[Any], table: Table, columns: list[str], batches: list[Any]
    ) -> None:
        column_list = ", ".join(columns)
        staged = f"staged_{table.name}"
        conn.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staged} AS SELECT {column_list} FROM {table.name} WITH NO DATA"
        )
        sql = _upsert_sql(table, columns, "postgresql", f"SELECT {column_list} FROM {staged}")
        for batch in batches:
            with conn.cursor() as cur:
                cur.execute(f"DELETE FROM {staged}")
                with cur.copy(f"COPY {staged} ({column_list}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
                cur.execute(sql)
            conn.commit()

    count = 0
    try:
        with ThreadPoolExecutor(2) as pool:
            started = time.perf_counter()
            for table, columns, values in prepared:
                if table.name in ("tenants", "clinics"):
                    _copy_plain(connections[0], table, columns, values)
                    continue
                batches = [values[i : i + 1000] for i in range(0, len(values), 1000)]
                list(
                    pool.map(
                        write,
                        connections,
                        [table] * 2,
                        [columns] * 2,
                        [batches[0::2], batches[1::2]],
                    )
                )
                count += len(values)
            elapsed = time.perf_counter() - started
    finally:
        for conn in connections:
            conn.close()
    return count / elapsed, count


async def upsert_rate(
    target_url: str, tables: list[tuple[Table, list[dict[str, Any]]]], tenant_id: uuid.UUID
) -> tuple[float, int]:
    """The same rows through our `bulk_upsert` alone (no fetching, no mapping)."""
    upgrade(target_url)
    engine = create_engine(target_url)
    target = create_sessionmaker(engine)
    count = 0
    started = time.perf_counter()
    async with target() as session:
        set_tenant(session, tenant_id)
        for table, rows in tables:
            if table.name in ("tenants", "clinics"):
                with unscoped(session):
                    await session.execute(table.insert(), rows)
                await session.commit()
                continue
            for start in range(0, len(rows), 1000):
                await bulk_upsert(session, table, rows[start : start + 1000], conflict_columns=KEY)
                await session.commit()
            count += len(rows)
    elapsed = time.perf_counter() - started
    await engine.dispose()
    return count / elapsed, count


async def unthrottled(
    kind: str, patients: int, base: str, workdir: Path, server: str | None
) -> None:
    url = new_database(kind, f"{kind}_sync", workdir, server)
    upgrade(url)
    engine = create_engine(url)
    env = SyncEnv(engine, create_sessionmaker(engine), SecretBox(SECRET))
    tenant_id, clinic_id = await connect(env, base, ConnectionMode.local)
    seconds, runs = await sync_all(env, tenant_id, clinic_id, RunMode.reset)
    failed = [r.entity for r in runs if r.state.value != "succeeded"]
    records = sum(r.inserted + r.updated + r.unchanged + r.failed + r.parked for r in runs)
    sync_rate = records / seconds
    fetch_rate, fetched = await fetch_ceiling(base)
    tables = await stored_rows(env, tenant_id)
    await engine.dispose()
    write_rate, written = raw_write_ceiling(
        kind, new_database(kind, f"{kind}_ceiling", workdir, server), tables
    )
    two_rate = None
    if kind == "postgresql":
        two_rate, _ = raw_write_ceiling_two_connections(
            new_database(kind, f"{kind}_ceiling2", workdir, server), tables
        )
    ours_rate, _ = await upsert_rate(
        new_database(kind, f"{kind}_ours", workdir, server), tables, tenant_id
    )
    ceiling = min(fetch_rate, write_rate)
    print(
        f"\n{kind}: full sync of a {patients:,}-patient practice (local API mode, 1,000-row pages)"
    )
    print(f"  records            {records:,} in {seconds:.1f} s  ({sync_rate:,.0f} records/s)")
    print(f"  requests           {sum(r.requests for r in runs):,}")
    print(f"  fetch ceiling      {fetch_rate:,.0f} records/s ({fetched:,} records, no database)")
    print(f"  write ceiling      {write_rate:,.0f} rows/s ({written:,} rows, bare driver upsert)")
    print(
        f"  bulk_upsert alone  {ours_rate:,.0f} rows/s ({ours_rate / write_rate:.0%} of the write ceiling)"
    )
    if two_rate is not None:
        print(f"  on two connections {two_rate:,.0f} rows/s (the same, every other batch on each)")
    print(f"  ratio              {sync_rate / ceiling:.0%} of the lesser ceiling")
    if two_rate is not None:
        print(
            f"  ratio (2 conns)    {sync_rate / min(fetch_rate, two_rate):.0%} of the lesser ceiling"
            " with writes on two connections, as the sync writes"
        )
    if failed:
        print(f"  FAILED runs: {failed}")


async def throttled(patients: int, workdir: Path) -> None:
    proc, base = start_sandbox(patients, "service", workdir)
    try:
        url = new_database("sqlite", "throttled", workdir, None)
        upgrade(url)
        engine = create_engine(url)
        env = SyncEnv(engine, create_sessionmaker(engine), SecretBox(SECRET))
        tenant_id, clinic_id = await connect(env, base, ConnectionMode.remote)
        await sync_all(env, tenant_id, clinic_id, RunMode.reset)
        async with httpx.AsyncClient(timeout=120) as http:
            await http.post(base + "/_sandbox/advance", json={"minutes": 240})
        _, runs = await sync_all(env, tenant_id, clinic_id, RunMode.incremental)
        changed = sum(r.inserted + r.updated + r.deleted for r in runs)
        requests = sum(r.requests for r in runs)
        floor = math.ceil(changed / 100) + len(runs)
        print(
            "\nthrottled: incremental sync after 4 simulated office hours (remote mode, 100-row pages)"
        )
        print(f"  changed rows       {changed:,} over {len(runs)} entities")
        print(
            f"  requests           {requests:,} (floor {floor:,}: one per 100 changed rows + one per entity; ratio {requests / floor:.2f})"
        )
        print(f"  time to freshness  {requests:,} s at 1 request/s ({requests / 60:.1f} min)")
        for run in runs:
            if run.requests > 1:
                print(
                    f"    {run.entity:<24} {run.requests:>4} requests  {run.inserted + run.updated + run.deleted:>6} changed  ({run.strategy})"
                )
        await engine.dispose()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--postgres", default=os.environ.get("CROWNDESK_TEST_DATABASE_URL"))
    parser.add_argument("--throttled-patients", type=int, default=2_000, help="0: skip")
    parser.add_argument("--sqlite", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        proc, base = start_sandbox(args.patients, "local", workdir)
        try:
            if args.sqlite:
                await unthrottled("sqlite", args.patients, base, workdir, None)
            if args.postgres:
                await unthrottled("postgresql", args.patients, base, workdir, args.postgres)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        if args.throttled_patients:
            await throttled(args.throttled_patients, workdir)


if __name__ == "__main__":
    asyncio.run(main())
