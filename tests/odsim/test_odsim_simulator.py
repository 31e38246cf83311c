"""The simulated clock: advancing creates a practice's activity, visible to changed-since reads."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pytest

from crowndesk.odsim.sandbox import Sandbox, SandboxConfig
from crowndesk.odsim.server import SandboxServer, free_port
from crowndesk.odsim.simulator import advance


@pytest.fixture
def own_server() -> SandboxServer:
    return SandboxServer(SandboxConfig(patients=300, seed=4, ticking=False))


def test_advance_creates_activity_seen_by_changed_since(own_server: SandboxServer) -> None:
    with own_server as s, httpx.Client(base_url=s.base_url, headers=s.headers) as c:
        cursor = c.get("/api/v1/procedurelogs", params={"Limit": 1}).json()[0]["serverDateTime"]
        claims_before = c.get("/api/v1/claims", params={"SecDateTEdit": cursor}).json()
        assert claims_before == []
        summary = c.post("/_sandbox/advance", json={"days": 3}).json()
        assert summary["events"]["visitsCompleted"] > 0
        assert summary["events"]["bookings"] > 0
        changed = c.get("/api/v1/procedurelogs", params={"DateTStamp": cursor}).json()
        assert changed
        assert all(p["DateTStamp"] >= cursor for p in changed)
        assert all(p["DateTStamp"] <= changed[0]["serverDateTime"] for p in changed)
        assert c.get("/api/v1/claims", params={"SecDateTEdit": cursor}).json()
        assert c.get("/api/v1/appointments", params={"DateTStamp": cursor}).json()
        assert c.get("/api/v1/patients/Simple", params={"DateTStamp": cursor}).json()
        assert changed[0]["serverDateTime"] > cursor
        stats = c.get("/_sandbox/stats").json()
        assert stats["advances"] == 1
        c.post("/_sandbox/reset")
        assert c.get("/api/v1/claims", params={"SecDateTEdit": cursor}).json() == []


def test_advance_keeps_money_consistent() -> None:
    sb = Sandbox(SandboxConfig(patients=300, seed=9, ticking=False))
    advance(sb, 60 * 24 * 10)
    conn = sb.conn
    bad_checks = conn.execute(
        "SELECT COUNT(*) FROM claimpayment cp WHERE ABS(CAST(cp.CheckAmt AS REAL) - (SELECT "
        "COALESCE(SUM(CAST(InsPayAmt AS REAL)), 0) FROM claimproc c "
        "WHERE c.ClaimPaymentNum = cp.ClaimPaymentNum)) > 0.001"
    ).fetchone()[0]
    assert bad_checks == 0
    bad_pays = conn.execute(
        "SELECT COUNT(*) FROM payment p WHERE ABS(CAST(p.PayAmt AS REAL) - (SELECT "
        "COALESCE(SUM(CAST(SplitAmt AS REAL)), 0) FROM paysplit s WHERE s.PayNum = p.PayNum))"
        " > 0.001"
    ).fetchone()[0]
    assert bad_pays == 0
    late = conn.execute(
        "SELECT COUNT(*) FROM procedurelog WHERE DateTStamp > ?", (sb.clock.now_str(),)
    ).fetchone()[0]
    assert late == 0


def test_advance_is_deterministic() -> None:
    a = Sandbox(SandboxConfig(patients=200, seed=3, ticking=False))
    b = Sandbox(SandboxConfig(patients=200, seed=3, ticking=False))
    assert advance(a, 60 * 24 * 2)["events"] == advance(b, 60 * 24 * 2)["events"]


def test_cli_serve_starts_and_answers() -> None:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crowndesk.odsim",
            "serve",
            "--patients",
            "50",
            "--seed",
            "2",
            "--port",
            str(port),
            "--developer-key",
            "dk",
            "--customer-key",
            "ck",
            "--mode",
            "remote",
            "--throttle-scale",
            "0",
            "--log-level",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/v1/providers"
        headers = {"Authorization": "ODFHIR dk/ck", "Content-Type": "application/json"}
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(url, headers=headers)
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, "odsim serve did not start"
                time.sleep(0.1)
        assert r.status_code == 200
        assert r.json()
        stats = httpx.get(f"http://127.0.0.1:{port}/_sandbox/stats").json()
        assert stats["config"]["page_size"] == 100
    finally:
        proc.terminate()
        proc.wait(timeout=10)
