"""`/api/activity-logs`."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from crowndesk.audit import service as audit_service
from crowndesk.audit.schemas import ActivityLogRead
from crowndesk.auth.dependencies import require
from crowndesk.auth.permissions import Permission
from crowndesk.core.context import Context
from crowndesk.core.errors import BadRequest
from crowndesk.core.pagination import Page, PageQuery
from crowndesk.core.routing import DbSession, TransactionalRoute

router = APIRouter(prefix="/api/activity-logs", tags=["activity"], route_class=TransactionalRoute)


@router.get("", response_model=Page[ActivityLogRead])
async def list_activity_logs(
    session: DbSession,
    ctx: Annotated[Context, Depends(require(Permission.activity_read))],
    page: PageQuery,
    actor_id: Annotated[uuid.UUID | None, Query(alias="actorId")] = None,
    action: Annotated[str | None, Query(max_length=80)] = None,
    entity_type: Annotated[str | None, Query(alias="entityType", max_length=80)] = None,
    entity_id: Annotated[uuid.UUID | None, Query(alias="entityId")] = None,
    date_from: Annotated[date | None, Query(alias="dateFrom")] = None,
    date_to: Annotated[date | None, Query(alias="dateTo")] = None,
) -> object:
    """Who changed what, newest first. Dates are inclusive, in UTC."""
    if date_from and date_to and date_from > date_to:
        raise BadRequest("dateFrom is after dateTo.")
    return await audit_service.list_activity(
        session,
        page,
        actor_id=actor_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        date_from=date_from,
        date_to=date_to,
    )
