"""``crowndesk odsim ...``: serve the sandbox and drive a running one."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import typer

from crowndesk.odsim.sandbox import SandboxConfig

app = typer.Typer(
    help="Open Dental API sandbox: a synthetic practice behind a faithful API.",
    no_args_is_help=True,
)

DEFAULT_URL = "http://127.0.0.1:30223"


def build_config(
    patients: int,
    seed: int,
    developer_key: str,
    customer_key: str,
    mode: str,
    tier: str,
    throttle_scale: float,
    db: str | None,
    queries: bool = True,
) -> SandboxConfig:
    if mode not in ("remote", "local", "service"):
        raise typer.BadParameter("mode must be remote, local or service")
    if tier not in ("read_all", "standard", "enterprise"):
        raise typer.BadParameter("tier must be read_all, standard or enterprise")
    if not 50 <= patients <= 100_000:
        raise typer.BadParameter("patients must be between 50 and 100,000")
    return SandboxConfig(
        patients=patients,
        seed=seed,
        developer_key=developer_key,
        customer_key=customer_key,
        mode=mode,  # type: ignore[arg-type]
        tier=tier,  # type: ignore[arg-type]
        throttle_scale=throttle_scale,
        db_path=db,
        queries_permission=queries,
    )


@app.command()
def serve(
    patients: int = typer.Option(1000, help="Practice size, 50..100,000 patients."),
    seed: int = typer.Option(1, help="Same seed, same practice."),
    port: int = typer.Option(30223, help="Port (the API Service's is 30223)."),
    host: str = typer.Option("127.0.0.1"),
    developer_key: str = typer.Option("odsim-developer"),
    customer_key: str = typer.Option("odsim-customer"),
    mode: str = typer.Option("service", help="remote | local | service"),
    tier: str = typer.Option("standard", help="read_all | standard | enterprise (remote throttle)"),
    throttle_scale: float = typer.Option(1.0, help="Multiply the throttle interval (tests)."),
    db: str | None = typer.Option(None, help="SQLite file to keep the practice between runs."),
    queries: bool = typer.Option(
        True, "--queries/--no-queries", help="Grant the Queries permission (ShortQuery)."
    ),
    log_level: str = typer.Option("info"),
) -> None:
    """Generate (or reopen) a practice and serve the API until interrupted."""
    from crowndesk.odsim import server

    config = build_config(
        patients, seed, developer_key, customer_key, mode, tier, throttle_scale, db, queries
    )
    typer.echo(
        f"odsim: {patients} patients, seed {seed}, mode {mode}, on http://{host}:{port}"
        f"/api/v1 (Authorization: ODFHIR {developer_key}/{customer_key})"
    )
    server.serve(config, host=host, port=port, log_level=log_level)


def _call(method: str, url: str, body: Any = None) -> None:
    r = httpx.request(method, url, json=body, timeout=600)
    typer.echo(orjson.dumps(r.json(), option=orjson.OPT_INDENT_2).decode())
    if r.status_code >= 400:
        raise typer.Exit(1)


@app.command()
def advance(
    minutes: float = typer.Option(0.0),
    days: float = typer.Option(0.0),
    url: str = typer.Option(DEFAULT_URL, help="Base URL of a running sandbox."),
) -> None:
    """Move the sandbox clock forward, simulating the practice's activity."""
    _call("POST", f"{url}/_sandbox/advance", {"minutes": minutes, "days": days})


@app.command()
def stats(url: str = typer.Option(DEFAULT_URL)) -> None:
    """Clock, row counts and request counters."""
    _call("GET", f"{url}/_sandbox/stats")


@app.command()
def reset(url: str = typer.Option(DEFAULT_URL)) -> None:
    """Back to the freshly generated practice."""
    _call("POST", f"{url}/_sandbox/reset")


@app.command()
def fault(
    kind: str = typer.Argument(..., help="429 400 500 503 504 slow drop malformed shift"),
    resource: str = typer.Option("*", help="e.g. patients, procedurelogs, or * for all"),
    rate: float | None = typer.Option(None, help="Probability per request (0..1)."),
    count: int | None = typer.Option(None, help="Fire this many times (default 1)."),
    delay: float = typer.Option(1.0),
    retry_after: float = typer.Option(1.0),
    shift: int = typer.Option(1),
    url: str = typer.Option(DEFAULT_URL),
) -> None:
    """Inject a fault into a running sandbox."""
    body: dict[str, Any] = {
        "kind": kind,
        "resource": resource,
        "delay": delay,
        "retry_after": retry_after,
        "shift": shift,
    }
    if rate is not None:
        body["rate"] = rate
    if count is not None:
        body["count"] = count
    _call("POST", f"{url}/_sandbox/faults", body)


@app.command("clear-faults")
def clear_faults(url: str = typer.Option(DEFAULT_URL)) -> None:
    """Remove every fault rule."""
    _call("DELETE", f"{url}/_sandbox/faults")
