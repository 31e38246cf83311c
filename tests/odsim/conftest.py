from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from crowndesk.odsim.sandbox import SandboxConfig
from crowndesk.odsim.server import SandboxServer


@pytest.fixture(scope="session")
def odsim_server() -> Iterator[SandboxServer]:
    config = SandboxConfig(patients=150, seed=11, ticking=False)
    with SandboxServer(config) as server:
        yield server


@pytest.fixture
def server(odsim_server: SandboxServer) -> Iterator[SandboxServer]:
    """The shared server, with faults, throttle and config put back after each test."""
    sb = odsim_server.sandbox
    yield odsim_server
    sb.faults.clear()
    sb.config.mode = "service"
    sb.config.tier = "standard"
    sb.config.throttle_scale = 1.0
    sb.config.require_content_type = True
    sb.keys.clear()


@pytest.fixture
def api(server: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.api_url, headers=server.headers, timeout=10) as client:
        yield client


@pytest.fixture
def control(server: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url + "/_sandbox", timeout=30) as client:
        yield client
