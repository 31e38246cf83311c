"""One small sandbox for the client tests, put back after each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crowndesk.odsim.sandbox import SandboxConfig
from crowndesk.odsim.server import SandboxServer


@pytest.fixture(scope="session")
def od_server() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(patients=120, seed=5, ticking=False)) as server:
        yield server


@pytest.fixture
def sandbox(od_server: SandboxServer) -> Iterator[SandboxServer]:
    """The shared server; faults, throttle and permissions reset after each test."""
    yield od_server
    sb = od_server.sandbox
    sb.faults.clear()
    c = sb.config
    c.mode = "service"
    c.tier = "standard"
    c.throttle_scale = 1.0
    c.require_content_type = True
    c.queries_permission = True
    c.extra_customer_keys = ()
    sb.keys.clear()
