"""Admin pages: the Open Dental sync, clinics, users and the activity log."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Form, Query, Request, Response
from pydantic import ValidationError

from crowndesk.audit import service as audit_service
from crowndesk.auth import service as auth_service
from crowndesk.auth.permissions import Permission
from crowndesk.auth.schemas import UserCreate
from crowndesk.core.context import Role
from crowndesk.core.errors import BadRequest, Unprocessable
from crowndesk.core.pagination import PageParams
from crowndesk.core.routing import DbSession, TransactionalRoute
from crowndesk.pms.sync import service as sync_service
from crowndesk.pms.sync.api import test_clinic_connection
from crowndesk.pms.sync.models import SyncError, SyncPending
from crowndesk.pms.sync.registry import ENTITY_NAMES
from crowndesk.pms.sync.tasks import enqueue_runs
from crowndesk.web.forms import Problems, describe, parse_date, parse_offset, parse_uuid
from crowndesk.web.rendering import Page, Pager, is_partial, page_for, render

router = APIRouter(prefix="/admin", route_class=TransactionalRoute, include_in_schema=False)

SyncPage = Annotated[Page, page_for(Permission.sync_run)]
ClinicsPage = Annotated[Page, page_for(Permission.clinics_read)]
UsersPage = Annotated[Page, page_for(Permission.users_manage)]
ActivityPage = Annotated[Page, page_for(Permission.activity_read)]

SYNC_TABS = {
    "runs": "Run history",
    "errors": "Errors",
    "parked": "Parked records",
    "conflicts": "Conflicts",
}
PER_PAGE = 25


# --- sync -----------------------------------------------------------------------------------


async def _sync_status(session: DbSession, page: Page) -> list[Any]:
    if not any(c.od_base_url for c in page.clinics):
        return []
    return await sync_service.status(session, page.clinic_id)


async def _sync_tab(session: DbSession, page: Page, tab: str, offset: int) -> Any:
    params = PageParams(limit=PER_PAGE, offset=offset)
    if tab == "errors":
        return await sync_service.list_issues(session, SyncError, params, clinic_id=page.clinic_id)
    if tab == "parked":
        return await sync_service.list_issues(
            session, SyncPending, params, clinic_id=page.clinic_id
        )
    if tab == "conflicts":
        return await sync_service.list_conflicts(session, params, clinic_id=page.clinic_id)
    return await sync_service.list_runs(session, params, clinic_id=page.clinic_id)


@router.get("/sync")
async def show_sync(
    request: Request,
    session: DbSession,
    page: SyncPage,
    tab: Annotated[str, Query(max_length=20)] = "runs",
    offset: Annotated[str | None, Query(max_length=12)] = None,
) -> Response:
    tab = tab if tab in SYNC_TABS else "runs"
    result = await _sync_tab(session, page, tab, parse_offset(offset))
    clinic_names = {c.id: c.name for c in page.clinics}
    context = {
        "tab": tab,
        "tabs": SYNC_TABS,
        "rows": result.items,
        "paging": Pager(result.total, result.limit, result.offset),
        "clinic_names": clinic_names,
    }
    if is_partial(request) and request.headers.get("hx-target") == "sync-tab":
        return render(page, request, "admin/_sync_tab.html", **context)
    statuses = await _sync_status(session, page)
    return render(page, request, "admin/sync.html", statuses=statuses, **context)


@router.post("/sync/run")
async def run_sync(
    request: Request,
    background: BackgroundTasks,
    session: DbSession,
    page: SyncPage,
    clinic_id: Annotated[str, Form(max_length=64)] = "",
    entity: Annotated[str, Form(max_length=40)] = "all",
) -> Response:
    """Sync now: queue runs exactly as `POST /api/pms-sync/...` does."""
    entities = ENTITY_NAMES if entity == "all" else (entity,)
    if entity != "all" and entity not in ENTITY_NAMES:
        raise BadRequest(f"There is no entity called {entity!r}.")
    runs = await sync_service.request_runs(
        session, request.app.state.engine, entities=entities, clinic_id=parse_uuid(clinic_id)
    )
    background.add_task(enqueue_runs, request.app.state.jobs, page.ctx.tenant_id, runs)
    statuses = await _sync_status(session, page)
    what = "every entity" if entity == "all" else entity.replace("_", " ")
    return render(
        page,
        request,
        "admin/_sync_status.html",
        headers={"HX-Trigger": "sync-queued"},  # the run history shows the new runs
        statuses=statuses,
        flash=f"Sync of {what} queued ({len(runs)} run{'s' if len(runs) != 1 else ''}).",
    )


# --- clinics --------------------------------------------------------------------------------


@router.get("/clinics")
async def show_clinics(request: Request, page: ClinicsPage) -> Response:
    return render(page, request, "admin/clinics.html", clinics=page.clinics)


@router.post("/clinics/{clinic_id}/test-connection")
async def test_connection(
    clinic_id: uuid.UUID, request: Request, session: DbSession, page: SyncPage
) -> Response:
    result = await test_clinic_connection(clinic_id, request, session, page.ctx)
    return render(page, request, "admin/_connection.html", result=result)


# --- users ----------------------------------------------------------------------------------


async def _users_page(
    request: Request,
    session: DbSession,
    page: Page,
    *,
    status_code: int = 200,
    form: dict[str, str] | None = None,
    error: str | None = None,
    flash: str | None = None,
) -> Response:
    users = await auth_service.list_users(session)
    roles = [r for r in Role if r is not Role.owner or Role.owner in page.ctx.roles]
    return render(
        page,
        request,
        "admin/users.html",
        status_code=status_code,
        users=users,
        roles=roles,
        form=form or {"role": Role.front_desk.value},
        error=error,
        flash=flash,
    )


@router.get("/users")
async def show_users(request: Request, session: DbSession, page: UsersPage) -> Response:
    return await _users_page(request, session, page)


@router.post("/users")
async def add_user(
    request: Request,
    session: DbSession,
    page: UsersPage,
    email: Annotated[str, Form(max_length=320)] = "",
    full_name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    try:
        data = UserCreate(email=email, full_name=full_name, role=role, password=password)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise Unprocessable(f"The user was not added: {describe(exc)}") from None
    user = await auth_service.create_user(session, page.ctx, data)
    return await _users_page(
        request, session, page, flash=f"Added {user.full_name} ({user.email}) as {user.role.value}."
    )


# --- activity log ---------------------------------------------------------------------------


@router.get("/activity")
async def show_activity(
    request: Request,
    session: DbSession,
    page: ActivityPage,
    action: Annotated[str, Query(max_length=80)] = "",
    entity_type: Annotated[str, Query(max_length=80)] = "",
    actor: Annotated[str, Query(max_length=64)] = "",
    date_from: Annotated[str, Query(max_length=20)] = "",
    date_to: Annotated[str, Query(max_length=20)] = "",
    offset: Annotated[str | None, Query(max_length=12)] = None,
) -> Response:
    problems = Problems()
    start = parse_date(date_from, "From", problems)
    end = parse_date(date_to, "To", problems)
    if start and end and start > end:
        problems.add("From is after To.")
    users = await auth_service.list_users(session)
    result = await audit_service.list_activity(
        session,
        PageParams(limit=50, offset=parse_offset(offset)),
        actor_id=parse_uuid(actor),
        action=action.strip() or None,
        entity_type=entity_type.strip() or None,
        date_from=None if problems else start,
        date_to=None if problems else end,
    )
    filters = {
        "action": action,
        "entity_type": entity_type,
        "actor": actor,
        "date_from": date_from,
        "date_to": date_to,
    }
    return render(
        page,
        request,
        "admin/activity.html",
        rows=result.items,
        paging=Pager(result.total, result.limit, result.offset),
        filters=filters,
        problems=problems,
        users=users,
        names={u.id: u.full_name for u in users},
    )
