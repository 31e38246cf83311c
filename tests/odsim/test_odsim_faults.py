"""Faults on demand, the remote throttle and ShortQuery, over real HTTP."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from crowndesk.odsim.server import SandboxServer


def add_fault(control: httpx.Client, **rule: Any) -> None:
    r = control.post("/faults", json=rule)
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("status", [400, 500, 503, 504])
def test_error_faults_fire_once(api: httpx.Client, control: httpx.Client, status: int) -> None:
    add_fault(control, kind=str(status), resource="providers")
    r = api.get("/providers")
    assert r.status_code == status
    assert isinstance(r.json(), str)
    assert api.get("/providers").status_code == 200
    assert api.get("/operatories").status_code == 200


def test_429_has_retry_after(api: httpx.Client, control: httpx.Client) -> None:
    add_fault(control, kind="429", resource="patients", count=2, retry_after=3)
    for _ in range(2):
        r = api.get("/patients/Simple")
        assert r.status_code == 429
        assert r.headers["Retry-After"] == "3"
    assert api.get("/patients/Simple").status_code == 200


def test_fault_rate_is_a_probability(api: httpx.Client, control: httpx.Client) -> None:
    add_fault(control, kind="500", resource="carriers", rate=0.5)
    codes = [api.get("/carriers").status_code for _ in range(60)]
    assert 10 < codes.count(500) < 50
    control.delete("/faults")
    assert api.get("/carriers").status_code == 200


def test_slow_answer(api: httpx.Client, control: httpx.Client) -> None:
    add_fault(control, kind="slow", resource="feescheds", delay=0.3)
    t0 = time.perf_counter()
    assert api.get("/feescheds").status_code == 200
    assert time.perf_counter() - t0 >= 0.3
    add_fault(control, kind="slow", resource="feescheds", delay=1.0)
    with pytest.raises(httpx.ReadTimeout):
        api.get("/feescheds", timeout=0.2)


def test_dropped_connection(server: SandboxServer, control: httpx.Client) -> None:
    add_fault(control, kind="drop", resource="claims")
    with httpx.Client(base_url=server.api_url, headers=server.headers) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/claims")
        assert client.get("/claims").status_code == 200


@pytest.mark.parametrize("how", ["missing", "date", "money"])
def test_malformed_records(api: httpx.Client, control: httpx.Client, how: str) -> None:
    good = api.get("/claims").json()
    add_fault(control, kind="malformed", resource="claims", malformed=how)
    bad = api.get("/claims").json()
    assert len(bad) == len(good)
    diffs = [(g, b) for g, b in zip(good, bad, strict=True) if g != b]
    assert len(diffs) == 1
    g, b = diffs[0]
    if how == "missing":
        assert len(b) == len(g) - 1
    elif how == "date":
        changed = [k for k in g if g[k] != b[k]]
        assert changed
        assert b[changed[0]] in ("2023-02-30", "0000-00-00", "2021-13-01", "not a date")
    else:
        changed = [k for k in g if g[k] != b[k]]
        assert b[changed[0]] in ("12.3.4", "NaN", "$1,000.00", "")


def test_shift_while_paging_skips_rows(
    api: httpx.Client, control: httpx.Client, server: SandboxServer
) -> None:
    first = api.get("/paysplits", params={"Limit": 50}).json()
    plain = api.get("/paysplits", params={"Limit": 50, "Offset": 50}).json()
    add_fault(control, kind="shift", resource="paysplits", shift=3)
    shifted = api.get("/paysplits", params={"Limit": 50, "Offset": 50}).json()
    assert [s["SplitNum"] for s in shifted[:5]] == [s["SplitNum"] for s in plain[3:8]]
    assert first
    # The skipped rows were touched, so a changed-since reader can find them again.
    stamps = [
        r["SecDateTEdit"] for r in api.get("/paysplits", params={"Limit": 3, "Offset": 50}).json()
    ]
    assert stamps == [server.sandbox.clock.now_str()] * 3
    add_fault(control, kind="shift", resource="paysplits", shift=-2)
    dup = api.get("/paysplits", params={"Limit": 50, "Offset": 50}).json()
    assert [s["SplitNum"] for s in dup[:2]] == [s["SplitNum"] for s in first[-2:]]


def test_unknown_fault_kind_is_refused(control: httpx.Client) -> None:
    assert control.post("/faults", json={"kind": "explode"}).status_code == 400


class TestThrottle:
    def test_remote_refuses_a_client_that_goes_faster(
        self, api: httpx.Client, control: httpx.Client
    ) -> None:
        control.post("/config", json={"mode": "remote", "tier": "standard", "throttle_scale": 0.05})
        assert api.get("/providers").status_code == 200
        r = api.get("/providers")
        assert r.status_code == 429
        wait = float(r.headers["Retry-After"])
        assert 0 < wait <= 0.05
        time.sleep(0.06)
        assert api.get("/providers").status_code == 200

    def test_interval_depends_on_tier(self, api: httpx.Client, control: httpx.Client) -> None:
        control.post(
            "/config", json={"mode": "remote", "tier": "read_all", "throttle_scale": 0.02}
        )  # 5 s -> 100 ms
        assert api.get("/providers").status_code == 200
        time.sleep(0.04)
        assert api.get("/providers").status_code == 429
        time.sleep(0.08)
        assert api.get("/providers").status_code == 200

    def test_paced_client_is_never_refused(self, api: httpx.Client, control: httpx.Client) -> None:
        control.post(
            "/config", json={"mode": "remote", "tier": "enterprise", "throttle_scale": 0.02}
        )  # 0.5 s -> 10 ms
        for _ in range(5):
            assert api.get("/operatories").status_code == 200
            time.sleep(0.015)

    def test_throttle_is_per_customer_key(
        self, server: SandboxServer, control: httpx.Client
    ) -> None:
        sb = server.sandbox
        sb.config.extra_customer_keys = ("second-office",)
        control.post("/config", json={"mode": "remote", "throttle_scale": 1.0})
        other = {
            **server.headers,
            "Authorization": f"ODFHIR {sb.config.developer_key}/second-office",
        }
        try:
            assert (
                httpx.get(server.api_url + "/providers", headers=server.headers).status_code == 200
            )
            assert httpx.get(server.api_url + "/providers", headers=other).status_code == 200
            assert httpx.get(server.api_url + "/providers", headers=other).status_code == 429
        finally:
            sb.config.extra_customer_keys = ()

    def test_local_and_service_are_not_throttled(
        self, api: httpx.Client, control: httpx.Client
    ) -> None:
        for mode in ("local", "service"):
            control.post("/config", json={"mode": mode, "throttle_scale": 1.0})
            assert all(api.get("/providers").status_code == 200 for _ in range(5))
            assert len(api.get("/procedurelogs").json()) == 1000


class TestShortQuery:
    def test_select_pages_by_100(self, api: httpx.Client) -> None:
        sql = {
            "SqlCommand": "SELECT ProcNum, ProcStatus, ProcDate, ProcFee FROM procedurelog "
            "ORDER BY ProcNum"
        }
        p1 = api.put("/queries/ShortQuery", json=sql).json()
        p2 = api.put("/queries/ShortQuery", params={"Offset": 100}, json=sql).json()
        assert len(p1) == 100
        assert len(p2) == 100
        assert p2[0]["ProcNum"] == p1[-1]["ProcNum"] + 1
        row = p1[0]
        assert isinstance(row["ProcStatus"], int)  # raw DB enums are numbers
        assert row["ProcDate"].endswith("T00:00:00")
        assert isinstance(row["ProcFee"], float)

    def test_a_column_named_twice_keeps_its_name_and_a_limit_of_its_own_holds(
        self, api: httpx.Client
    ) -> None:
        sql = (
            "SELECT c.ClaimProcNum, p.ProcNum, c.ProcNum FROM claimproc c "
            "JOIN procedurelog p ON p.ProcNum = c.ProcNum ORDER BY c.ClaimProcNum LIMIT 150"
        )
        p1 = api.put("/queries/ShortQuery", json={"SqlCommand": sql}).json()
        p2 = api.put("/queries/ShortQuery", params={"Offset": 100}, json={"SqlCommand": sql})
        assert set(p1[0]) == {"ClaimProcNum", "ProcNum"}
        assert (len(p1), len(p2.json())) == (100, 50)
        assert p2.json()[0]["ClaimProcNum"] > p1[-1]["ClaimProcNum"]

    @pytest.mark.parametrize(
        "sql",
        [
            "DELETE FROM patient",
            "UPDATE patient SET LName = 'x'",
            "INSERT INTO carrier (CarrierName) VALUES ('x')",
            "DROP TABLE patient",
            "SELECT 1; DELETE FROM patient",
            "PRAGMA table_info(patient)",
            "ATTACH DATABASE ':memory:' AS x",
            "WITH x AS (SELECT 1) DELETE FROM patient",
        ],
    )
    def test_anything_but_select_is_refused_with_401(self, api: httpx.Client, sql: str) -> None:
        before = api.put(
            "/queries/ShortQuery", json={"SqlCommand": "SELECT COUNT(*) AS n FROM patient"}
        ).json()
        r = api.put("/queries/ShortQuery", json={"SqlCommand": sql})
        assert r.status_code == 401
        after = api.put(
            "/queries/ShortQuery", json={"SqlCommand": "SELECT COUNT(*) AS n FROM patient"}
        ).json()
        assert before == after

    def test_bad_sql_is_400(self, api: httpx.Client) -> None:
        assert (
            api.put(
                "/queries/ShortQuery", json={"SqlCommand": "SELECT nope FROM nowhere"}
            ).status_code
            == 400
        )
        assert api.put("/queries/ShortQuery", json={}).status_code == 400

    def test_deletedobject_is_readable(self, api: httpx.Client) -> None:
        rows = api.put(
            "/queries/ShortQuery",
            json={"SqlCommand": "SELECT ObjectNum, ObjectType, DateTStamp FROM deletedobject"},
        ).json()
        assert rows
        assert {r["ObjectType"] for r in rows} == {0}

    def test_without_the_queries_permission_every_query_is_401(
        self, server: SandboxServer, api: httpx.Client
    ) -> None:
        server.sandbox.config.queries_permission = False
        try:
            r = api.put("/queries/ShortQuery", json={"SqlCommand": "SELECT 1 AS one"})
            assert r.status_code == 401
            assert "Queries permission" in r.json()
            assert api.get("/providers").status_code == 200
        finally:
            server.sandbox.config.queries_permission = True
        r = api.put("/queries/ShortQuery", json={"SqlCommand": "SELECT 1 AS one"})
        assert r.json() == [{"one": 1}]

    def test_serve_no_queries_flag(self) -> None:
        from typer.testing import CliRunner

        from crowndesk.odsim.cli import app, build_config

        assert "--no-queries" in CliRunner().invoke(app, ["serve", "--help"]).output
        args = (50, 1, "dk", "ck", "service", "standard", 1.0, None)
        assert build_config(*args).queries_permission is True
        assert build_config(*args, queries=False).queries_permission is False
