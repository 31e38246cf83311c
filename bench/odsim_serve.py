"""Pages per second served by the sandbox over real HTTP (keep-alive httpx client).

    .venv/bin/python bench/odsim_serve.py [patients] [seconds]

Pages through /procedurelogs in service mode (1,000 rows a page) and in remote-sized pages
(100 rows, throttle off), decoding with orjson as a sync client would.
"""

from __future__ import annotations

import sys
import time

import httpx
import orjson

from crowndesk.odsim.sandbox import SandboxConfig
from crowndesk.odsim.server import SandboxServer


def run(server: SandboxServer, limit: int, seconds: float) -> tuple[float, float]:
    pages = rows = 0
    with httpx.Client(base_url=server.api_url, headers=server.headers) as client:
        t0 = time.perf_counter()
        offset = 0
        while time.perf_counter() - t0 < seconds:
            r = client.get("/procedurelogs", params={"Offset": offset, "Limit": limit})
            page = orjson.loads(r.content)
            pages += 1
            rows += len(page)
            offset = 0 if len(page) < limit else offset + limit
        elapsed = time.perf_counter() - t0
    return pages / elapsed, rows / elapsed


def out(line: str) -> None:
    sys.stdout.write(line + "\n")


def main() -> None:
    patients = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
    config = SandboxConfig(patients=patients, seed=1, mode="service", ticking=False)
    with SandboxServer(config) as server:
        for limit in (100, 1000):
            pps, rps = run(server, limit, seconds)
            out(f"procedurelogs, {limit:>4} rows/page: {pps:8.1f} pages/s  {rps:10,.0f} rows/s")


if __name__ == "__main__":
    main()
