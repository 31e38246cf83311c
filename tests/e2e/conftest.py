"""Browser tests: a real `crowndesk serve` over a migrated database holding an organization
whose clinic is synced from the in-repo Open Dental sandbox, driven by Playwright in Debian's
Chromium. Screenshots go to `$CROWNDESK_ARTIFACTS/e2e/` (default `test-artifacts/e2e/`).
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright
from rich.console import Console
from sqlalchemy import select

from crowndesk.auth.models import Tenant, User
from crowndesk.auth.security import hash_password
from crowndesk.config import Settings
from crowndesk.core.context import Role
from crowndesk.db.engine import create_engine, create_sessionmaker, unit_of_work
from crowndesk.db.migrate import upgrade
from crowndesk.db.tenancy import set_tenant, unscoped
from crowndesk.odsim import SandboxConfig, SandboxServer
from crowndesk.ops import seed_demo
from crowndesk.pms.sync.commands import sync_command
from crowndesk.pms.sync.models import RunMode

if TYPE_CHECKING:
    from tests.conftest import DatabaseFactory

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "e2e-password-long-enough"
SECRET = "e2e-secret-key-" + "z" * 40
CLINIC_TZ = ZoneInfo("America/Chicago")
LAPTOP = {"width": 1366, "height": 900}
TABLET = {"width": 820, "height": 1180}


@dataclass(frozen=True)
class Site:
    base_url: str
    owner: str
    billing: str
    front_desk: str
    password: str
    artifacts: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _add_staff(settings: Settings, people: dict[str, Role]) -> None:
    engine = create_engine(settings.database_url)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            with unscoped(session):
                tenant_id = await session.scalar(select(Tenant.id))
            assert tenant_id is not None
            set_tenant(session, tenant_id)
            for email, role in people.items():
                name = f"{role.value.replace('_', ' ').title()} Person"
                session.add(
                    User(
                        email=email,
                        full_name=name,
                        role=role,
                        password_hash=hash_password(PASSWORD),
                    )
                )
    finally:
        await engine.dispose()


def _artifacts() -> Path:
    root = Path(os.environ.get("CROWNDESK_ARTIFACTS", "test-artifacts")) / "e2e"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return root / worker if worker else root


@pytest.fixture(scope="session")
def site(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data_dir = tmp_path_factory.mktemp("e2e")
    url = databases.new("e2e")
    upgrade(url)
    # The practice's clock starts this morning, so "today" has appointments.
    start = datetime.now(CLINIC_TZ).replace(hour=8, minute=0, second=0, microsecond=0)
    sandbox = SandboxServer(
        SandboxConfig(patients=150, seed=5, ticking=False, start=start.replace(tzinfo=None))
    )
    sandbox.start()
    settings = Settings(data_dir=data_dir, database_url=url, secret_key=SECRET, jobs_runner="off")
    owner = "owner@e2e.crowndesk.test"
    billing = "billing@e2e.crowndesk.test"
    front_desk = "frontdesk@e2e.crowndesk.test"
    asyncio.run(
        seed_demo(
            settings,
            "E2E Dental",
            owner,
            PASSWORD,
            open_dental=(sandbox.api_url, *sandbox.keys),
        )
    )
    asyncio.run(_add_staff(settings, {billing: Role.billing, front_desk: Role.front_desk}))
    outcome = asyncio.run(sync_command(settings, Console(file=io.StringIO()), mode=RunMode.reset))
    assert outcome.ok
    artifacts = _artifacts()
    shutil.rmtree(artifacts, ignore_errors=True)
    artifacts.mkdir(parents=True)
    port = _free_port()
    env = {
        **os.environ,
        "CROWNDESK_DATA_DIR": str(data_dir),
        "CROWNDESK_DATABASE_URL": url,
        "CROWNDESK_SECRET_KEY": SECRET,
        "CROWNDESK_JOBS_RUNNER": "off",
        "CROWNDESK_LOG_LEVEL": "WARNING",
    }
    log = (artifacts / "server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "crowndesk.cli", "serve", "--no-migrate", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base_url, server)
        yield Site(base_url, owner, billing, front_desk, PASSWORD, artifacts)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
        sandbox.stop()


def _wait_until_up(base_url: str, server: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if server.poll() is not None:
            raise RuntimeError("crowndesk serve stopped while starting; see server.log")
        try:
            if httpx.get(f"{base_url}/api/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("crowndesk serve did not answer")


@pytest.fixture
def playwright(site: Site) -> Iterator[Playwright]:
    # Playwright's sync API keeps an event loop running in this thread while it is open:
    # the site's asyncio.run() must come first, and it must close after each test so that
    # async tests sharing this worker can run their own loop.
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as p:
        yield p


@pytest.fixture
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:
    context = browser.new_context(viewport=LAPTOP, base_url=site.base_url)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


class Screens:
    """Saves screenshots named after what they show."""

    def __init__(self, site: Site) -> None:
        self.dir = site.artifacts

    def __call__(self, page: Page, name: str, *, full_page: bool = True) -> Path:
        path = self.dir / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture
def shot(site: Site) -> Screens:
    return Screens(site)


def sign_in(page: Page, site: Site, email: str, path: str = "/") -> None:
    page.goto(path)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(site.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
