"""The dashboard: today's appointments, unbilled value, procedures this month, sync health."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from crowndesk.core.routing import DbSession, TransactionalRoute
from crowndesk.pms.sync import service as sync_service
from crowndesk.pms.sync.models import RunState
from crowndesk.procedures import service as procedure_service
from crowndesk.web.rendering import CurrentPage, render
from crowndesk.web.views.patients import todays_appointments

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)


@router.get("/")
async def show_dashboard(request: Request, session: DbSession, page: CurrentPage) -> Response:
    statuses = (
        await sync_service.status(session, page.clinic_id)
        if any(c.od_base_url for c in page.clinics)
        else []
    )
    entities = [(s.clinic_name, e) for s in statuses for e in s.entities]
    failing = [
        (clinic, e) for clinic, e in entities if e.last_run and e.last_run.state is RunState.failed
    ]
    stats = await procedure_service.completed_stats(session, clinic_id=page.clinic_id)
    return render(
        page,
        request,
        "dashboard.html",
        stats=stats,
        appointments=await todays_appointments(session, page),
        month_start=page.today().replace(day=1).isoformat(),
        entities=entities,
        failing=failing,
        open_errors=sum(e.open_errors for _, e in entities),
        parked=sum(e.parked for _, e in entities),
    )
