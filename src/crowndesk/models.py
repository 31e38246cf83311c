"""Every table, imported in one place for Alembic and the isolation tests."""

from crowndesk.audit.models import ActivityLog
from crowndesk.auth.models import AuthSession, LoginFailure, RefreshToken, Tenant, User
from crowndesk.clinics.models import Clinic
from crowndesk.db.base import Base

__all__ = [
    "ActivityLog",
    "AuthSession",
    "Base",
    "Clinic",
    "LoginFailure",
    "RefreshToken",
    "Tenant",
    "User",
]
