"""Every table, imported in one place for Alembic and the isolation tests."""

from crowndesk.audit.models import ActivityLog
from crowndesk.auth.models import AuthSession, LoginFailure, RefreshToken, Tenant, User
from crowndesk.claims.models import Claim, ClaimPayment, ClaimProcedure
from crowndesk.clinics.models import Clinic
from crowndesk.db.base import Base
from crowndesk.insurance.models import (
    Benefit,
    Carrier,
    CoverageCategory,
    InsurancePlan,
    InsuranceSubscriber,
    PatientPlan,
)
from crowndesk.ledger.models import Adjustment, Payment, PaymentSplit
from crowndesk.patients.models import Family, Patient
from crowndesk.pms.sync.models import SyncConflict, SyncError, SyncPending, SyncRun, SyncState
from crowndesk.procedures.models import BillingEvent, Fee, FeeSchedule, Procedure, ProcedureCode
from crowndesk.referrals.models import ReferralAttachment, ReferralSource
from crowndesk.scheduling.models import Appointment, Operatory, Provider
from crowndesk.treatment.models import PlannedProcedure, TreatmentPlan

__all__ = [
    "ActivityLog",
    "Adjustment",
    "Appointment",
    "AuthSession",
    "Base",
    "BillingEvent",
    "Benefit",
    "Carrier",
    "Claim",
    "ClaimPayment",
    "ClaimProcedure",
    "Clinic",
    "CoverageCategory",
    "Family",
    "Fee",
    "FeeSchedule",
    "InsurancePlan",
    "InsuranceSubscriber",
    "LoginFailure",
    "Operatory",
    "Patient",
    "PatientPlan",
    "Payment",
    "PaymentSplit",
    "PlannedProcedure",
    "Procedure",
    "ProcedureCode",
    "Provider",
    "ReferralAttachment",
    "ReferralSource",
    "RefreshToken",
    "SyncConflict",
    "SyncError",
    "SyncPending",
    "SyncRun",
    "SyncState",
    "Tenant",
    "TreatmentPlan",
    "User",
]
