"""The Open Dental client against the sandbox over real HTTP."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from dataclasses import replace
from typing import Any
from uuid import uuid4

import httpx
import pytest

from crowndesk import __version__
from crowndesk.odsim.faults import FaultRule
from crowndesk.odsim.server import SandboxServer, free_port
from crowndesk.pms.opendental import (
    ConnectionSettings,
    OpenDentalAuthError,
    OpenDentalBadResponse,
    OpenDentalClient,
    OpenDentalRequestError,
    OpenDentalUnavailable,
    QueriesNotPermitted,
)

FAST = {"backoff_initial": 0.01, "backoff_max": 0.05, "timeout": 5.0}


def settings_for(server: SandboxServer, **overrides: Any) -> ConnectionSettings:
    c = server.sandbox.config
    values: dict[str, Any] = {
        "base_url": server.api_url,
        "developer_key": c.developer_key,
        "customer_key": c.customer_key,
        "page_size": 100,
        **FAST,
    }
    values.update(overrides)
    return ConnectionSettings(**values)


def fault(server: SandboxServer, kind: str, resource: str, **rule: Any) -> None:
    server.sandbox.faults.add(FaultRule(kind=kind, resource=resource, **rule))


async def all_rows(client: OpenDentalClient, path: str, **kwargs: Any) -> list[dict[str, Any]]:
    return [row async for page in client.pages(path, **kwargs) for row in page]


def patient_count(server: SandboxServer) -> int:
    with server.sandbox.lock:
        n: int = server.sandbox.conn.execute("SELECT COUNT(*) FROM patient").fetchone()[0]
    return n


class RecordingTransport(httpx.AsyncHTTPTransport):
    """A real transport that remembers the headers of what it sent."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return await super().handle_async_request(request)


class TestPages:
    @pytest.mark.parametrize("page_size", [100, 1000, 120, 40])
    async def test_every_patient_once(self, sandbox: SandboxServer, page_size: int) -> None:
        n = patient_count(sandbox)
        async with OpenDentalClient(settings_for(sandbox, page_size=page_size)) as client:
            rows = await all_rows(client, "/patients/Simple")
        nums = [r["PatNum"] for r in rows]
        assert len(nums) == n
        assert len(set(nums)) == n
        assert client.requests == math.ceil(n / page_size) + (1 if n % page_size == 0 else 0)

    async def test_page_size_argument_overrides_settings(self, sandbox: SandboxServer) -> None:
        async with OpenDentalClient(settings_for(sandbox, page_size=1000)) as client:
            pages = [page async for page in client.pages("/patients/Simple", page_size=50)]
        assert [len(p) for p in pages] == [50, 50, 20]

    async def test_empty_list_yields_one_empty_page(self, sandbox: SandboxServer) -> None:
        async with OpenDentalClient(settings_for(sandbox)) as client:
            pages = [p async for p in client.pages("/patients/Simple", {"LName": "Nobody-Zz"})]
        assert pages == [[]]
        assert client.requests == 1

    async def test_datetime_parameter_with_a_space(self, sandbox: SandboxServer) -> None:
        stamp = sandbox.sandbox.clock.now_str()  # "yyyy-MM-dd HH:mm:ss"
        async with OpenDentalClient(settings_for(sandbox)) as client:
            early = await all_rows(
                client, "/patients/Simple", params={"DateTStamp": "2000-01-01 00:00:00"}
            )
            late = await all_rows(client, "/patients/Simple", params={"DateTStamp": stamp})
        assert len(early) == patient_count(sandbox)
        assert len(late) < len(early)

    async def test_malformed_records_come_back_as_sent(self, sandbox: SandboxServer) -> None:
        async with OpenDentalClient(settings_for(sandbox)) as client:
            clean = await client.get("/claims", {"Limit": 100})
            fault(sandbox, "malformed", "claims", malformed="missing")
            spoiled = await all_rows(client, "/claims")
        assert len(spoiled) >= len(clean)
        assert sum(1 for a, b in zip(clean, spoiled, strict=False) if a != b) == 1

    async def test_a_single_object_is_not_a_page(self, sandbox: SandboxServer) -> None:
        async with OpenDentalClient(settings_for(sandbox, max_attempts=2)) as client:
            with pytest.raises(OpenDentalBadResponse, match="not a list of records"):
                await all_rows(client, "/patients/1")
        assert client.requests == 2


