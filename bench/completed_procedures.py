"""Reading completed procedures at scale, through the HTTP API, on PostgreSQL.

Builds 1,000,000 procedures over 50 tenants (each tenant's rows scattered over the table, as
after months of syncing), serves the app with `crowndesk serve` in its own process, and
times with p50/p95 over real HTTP:
  - the first page of a filtered list (unbilled, one year, newest first),
  - a page 5,000 rows deep reached by keyset cursor,
  - the statistics of one tenant (all time).
Beside each, the database's own time for the statements that request ran (EXPLAIN ANALYZE
execution time, summed), to show what the app, the driver and HTTP add.

    .venv/bin/python bench/completed_procedures.py [--rows 1000000] [--tenants 50]
        [--postgres postgresql://postgres@127.0.0.1:5432/postgres] [--requests 200]
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from crowndesk.db.migrate import upgrade

PASSWORD = "bench-password-123"
STATUS_MIX = [
    ("paid", 40),
    ("claimed", 20),
    ("pending_claim", 10),
    ("unbilled", 24),
    ("denied", 3),
    ("write_off", 3),
]
CODES = [("D0120", "Periodic oral evaluation"), ("D1110", "Prophylaxis - adult"),
         ("D2391", "Resin composite, one surface, posterior"), ("D2740", "Crown - porcelain"),
         ("D0274", "Bitewings - four films"), ("D7140", "Extraction, erupted tooth")]  # fmt: skip


def _database(server: str, name: str) -> str:
    admin = create_sync_engine(
        make_url(server).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(url: str, data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {
        **os.environ,
        "CROWNDESK_DATABASE_URL": url,
        "CROWNDESK_SECRET_KEY": "bench-secret-" + "z" * 40,
        "CROWNDESK_DATA_DIR": str(data_dir),
        "CROWNDESK_ALLOW_SIGNUP": "true",
        "CROWNDESK_JOBS_RUNNER": "off",
        "CROWNDESK_LOG_LEVEL": "WARNING",
    }
    exe = Path(sys.executable).with_name("crowndesk")
    proc = subprocess.Popen(
        [str(exe), "serve", "--port", str(port), "--no-migrate"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(f"{base}/api/health").status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


def _register(client: httpx.Client, n: int) -> list[dict[str, Any]]:
    orgs = []
    for i in range(n):
        body = {
            "organizationName": f"Bench Dental {i}",
            "email": f"owner{i}-{uuid.uuid4().hex[:6]}@bench-dental.com",
            "password": PASSWORD,
            "fullName": "Bench Owner",
        }
        tokens = client.post("/api/auth/register", json=body).json()
        headers = {"Authorization": f"Bearer {tokens['accessToken']}"}
        clinic = client.post(
            "/api/clinics",
            json={"name": f"Clinic {i}", "timezone": "America/Chicago"},
            headers=headers,
        ).json()
        orgs.append(
            {"tenant": tokens["user"]["tenantId"], "clinic": clinic["id"], "headers": headers}
        )
        client.cookies.clear()
    return orgs


def _sign_in(client: httpx.Client, url: str) -> list[dict[str, Any]]:
    """The tenants of a database built before, signed in again."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn:
        found = conn.execute(
            "SELECT u.email, u.tenant_id, c.id FROM users u JOIN clinics c USING (tenant_id)"
            " WHERE u.email LIKE '%@bench-dental.com' ORDER BY u.email"
        ).fetchall()
    orgs = []
    for email, tenant, clinic in found:
        login = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}
        orgs.append({"tenant": str(tenant), "clinic": str(clinic), "headers": headers})
        client.cookies.clear()
    print(f"reusing {len(orgs)} tenants")
    return orgs


