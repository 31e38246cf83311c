"""Who is acting, for which tenant: built at the boundary, passed to services."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from uuid import UUID


class Role(enum.StrEnum):
    owner = "owner"
    admin = "admin"
    billing = "billing"
    front_desk = "front_desk"
    clinician = "clinician"
    read_only = "read_only"


@dataclass(frozen=True, slots=True)
class Context:
    tenant_id: UUID
    user_id: UUID | None  # None for system jobs
    roles: frozenset[Role]
    session_id: UUID | None = None
