"""The ASGI application: JSON API under /api, docs at /api/docs, health and metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

import crowndesk.audit.service  # noqa: F401  (registers the activity-log flush hook)
import crowndesk.db.tenancy  # noqa: F401  (registers the tenant scoping hooks)
from crowndesk import __version__
from crowndesk.audit.api import router as audit_router
from crowndesk.auth.api import router as auth_router
from crowndesk.clinics.api import router as clinics_router
from crowndesk.config import Settings, get_settings
from crowndesk.core.crypto import SecretBox
from crowndesk.core.http import Metrics, RequestContextMiddleware, install_error_handlers, problem
from crowndesk.core.logging import configure_logging
from crowndesk.db.engine import SessionMaker, create_engine, create_sessionmaker
from crowndesk.db.migrate import current_revision, head_revision
from crowndesk.insurance.api import router as insurance_router
from crowndesk.jobs import JobRunner, build_runner
from crowndesk.ledger.api import router as ledger_router
from crowndesk.patients.api import router as patients_router
from crowndesk.pms.sync.api import router as pms_sync_router
from crowndesk.procedures.api import router as procedures_router
from crowndesk.scheduling.api import router as scheduling_router
from crowndesk.treatment.api import router as treatment_router
from crowndesk.web import install as install_web

ops = APIRouter(tags=["operations"])


@ops.get("/api/health")
async def read_health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok", "version": __version__}


@ops.get("/api/ready", response_model=None)
async def read_readiness(request: Request) -> JSONResponse | dict[str, str]:
    """Readiness: the database answers and its schema is at the latest migration."""
    engine: AsyncEngine = request.app.state.engine
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            revision = await conn.run_sync(current_revision)
    except Exception:
        return problem(request, 503, "Service Unavailable", "The database is not reachable.")
    head = head_revision()
    if revision != head:
        return problem(
            request,
            503,
            "Service Unavailable",
            f"The database schema is at {revision or 'nothing'}, not {head}; run crowndesk migrate.",
        )
    return {"status": "ready", "revision": revision or ""}


@ops.get("/metrics", include_in_schema=False)
async def read_metrics(request: Request) -> Response:
    metrics: Metrics = request.app.state.metrics
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


def create_app(
    settings: Settings | None = None,
    *,
    engine: AsyncEngine | None = None,
    sessionmaker: SessionMaker | None = None,
) -> FastAPI:
    """Build the app. Tests pass their own engine and sessionmaker; otherwise they are made
    from the settings and disposed of at shutdown."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    owns_engine = engine is None
    engine = engine or create_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        jobs: JobRunner = app.state.jobs  # read here: a test may have swapped it
        await jobs.start()
        try:
            yield
        finally:
            await jobs.stop()
            if owns_engine:
                await engine.dispose()

    app = FastAPI(
        title="CrownDesk",
        version=__version__,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    metrics = Metrics()
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = sessionmaker or create_sessionmaker(engine)
    # Background jobs: started by the lifespan (schedules run only with the embedded runner).
    # Without a lifespan (tests over ASGITransport) the runner is not started, but enqueue works.
    app.state.jobs = build_runner(settings, engine, app.state.sessionmaker)
    app.state.secret_box = SecretBox(settings.secret_key)
    app.state.metrics = metrics
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    for router in (
        ops,
        auth_router,
        clinics_router,
        audit_router,
        pms_sync_router,
        procedures_router,
        # the mirrored practice
        patients_router,
        scheduling_router,
        insurance_router,
        treatment_router,
        ledger_router,
    ):
        app.include_router(router)
    install_web(app)  # the staff web app at / (HTML errors outside /api)
    return app
