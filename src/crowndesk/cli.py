"""The `crowndesk` command."""

from __future__ import annotations

import asyncio
import secrets
import shutil
from datetime import datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console

from crowndesk.config import ConfigError, Settings, load_settings
from crowndesk.odsim.cli import app as odsim_app

app = typer.Typer(
    help="CrownDesk: revenue cycle and practice workflow beside Open Dental.", no_args_is_help=True
)
console = Console()

DEMO_ORG = "Demo Dental Group"
DEMO_EMAIL = "owner@demo.crowndesk.test"
DEMO_TIMEZONE = "America/Chicago"  # the demo clinic's (crowndesk.ops.seed_demo)


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except ConfigError as exc:
        typer.echo(f"crowndesk: configuration error: {exc}", err=True)
        raise typer.Exit(2) from None


def _serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from crowndesk.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, log_config=None, access_log=False)


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from crowndesk.db.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    console.print("Database is up to date.")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    no_migrate: Annotated[
        bool, typer.Option("--no-migrate", help="Do not apply migrations.")
    ] = False,
) -> None:
    """Serve the API (and, in later versions, the web app)."""
    settings = _settings()
    if not no_migrate:
        from crowndesk.db.migrate import upgrade

        upgrade(settings.database_url)
    _serve(settings, host, port)


@app.command()
def worker(
    concurrency: Annotated[
        int, typer.Option(min=1, help="Jobs this process runs at the same time.")
    ] = 1,
) -> None:
    """Run background jobs and schedules from PostgreSQL (CROWNDESK_JOBS_RUNNER=distributed)."""
    settings = _settings()
    if settings.is_sqlite:
        typer.echo(
            "crowndesk worker: needs PostgreSQL, and CROWNDESK_DATABASE_URL is SQLite "
            "(with SQLite, crowndesk serve runs the jobs itself).",
            err=True,
        )
        raise typer.Exit(2)
    if settings.jobs_runner != "distributed":
        typer.echo(
            f"crowndesk worker: CROWNDESK_JOBS_RUNNER is {settings.jobs_runner!r}; set it to "
            "'distributed' for serve and workers alike, or serve runs the schedules as well.",
            err=True,
        )
        raise typer.Exit(2)
    from crowndesk.core.logging import configure_logging
    from crowndesk.jobs.distributed import run_worker

    configure_logging(settings.log_level)
    asyncio.run(run_worker(settings, concurrency=concurrency))


@app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(prompt=True, help="Sign-in email of the new owner.")],
    full_name: Annotated[str, typer.Option(prompt=True, help="The person's name.")],
    organization: Annotated[
        str | None, typer.Option(help="Create this organization; default: the only existing one.")
    ] = None,
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="CROWNDESK_ADMIN_PASSWORD",
        ),
    ] = "",
) -> None:
    """Create an owner account (and its organization, when there is none yet)."""
    from crowndesk.ops import OperatorError, create_owner

    settings = _settings()
    try:
        user = asyncio.run(create_owner(settings, email, full_name, password, organization))
    except OperatorError as exc:
        console.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(1) from None
    console.print(f"Created owner {user} .", highlight=False)


