"""The one map of what each role may do."""

from __future__ import annotations

import enum

from crowndesk.core.context import Role


class Permission(enum.StrEnum):
    users_manage = "users:manage"
    clinics_read = "clinics:read"
    # The practice mirrored from Open Dental: patients, schedule, insurance, plans, ledger.
    records_read = "records:read"
    clinics_manage = "clinics:manage"
    activity_read = "activity:read"
    billing_write = "billing:write"
    sync_run = "sync:run"


_EVERYONE = {Permission.clinics_read, Permission.records_read}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.owner: frozenset(Permission),
    Role.admin: frozenset(Permission),
    Role.billing: frozenset(_EVERYONE | {Permission.billing_write, Permission.sync_run}),
    Role.front_desk: frozenset(_EVERYONE),
    Role.clinician: frozenset(_EVERYONE),
    Role.read_only: frozenset(_EVERYONE),
}


def allows(roles: frozenset[Role], permission: Permission) -> bool:
    return any(permission in ROLE_PERMISSIONS[role] for role in roles)
