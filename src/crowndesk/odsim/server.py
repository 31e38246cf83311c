"""Run the sandbox in-process on a free 127.0.0.1 port (for tests, the demo and benches).

with SandboxServer(SandboxConfig(patients=200, seed=7)) as server:
    httpx.get(server.base_url + "/api/v1/patients/Simple", headers=server.headers)
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

import uvicorn

from crowndesk.odsim.app import create_app
from crowndesk.odsim.sandbox import Sandbox, SandboxConfig


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class SandboxServer:
    def __init__(
        self,
        config: SandboxConfig | None = None,
        sandbox: Sandbox | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "critical",
    ) -> None:
        self.sandbox = sandbox or Sandbox(config)
        self.host = host
        self.port = port or free_port(host)
        self.app = create_app(self.sandbox)
        cfg = uvicorn.Config(
            self.app,
            host=self.host,
            port=self.port,
            log_level=log_level,
            access_log=False,
            lifespan="off",
        )
        self._server = uvicorn.Server(cfg)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/v1"

    @property
    def headers(self) -> dict[str, str]:
        c = self.sandbox.config
        return {
            "Authorization": f"ODFHIR {c.developer_key}/{c.customer_key}",
            "Content-Type": "application/json",
        }

    @property
    def keys(self) -> tuple[str, str]:
        """The developer and customer keys the sandbox accepts."""
        c = self.sandbox.config
        return c.developer_key, c.customer_key

    @contextmanager
    def simulating(self, every: float, minutes: float) -> Iterator[None]:
        """While the block runs, advance the practice by `minutes` every `every` seconds."""
        from crowndesk.odsim.simulator import advance

        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(every):
                advance(self.sandbox, minutes)

        thread = threading.Thread(target=loop, name="odsim-simulator", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=30)

    def start(self, timeout: float = 30.0) -> str:
        self._thread = threading.Thread(target=self._server.run, name="odsim", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the sandbox server stopped while starting")
            if time.monotonic() > deadline:
                raise TimeoutError("the sandbox server did not start")
            time.sleep(0.01)
        return self.base_url

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve(
    config: SandboxConfig, host: str = "127.0.0.1", port: int = 30223, log_level: str = "info"
) -> None:
    """Serve in the foreground (used by ``crowndesk odsim serve``)."""
    sandbox = Sandbox(config)
    uvicorn.run(
        create_app(sandbox),
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="off",
    )
