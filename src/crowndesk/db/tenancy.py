"""Tenant isolation, enforced in one place and failing closed.

The boundary (request, job, command) puts the tenant's id in `session.info["tenant_id"]`.
Every ORM SELECT/UPDATE/DELETE touching a `TenantMixin` model is then limited to that tenant,
and new rows are stamped with it. A session with no tenant sees nothing and may write nothing
tenant-owned. The only way around is `unscoped(session)`, for the few places that must look
across tenants before a tenant is known (login, token refresh, operator commands).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction, with_loader_criteria

from crowndesk.db.base import TenantMixin

NO_TENANT = uuid.UUID(int=0)  # matches no row
TENANT_KEY = "tenant_id"
UNSCOPED_KEY = "tenancy_unscoped"


class TenantViolation(RuntimeError):
    """A write would cross tenants: a programming error, never user input."""


def set_tenant(session: Any, tenant_id: uuid.UUID) -> None:
    """Bind a session (sync or async) to one tenant. It may never be re-bound to another."""
    info = session.info
    current = info.get(TENANT_KEY)
    if current is not None and current != tenant_id:
        raise TenantViolation("a session serves one tenant only")
    info[TENANT_KEY] = tenant_id


def current_tenant(session: Any) -> uuid.UUID | None:
    tenant: uuid.UUID | None = session.info.get(TENANT_KEY)
    return tenant


@contextmanager
def unscoped(session: Any) -> Iterator[None]:
    """Look across tenants for the duration of the block (login, refresh, operators)."""
    previous = session.info.get(UNSCOPED_KEY, False)
    session.info[UNSCOPED_KEY] = True
    try:
        yield
    finally:
        session.info[UNSCOPED_KEY] = previous


@event.listens_for(Session, "do_orm_execute")
def _scope_to_tenant(state: ORMExecuteState) -> None:
    if state.is_column_load or state.is_relationship_load:
        return  # the parent statement already carries the criteria
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.session.info.get(UNSCOPED_KEY):
        return
    tenant_id = state.session.info.get(TENANT_KEY, NO_TENANT)
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantMixin,
            lambda cls: cls.tenant_id == tenant_id,
            include_aliases=True,
        )
    )


@event.listens_for(Session, "before_flush")
def _stamp_tenant(session: Session, flush_context: UOWTransaction, instances: Any) -> None:
    tenant_id = session.info.get(TENANT_KEY)
    unscoped_ok = session.info.get(UNSCOPED_KEY, False)
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if not isinstance(obj, TenantMixin):
            continue
        if obj.tenant_id is None:
            if tenant_id is None:
                raise TenantViolation(f"no tenant bound to the session for {type(obj).__name__}")
            obj.tenant_id = tenant_id
        elif tenant_id is not None and obj.tenant_id != tenant_id and not unscoped_ok:
            raise TenantViolation(f"{type(obj).__name__} belongs to another tenant")
        elif tenant_id is None and not unscoped_ok:
            raise TenantViolation(f"no tenant bound to the session for {type(obj).__name__}")