class TestGet:
    async def test_one_record(self, sandbox: SandboxServer) -> None:
        async with OpenDentalClient(settings_for(sandbox)) as client:
            patient = await client.get("/patients/1")
        assert patient["PatNum"] == 1

    async def test_every_request_carries_the_headers(self, sandbox: SandboxServer) -> None:
        # The sandbox refuses a GET without Content-Type: application/json (reference §1.3).
        assert sandbox.sandbox.config.require_content_type
        bare = {"Authorization": sandbox.headers["Authorization"]}
        async with httpx.AsyncClient() as http:
            refused = await http.get(sandbox.api_url + "/providers", headers=bare)
        assert refused.status_code == 400
        transport = RecordingTransport()
        async with OpenDentalClient(settings_for(sandbox), transport=transport) as client:
            assert await client.get("/providers")
        headers = transport.sent[0].headers
        c = sandbox.sandbox.config
        assert headers["Authorization"] == f"ODFHIR {c.developer_key}/{c.customer_key}"
        assert headers["Content-Type"] == "application/json"
        assert headers["Accept"] == "application/json"
        assert headers["User-Agent"] == f"crowndesk/{__version__}"

    async def test_base_url_with_trailing_slash(self, sandbox: SandboxServer) -> None:
        settings = settings_for(sandbox, base_url=sandbox.api_url + "/")
        async with OpenDentalClient(settings) as client:
            assert await client.get("providers")

    async def test_not_found_is_a_request_error(self, sandbox: SandboxServer) -> None:
        async with OpenDentalClient(settings_for(sandbox)) as client:
            with pytest.raises(OpenDentalRequestError) as info:
                await client.get("/patients/999999")
        assert info.value.status_code == 404
        assert "GET /patients/{id} answered 404" in str(info.value)
        assert client.requests == 1

    async def test_validation_400_is_not_retried(self, sandbox: SandboxServer) -> None:
        async with OpenDentalClient(settings_for(sandbox)) as client:
            with pytest.raises(OpenDentalRequestError) as info:
                await client.get("/patients", {"DateTStamp": "2020-01-01 00:00:00"})
        assert info.value.status_code == 400
        assert client.requests == 1

    async def test_bad_keys(self, sandbox: SandboxServer) -> None:
        settings = settings_for(sandbox, customer_key="not-this-office")
        async with OpenDentalClient(settings) as client:
            with pytest.raises(OpenDentalAuthError) as info:
                await client.get("/providers")
        assert client.requests == 1
        assert "not-this-office" not in str(info.value)
        assert "not-this-office" not in repr(settings)


class TestRetries:
    async def test_429_waits_for_retry_after(self, sandbox: SandboxServer) -> None:
        fault(sandbox, "429", "providers", count=2, retry_after=0.1)
        async with OpenDentalClient(settings_for(sandbox, backoff_max=1.0)) as client:
            t0 = time.monotonic()
            assert await client.get("/providers")
            elapsed = time.monotonic() - t0
        assert client.retries == 2
        assert client.requests == 3
        assert elapsed >= 0.2

    async def test_retry_after_is_capped_by_backoff_max(self, sandbox: SandboxServer) -> None:
        fault(sandbox, "429", "providers", retry_after=30)
        async with OpenDentalClient(settings_for(sandbox, backoff_max=0.05)) as client:
            t0 = time.monotonic()
            assert await client.get("/providers")
        assert time.monotonic() - t0 < 2

    @pytest.mark.parametrize("kind", ["500", "503", "504", "400", "drop"])
    async def test_transient_failures_recover(self, sandbox: SandboxServer, kind: str) -> None:
        fault(sandbox, kind, "claims", count=2)
        async with OpenDentalClient(settings_for(sandbox)) as client:
            rows = await all_rows(client, "/claims")
        assert len(rows) == sandbox.sandbox.counts()["claim"]
        assert client.retries == 2

    async def test_slow_answer_times_out_then_recovers(self, sandbox: SandboxServer) -> None:
        fault(sandbox, "slow", "providers", delay=0.6)
        async with OpenDentalClient(settings_for(sandbox, timeout=0.15)) as client:
            assert await client.get("/providers")
        assert client.retries == 1

    async def test_gives_up_after_max_attempts(self, sandbox: SandboxServer) -> None:
        fault(sandbox, "503", "providers", rate=1.0)
        async with OpenDentalClient(settings_for(sandbox, max_attempts=3)) as client:
            with pytest.raises(OpenDentalUnavailable) as info:
                await client.get("/providers")
        assert client.requests == 3
        assert client.retries == 2
        assert info.value.status_code == 503
        assert "gave up after 3 attempts" in str(info.value)
        assert sandbox.sandbox.config.customer_key not in str(info.value)

    async def test_undecodable_body_is_retried_then_bad_response(self) -> None:
        answers = iter([b"<html>oops</html>", b'[{"ProvNum": 1}]', b"not json", b"nor this"])

        def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, content=next(answers))

        settings = ConnectionSettings(
            "http://od.invalid/api/v1", "dk", "ck", max_attempts=2, **FAST
        )
        async with OpenDentalClient(settings, transport=httpx.MockTransport(handler)) as client:
            assert await client.get("/providers") == [{"ProvNum": 1}]
            with pytest.raises(OpenDentalBadResponse, match="not JSON"):
                await client.get("/providers")
        assert client.requests == 4


