"""Every table, imported in one place for Alembic and the isolation tests."""

from crowndesk.audit.models import ActivityLog
from crowndesk.auth.models import AuthSession, LoginFailure, RefreshToken, Tenant, User
from crowndesk.clinics.models import Clinic
from crowndesk.db.base import Base
from crowndesk.patients.models import Family, Patient
from crowndesk.pms.sync.models import SyncConflict, SyncError, SyncPending, SyncRun, SyncState
from crowndesk.procedures.models import Fee, FeeSchedule, Procedure, ProcedureCode
from crowndesk.scheduling.models import Appointment, Operatory, Provider

__all__ = [
    "ActivityLog",
    "Appointment",
    "Family",
    "Fee",
    "FeeSchedule",
    "Operatory",
    "Patient",
    "Procedure",
    "ProcedureCode",
    "Provider",
    "SyncConflict",
    "SyncError",
    "SyncPending",
    "SyncRun",
    "SyncState",
    "AuthSession",
    "Base",
    "Clinic",
    "LoginFailure",
    "RefreshToken",
    "Tenant",
    "User",
]
