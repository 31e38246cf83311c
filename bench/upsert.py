"""Bulk upsert throughput on SQLite (file) and PostgreSQL: rows/s into an empty table, and
with half the rows already there (half of those changed). Compare with the ceilings in
shared/reference/performance-notes.md.

    .venv/bin/python bench/upsert.py [--rows 50000] [--postgres postgresql://postgres@127.0.0.1/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Date, MetaData, Numeric, String, Table, UniqueConstraint, Uuid

from crowndesk.db.engine import create_engine, create_sessionmaker
from crowndesk.db.tenancy import set_tenant
from crowndesk.db.types import UTCDateTime, utcnow
from crowndesk.db.upsert import bulk_upsert

metadata = MetaData()
procedures = Table(
    "bench_procedures",
    metadata,
    Column("id", Uuid, primary_key=True, default=uuid.uuid4),
    Column("tenant_id", Uuid, nullable=False, index=True),
    Column("pms_id", String(20), nullable=False),
    Column("code", String(10), nullable=False),
    Column("proc_date", Date, nullable=False),
    Column("fee", Numeric(12, 2), nullable=False),
    Column("note", String(60)),
    Column("created_at", UTCDateTime, default=utcnow, nullable=False),
    Column("updated_at", UTCDateTime, default=utcnow, nullable=False),
    UniqueConstraint("tenant_id", "pms_id"),
)


def rows(start: int, count: int, fee: str) -> list[dict[str, Any]]:
    return [
        {
            "pms_id": str(i),
            "code": "D1110",
            "proc_date": date(2026, 1, 1),
            "fee": Decimal(fee),
            "note": "prophylaxis, adult, routine six-month recall",
        }
        for i in range(start, start + count)
    ]


async def run(url: str, total: int) -> None:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)
    maker = create_sessionmaker(engine)
    tenant = uuid.uuid4()

    async def timed(batch: list[dict[str, Any]]) -> tuple[float, Any]:
        started = time.perf_counter()
        async with maker() as session:
            set_tenant(session, tenant)
            result = await bulk_upsert(
                session, procedures, batch, conflict_columns=["tenant_id", "pms_id"]
            )
            await session.commit()
        return time.perf_counter() - started, result

    empty_s, first = await timed(rows(0, total, "95.00"))
    half = rows(total // 2, total // 4, "99.00") + rows(
        total // 2 + total // 4, total // 4, "95.00"
    )
    half += rows(total, total // 2, "95.00")
    half_s, second = await timed(half)
    name = engine.dialect.name
    print(f"{name:10} empty: {total / empty_s:8.0f} rows/s  ({first})")
    print(f"{name:10} half : {len(half) / half_s:8.0f} rows/s  ({second})")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1/postgres")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", args.rows))
    asyncio.run(run(args.postgres, args.rows))


if __name__ == "__main__":
    main()
