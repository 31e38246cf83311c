"""Server time of the web app's pages at demo size.

Builds what `crowndesk demo` builds (a 1,000-patient sandbox practice, fully synced, into a
fresh SQLite file, or PostgreSQL with --postgres), serves it with `crowndesk serve` in its own
process, signs in as the owner, and times every page over real HTTP (p50 / p95 / max of
--requests requests each). Figures, not assertions.

    .venv/bin/python bench/web_pages.py [--patients 1000] [--requests 30]
        [--postgres postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from rich.console import Console
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import text
from sqlalchemy.engine import make_url

from crowndesk.config import Settings, normalize_database_url
from crowndesk.db.migrate import upgrade
from crowndesk.odsim import SandboxConfig, SandboxServer
from crowndesk.ops import seed_demo
from crowndesk.pms.sync.commands import sync_command
from crowndesk.pms.sync.models import RunMode

EMAIL = "owner@bench.crowndesk.test"
PASSWORD = "bench-password-123"
SECRET = "bench-secret-key-" + "b" * 40


def _database(postgres: str | None, folder: Path) -> str:
    if postgres is None:
        return f"sqlite+aiosqlite:///{folder / 'web.db'}"
    server = normalize_database_url(postgres)
    admin = create_sync_engine(
        make_url(server).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "crowndesk_bench_web" WITH (FORCE)'))
        conn.execute(text('CREATE DATABASE "crowndesk_bench_web"'))
    admin.dispose()
    return make_url(server).set(database="crowndesk_bench_web").render_as_string(False)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _time(client: httpx.Client, path: str, requests: int) -> list[float]:
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--postgres", default=None)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="crowndesk-bench-web-"))
    url = _database(args.postgres, folder)
    upgrade(url)
    morning = datetime.now(ZoneInfo("America/Chicago")).replace(
        hour=8, minute=0, second=0, microsecond=0, tzinfo=None
    )
    sandbox = SandboxServer(
        SandboxConfig(patients=args.patients, seed=1, ticking=False, start=morning)
    )
    sandbox.start()
    settings = Settings(data_dir=folder, database_url=url, secret_key=SECRET, jobs_runner="off")
    asyncio.run(
        seed_demo(
            settings, "Bench Dental", EMAIL, PASSWORD, open_dental=(sandbox.api_url, *sandbox.keys)
        )
    )
    started = time.perf_counter()
    asyncio.run(sync_command(settings, Console(file=io.StringIO()), mode=RunMode.reset))
    print(f"{args.patients:,}-patient practice synced in {time.perf_counter() - started:.1f} s")

    port = _port()
    env = {
        **os.environ,
        "CROWNDESK_DATA_DIR": str(folder),
        "CROWNDESK_DATABASE_URL": url,
        "CROWNDESK_SECRET_KEY": SECRET,
        "CROWNDESK_JOBS_RUNNER": "off",
        "CROWNDESK_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "crowndesk.cli", "serve", "--no-migrate", "--port", str(port)],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            for _ in range(100):
                try:
                    if client.get("/api/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            login = client.post("/login", data={"email": EMAIL, "password": PASSWORD})
            assert login.status_code == 303, login.text
            listing = client.get("/patients").text
            patient = re.search(r'href="(/patients/[0-9a-f-]{36})"', listing)
            procedures = client.get("/procedures").text
            procedure = re.search(r'hx-get="(/procedures/[0-9a-f-]{36})"', procedures)
            pages = [
                "/",
                "/procedures",
                "/procedures?billing_status=unbilled&q=d2740",
                "/procedures?sort=patientName&offset=5000",
                procedure.group(1) if procedure else "/procedures",
                "/patients",
                "/patients?q=smith",
                patient.group(1) if patient else "/patients",
                "/schedule",
                "/admin/sync",
                "/admin/sync?tab=errors",
                "/admin/clinics",
                "/admin/users",
                "/admin/activity",
            ]
            print(f"{'page':52} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
            for path in pages:
                times = sorted(_time(client, path, args.requests))
                p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
                name = re.sub(r"[0-9a-f-]{36}", "{id}", path)
                print(f"{name:52} {statistics.median(times):8.1f} {p95:8.1f} {times[-1]:8.1f}")
    finally:
        server.terminate()
        server.wait(timeout=30)
        sandbox.stop()


if __name__ == "__main__":
    main()