class TestShortQuery:
    async def test_pages_by_offset(self, sandbox: SandboxServer) -> None:
        n = patient_count(sandbox)
        transport = RecordingTransport()
        async with OpenDentalClient(settings_for(sandbox), transport=transport) as client:
            pages = [p async for p in client.short_query("SELECT PatNum FROM patient")]
        assert [len(p) for p in pages] == [100, n - 100]
        assert len({r["PatNum"] for p in pages for r in p}) == n
        assert [r.method for r in transport.sent] == ["PUT", "PUT"]
        assert [r.url.params["Offset"] for r in transport.sent] == ["0", "100"]

    async def test_without_the_queries_permission(self, sandbox: SandboxServer) -> None:
        sandbox.sandbox.config.queries_permission = False
        async with OpenDentalClient(settings_for(sandbox)) as client:
            with pytest.raises(QueriesNotPermitted):
                await anext(client.short_query("SELECT 1 AS one"))
            assert await client.get("/providers")  # the keys themselves are fine

    async def test_writing_sql_is_a_request_error(self, sandbox: SandboxServer) -> None:
        async with OpenDentalClient(settings_for(sandbox)) as client:
            with pytest.raises(OpenDentalRequestError) as info:
                await anext(client.short_query("DELETE FROM patient"))
        assert info.value.status_code == 401


class TestPacing:
    @pytest.fixture
    def remote(self, sandbox: SandboxServer) -> SandboxServer:
        c = sandbox.sandbox.config
        c.mode, c.tier, c.throttle_scale = "remote", "standard", 0.05  # 1 s -> 50 ms
        sandbox.sandbox.keys.clear()
        return sandbox

    async def test_paced_client_is_never_throttled(self, remote: SandboxServer) -> None:
        interval = remote.sandbox.config.throttle_interval
        assert interval == pytest.approx(0.05)
        before = remote.sandbox.stats.throttled
        async with OpenDentalClient(settings_for(remote, request_interval=interval)) as client:
            t0 = time.monotonic()
            for _ in range(8):
                await client.get("/providers")
            elapsed = time.monotonic() - t0
        assert remote.sandbox.stats.throttled == before
        assert client.retries == 0
        assert elapsed >= 7 * interval

    async def test_unpaced_client_is_throttled_and_still_succeeds(
        self, remote: SandboxServer
    ) -> None:
        before = remote.sandbox.stats.throttled
        async with OpenDentalClient(settings_for(remote)) as client:
            for _ in range(5):
                assert await client.get("/providers")
        assert remote.sandbox.stats.throttled > before
        assert client.retries == remote.sandbox.stats.throttled - before

    async def test_clients_of_one_key_share_the_pace_across_threads(
        self, remote: SandboxServer
    ) -> None:
        interval = remote.sandbox.config.throttle_interval
        assert interval is not None
        settings = settings_for(remote, request_interval=interval)
        before = remote.sandbox.stats.throttled
        errors: list[BaseException] = []

        async def run() -> None:
            async with OpenDentalClient(settings) as client:
                for _ in range(4):
                    await client.get("/operatories")

        def in_own_loop() -> None:
            try:
                asyncio.run(run())
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        t0 = time.monotonic()
        threads = [threading.Thread(target=in_own_loop) for _ in range(2)]
        for t in threads:
            t.start()
        await asyncio.to_thread(lambda: [t.join() for t in threads])
        elapsed = time.monotonic() - t0
        assert errors == []
        # Unpaced, most of these 8 requests would be refused; a loaded machine may let one
        # arrive early.
        assert remote.sandbox.stats.throttled - before <= 1
        assert elapsed >= 7 * interval

    async def test_other_keys_are_not_held_back(self, sandbox: SandboxServer) -> None:
        first, second = f"office-{uuid4().hex}", f"office-{uuid4().hex}"
        sandbox.sandbox.config.extra_customer_keys = (first, second)
        paced = settings_for(sandbox, customer_key=first, request_interval=0.3)
        async with (
            OpenDentalClient(paced) as a,
            OpenDentalClient(replace(paced, customer_key=second)) as b,
        ):
            t0 = time.monotonic()
            await a.get("/providers")
            await b.get("/providers")
            assert time.monotonic() - t0 < 0.3
            await a.get("/providers")
            assert time.monotonic() - t0 >= 0.3


class TestProbe:
    async def test_good_keys(self, sandbox: SandboxServer) -> None:
        async with OpenDentalClient(settings_for(sandbox)) as client:
            probe = await client.probe()
        assert probe.ok
        assert probe.reachable
        assert probe.authenticated
        assert probe.server_date_time == sandbox.sandbox.clock.now_str()

    async def test_bad_keys(self, sandbox: SandboxServer) -> None:
        async with OpenDentalClient(settings_for(sandbox, developer_key="wrong")) as client:
            probe = await client.probe()
        assert not probe.ok
        assert probe.reachable
        assert not probe.authenticated
        assert probe.server_date_time is None

    async def test_nothing_listening(self) -> None:
        settings = ConnectionSettings(f"http://127.0.0.1:{free_port()}/api/v1", "dk", "ck", **FAST)
        async with OpenDentalClient(settings) as client:
            probe = await client.probe()
        assert not probe.ok
        assert not probe.reachable
        assert not probe.authenticated
        assert "could not connect" in probe.message
        assert client.requests == 1