@app.command()
def sync(
    clinic: Annotated[
        str | None, typer.Option("--clinic", help="Clinic id (default: every connected clinic).")
    ] = None,
    entity: Annotated[
        list[str] | None,
        typer.Option("--entity", help="Entity to sync (repeatable; default: all, in order)."),
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Forget the cursors and read everything again.")
    ] = False,
    check: Annotated[
        bool, typer.Option("--verify", help="Then compare the mirror with Open Dental.")
    ] = False,
) -> None:
    """Sync the Open Dental mirror now, with progress bars and a summary."""
    import uuid

    from crowndesk.core.errors import AppError
    from crowndesk.pms.sync.commands import sync_command
    from crowndesk.pms.sync.models import RunMode
    from crowndesk.pms.sync.registry import ENTITY_NAMES

    settings = _settings()
    try:
        clinic_id = uuid.UUID(clinic) if clinic else None
    except ValueError:
        typer.echo(f"crowndesk: --clinic {clinic!r} is not a clinic id", err=True)
        raise typer.Exit(2) from None
    try:
        outcome = asyncio.run(
            sync_command(
                settings,
                console,
                clinic_id=clinic_id,
                entities=tuple(entity) if entity else ENTITY_NAMES,
                mode=RunMode.reset if full else RunMode.incremental,
                check=check,
            )
        )
    except AppError as exc:
        typer.echo(f"crowndesk: {exc.detail}", err=True)
        raise typer.Exit(1) from None
    if not outcome.ok:
        raise typer.Exit(1)


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    patients: Annotated[int, typer.Option(help="Size of the sandbox practice.")] = 1000,
    serve_app: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve after setting up.")
    ] = True,
) -> None:
    """A first look in one command: a fresh SQLite database, an Open Dental sandbox practice,
    a full sync with progress bars, then the app (scheduled syncs keep it current)."""
    from crowndesk.db.migrate import upgrade
    from crowndesk.odsim import SandboxConfig, SandboxServer
    from crowndesk.ops import seed_demo
    from crowndesk.pms.sync.commands import sync_command
    from crowndesk.pms.sync.models import RunMode

    base = _settings()
    demo_dir = base.data_dir / "demo"
    if demo_dir.exists():
        shutil.rmtree(demo_dir)
    demo_dir.mkdir(parents=True)
    settings = _settings(
        data_dir=Path(demo_dir), database_url=f"sqlite:///{demo_dir / 'crowndesk.db'}"
    )
    password = secrets.token_urlsafe(12)
    # The practice's day starts this morning (the demo clinic's clock), so the web app's
    # "today" has a schedule and "this month" has work.
    morning = datetime.now(ZoneInfo(DEMO_TIMEZONE)).replace(
        hour=8, minute=0, second=0, microsecond=0, tzinfo=None
    )
    with console.status(f"Generating a {patients:,}-patient Open Dental sandbox practice ..."):
        sandbox = SandboxServer(
            SandboxConfig(
                patients=patients, seed=1, db_path=str(demo_dir / "sandbox.db"), start=morning
            )
        )
        sandbox.start()
    with console.status("Creating the demo database ..."):
        upgrade(settings.database_url)
        asyncio.run(
            seed_demo(
                settings,
                DEMO_ORG,
                DEMO_EMAIL,
                password,
                open_dental=(sandbox.api_url, *sandbox.keys),
            )
        )
    console.print("First sync from the sandbox:")
    outcome = asyncio.run(sync_command(settings, console, mode=RunMode.reset))
    if not outcome.ok:
        console.print("[red]The first sync did not finish cleanly; see the summary.[/red]")
    url = f"http://{host}:{port}"
    console.print(f"\n[bold]CrownDesk demo[/bold] — {DEMO_ORG}", highlight=False)
    console.print(f"  database   {demo_dir / 'crowndesk.db'}", highlight=False)
    console.print(f"  sandbox    {sandbox.api_url} (Open Dental API)", highlight=False)
    console.print(f"  API docs   {url}/api/docs", highlight=False)
    console.print(f"  web app    {url}/", highlight=False)
    console.print(f"  email      {DEMO_EMAIL}", highlight=False)
    console.print(f"  password   {password}", highlight=False)
    console.print(
        f"\nOpen {url}/login and sign in as {DEMO_EMAIL} with the password above.\n",
        highlight=False,
        soft_wrap=True,
    )
    if serve_app:
        # The practice keeps working while the app runs, so scheduled syncs have work.
        with sandbox.simulating(every=30.0, minutes=30.0):
            _serve(settings, host, port)
    sandbox.stop()


app.add_typer(odsim_app, name="odsim", help="The Open Dental API sandbox.")

if __name__ == "__main__":
    app()
