from __future__ import annotations

import uuid
from datetime import datetime

from crowndesk.audit.models import ActorType
from crowndesk.core.schema import Schema


class ActivityLogRead(Schema):
    id: uuid.UUID
    tenant_id: uuid.UUID
    actor_type: ActorType
    actor_id: uuid.UUID | None
    action: str
    entity_type: str
    entity_id: uuid.UUID | None
    request_id: str | None
    ip: str | None
    user_agent: str | None
    changed_fields: list[str]
    created_at: datetime