def _copy(
    conn: psycopg.Connection[Any], table: str, columns: list[str], rows: list[tuple[Any, ...]]
) -> None:
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _fill(url: str, orgs: list[dict[str, Any]], total: int, seed: int) -> None:
    """Providers, codes and patients per tenant, then every procedure in one shuffled COPY."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    today = date.today()  # noqa: DTZ011 (dates of service)
    per_tenant = total // len(orgs)
    statuses = [s for s, w in STATUS_MIX for _ in range(w)]
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn:
        procedures: list[tuple[Any, ...]] = []
        for t, org in enumerate(orgs):
            tenant, clinic = uuid.UUID(org["tenant"]), uuid.UUID(org["clinic"])
            meta = (tenant, clinic, "opendental")
            providers = [uuid.uuid4() for _ in range(4)]
            _copy(conn, "providers",
                  ["id", "tenant_id", "clinic_id", "pms_source", "pms_id", "created_at", "updated_at",
                   "first_name", "last_name", "is_hygienist", "is_hidden", "is_not_person", "status"],
                  [(p, *meta, str(i + 1), now, now, "Pat", f"Provider{i}", False, False, False, "active")
                   for i, p in enumerate(providers)])  # fmt: skip
            codes = [uuid.uuid4() for _ in CODES]
            _copy(conn, "procedure_codes",
                  ["id", "tenant_id", "clinic_id", "pms_source", "pms_id", "created_at", "updated_at",
                   "code", "description", "is_hygiene", "is_prosthesis", "no_bill_insurance",
                   "is_radiology", "is_active"],
                  [(c, *meta, str(i + 1), now, now, CODES[i][0], CODES[i][1], False, False, False,
                    False, True) for i, c in enumerate(codes)])  # fmt: skip
            patients = [uuid.uuid4() for _ in range(max(per_tenant // 25, 10))]
            _copy(conn, "patients",
                  ["id", "tenant_id", "clinic_id", "pms_source", "pms_id", "created_at", "updated_at",
                   "first_name", "last_name", "status", "name_key"],
                  [(p, *meta, str(i + 1), now, now, "Alex", f"Patient{t}x{i}", "patient",
                    f"patient{t}x{i} alex") for i, p in enumerate(patients)])  # fmt: skip
            for i in range(per_tenant):
                c = rng.randrange(len(CODES))
                procedures.append((
                    uuid.uuid4(), *meta, str(i + 1), now, now, now, rng.choice(patients),
                    codes[c], rng.choice(providers), CODES[c][0], CODES[c][1],
                    today - timedelta(days=rng.randrange(3 * 365)), str(rng.randrange(1, 33)),
                    Decimal(rng.randrange(5000, 150000)) / 100, "completed", rng.choice(statuses),
                    f"{CODES[c][0].lower()} {CODES[c][1].lower()}",
                ))  # fmt: skip
        rng.shuffle(procedures)  # a tenant's rows scattered over the whole table
        _copy(conn, "procedures",
              ["id", "tenant_id", "clinic_id", "pms_source", "pms_id", "last_synced_at",
               "created_at", "updated_at", "patient_id", "procedure_code_id", "provider_id", "code",
               "description", "proc_date", "tooth_number", "fee", "status", "billing_status",
               "search_key"], procedures)  # fmt: skip
        conn.commit()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def _time(client: httpx.Client, url: str, headers: dict[str, str], n: int) -> list[float]:
    for _ in range(5):
        client.get(url, headers=headers).raise_for_status()  # warm
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url, headers=headers)
        samples.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return samples


def _path(query: dict[str, Any] | None) -> str:
    if query is None:
        return "/api/completed-procedures/stats"
    return "/api/completed-procedures?limit=50&" + "&".join(f"{k}={v}" for k, v in query.items())


def _cursor_at(
    client: httpx.Client, headers: dict[str, str], query: dict[str, Any], depth: int
) -> str:
    """The cursor of the page that starts `depth` rows into the list."""
    cursor, seen = None, 0
    while seen < depth:
        page = client.get(_path({**query, **({"cursor": cursor} if cursor else {})}),
                          headers=headers).json()  # fmt: skip
        seen += len(page["items"])
        cursor = page["nextCursor"]
        if cursor is None:
            raise SystemExit(f"only {page['total']:,} rows match; use more --rows")
    print(f"rows of the tenant matching the deep filter: {page['total']:,}")
    return str(cursor)


def _database_time(url: str, tenant: str, query: dict[str, Any] | None, n: int) -> list[float]:
    """Run the service behind `path` in-process, capture its SQL, and sum EXPLAIN ANALYZE
    execution times of those statements, `n` times."""
    import asyncio

    from crowndesk.core.context import Context, Role
    from crowndesk.db.engine import create_engine, create_sessionmaker, unit_of_work
    from crowndesk.procedures import service
    from crowndesk.procedures.models import BillingStatus
    from crowndesk.procedures.schemas import CompletedSort

    captured: list[tuple[str, Any]] = []

    async def capture() -> None:
        engine = create_engine(url)

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def grab(conn: Any, cursor: Any, statement: str, params: Any, *args: Any) -> None:
            if statement.lstrip().upper().startswith("SELECT"):
                captured.append((statement, params))

        ctx = Context(tenant_id=uuid.UUID(tenant), user_id=None, roles=frozenset({Role.owner}))
        async with unit_of_work(create_sessionmaker(engine), ctx) as session:
            if query is None:
                await service.completed_stats(session)
            else:
                filters = service.CompletedFilters(
                    billing_statuses=(BillingStatus(query["billingStatus"]),),
                    date_from=query["dateFrom"],
                    date_to=query["dateTo"],
                )
                await service.list_completed(
                    session, filters, sort=CompletedSort.proc_date_desc, limit=50,
                    cursor=query.get("cursor"),
                )  # fmt: skip
            await session.rollback()
        await engine.dispose()

    asyncio.run(capture())
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    totals = []
    with psycopg.connect(dsn) as conn:
        for _ in range(n):
            total = 0.0
            for statement, params in captured:
                plan = conn.execute(
                    f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", params
                ).fetchone()
                assert plan is not None
                total += plan[0][0]["Execution Time"]
            totals.append(total)
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--tenants", type=int, default=50)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the database a previous run built"
    )
    args = parser.parse_args()

    name = "crowndesk_bench_completed"
    if args.reuse:
        url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
    else:
        url = _database(args.postgres, name)
    upgrade(url)
    with tempfile.TemporaryDirectory() as tmp:
        server, base = _serve(url, Path(tmp))
        try:
            with httpx.Client(base_url=base, timeout=60) as client:
                if args.reuse:
                    orgs = _sign_in(client, url)
                else:
                    started = time.perf_counter()
                    orgs = _register(client, args.tenants)
                    _fill(url, orgs, args.rows, args.seed)
                    print(f"built {args.rows:,} procedures over {args.tenants} tenants "
                          f"in {time.perf_counter() - started:.0f} s")  # fmt: skip
                org = orgs[len(orgs) // 2]
                today = date.today()  # noqa: DTZ011 (dates of service)
                first = {"billingStatus": "unbilled", "dateFrom": today - timedelta(days=365),
                         "dateTo": today}  # fmt: skip
                deep = {"billingStatus": "paid", "dateFrom": today - timedelta(days=3 * 365),
                        "dateTo": today}  # fmt: skip
                cursor = _cursor_at(client, org["headers"], deep, 5000)
                cases = [
                    ("list, first page", first, 15),
                    ("list, 5,000 deep by cursor", {**deep, "cursor": cursor}, 15),
                    ("stats, all time", None, 20),
                ]
                print(f"\n{'query':30} {'HTTP p50':>9} {'HTTP p95':>9} {'goal':>6} "
                      f"{'DB p50':>8} {'DB p95':>8}")  # fmt: skip
                for name, query, goal in cases:
                    path = _path(query)
                    p50, p95 = _percentiles(_time(client, path, org["headers"], args.requests))
                    db = _database_time(url, org["tenant"], query, max(args.requests // 4, 20))
                    d50, d95 = _percentiles(db)
                    flag = "ok" if p95 < goal else "MISS"
                    print(f"{name:30} {p50:7.2f}ms {p95:7.2f}ms {goal:4d}ms {d50:6.2f}ms "
                          f"{d95:6.2f}ms  {flag} (p95 {p95 / goal:.0%} of goal)")  # fmt: skip
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
