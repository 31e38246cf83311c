"""Completed procedures and their billing status; procedure codes and fee schedules.

A completed procedure is one whose Open Dental status is C. Its billing status is ours:
the sync sets it to unbilled when it first sees the procedure completed and never touches
it again; staff (and later the claims and remittance flows) move it along the billing flow
of ARCHITECTURE.md. Every move is all-or-nothing, audited, and kept in the history.
"""

from __future__ import annotations

import base64
import binascii
import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from crowndesk.audit import service as audit
from crowndesk.clinics.models import Clinic
from crowndesk.core.context import Context
from crowndesk.core.dates import DateRange
from crowndesk.core.errors import BadRequest, Conflict, NotFound, not_found
from crowndesk.core.mirror import MirrorFilters
from crowndesk.core.pagination import PageParams, PageResult, paginate
from crowndesk.core.schema import Schema
from crowndesk.core.text import fold, like_pattern
from crowndesk.db.types import utcnow
from crowndesk.patients.models import Patient
from crowndesk.procedures.models import (
    BillingEvent,
    BillingStatus,
    Fee,
    FeeSchedule,
    FeeScheduleType,
    Procedure,
    ProcedureCode,
    ProcedureStatus,
)
from crowndesk.procedures.schemas import (
    BillingEventRead,
    CompletedProcedureRead,
    CompletedSort,
    CompletedStats,
    FeeRead,
    ProcedureCodeRead,
)
from crowndesk.scheduling.models import Provider

ZERO = Decimal("0.00")
R = TypeVar("R", bound=Schema)

# --- the billing flow ------------------------------------------------------------------


class BillingMove(enum.StrEnum):
    """What staff (or a later flow) may do to a batch of completed procedures."""

    claim_pending = "pending_claim"
    claimed = "claimed"
    paid = "paid"
    denied = "denied"
    write_off = "write_off"
    unbilled = "unbilled"  # a draft claim was deleted

    @property
    def target(self) -> BillingStatus:
        return BillingStatus(self.value)


# Which billing statuses each target may be reached from (ARCHITECTURE.md, "Billing flow").
# A write-off is a decision about money still expected: not from a claim in preparation
# (delete the draft first) and not once paid.
FROM: dict[BillingStatus, frozenset[BillingStatus]] = {
    BillingStatus.pending_claim: frozenset({BillingStatus.unbilled, BillingStatus.denied}),
    BillingStatus.claimed: frozenset({BillingStatus.pending_claim}),
    BillingStatus.paid: frozenset({BillingStatus.claimed}),
    BillingStatus.denied: frozenset({BillingStatus.claimed}),
    BillingStatus.write_off: frozenset(
        {BillingStatus.unbilled, BillingStatus.claimed, BillingStatus.denied}
    ),
    BillingStatus.unbilled: frozenset({BillingStatus.pending_claim}),
}


@dataclass(frozen=True, slots=True)
class Refusal:
    procedure_id: uuid.UUID
    billing_status: BillingStatus | None
    reason: str


def refusal(procedure: Procedure, target: BillingStatus) -> Refusal | None:
    """Why `procedure` may not move to `target`, or None when it may."""
    current = procedure.billing_status
    if procedure.status is not ProcedureStatus.completed:
        reason = f"its Open Dental status is {procedure.status.value}, not completed"
    elif procedure.pms_deleted_at is not None:
        reason = "it was deleted in Open Dental"
    elif current is None or current not in FROM[target]:
        reason = f"it is {current.value if current else 'without a billing status'}"
    else:
        return None
    return Refusal(procedure.id, current, reason)


async def change_billing_status(
    session: AsyncSession,
    ctx: Context,
    move: BillingMove,
    procedure_ids: Sequence[uuid.UUID],
    *,
    claim_id: uuid.UUID | None = None,
    reason: str | None = None,
) -> list[CompletedProcedureRead]:
    """Move every procedure of the batch, or none: 404 naming the unknown ids (another
    tenant's are unknown here), 409 naming those that may not make this move."""
    ids = list(dict.fromkeys(procedure_ids))
    target = move.target
    if target is BillingStatus.pending_claim and claim_id is None:
        raise BadRequest("A claim id is needed to mark procedures claim-pending.")
    stmt = select(Procedure).where(Procedure.id.in_(ids)).order_by(Procedure.id)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    procedures = list(await session.scalars(stmt))
    found = {p.id for p in procedures}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(
            f"{len(missing)} of the procedures were not found; nothing was changed.",
            procedureIds=[str(i) for i in missing],
        )
    refused = [r for p in procedures if (r := refusal(p, target)) is not None]
    if refused:
        raise Conflict(
            f"{len(refused)} of the procedures may not be marked {target.value}; "
            "nothing was changed.",
            procedureIds=[str(r.procedure_id) for r in refused],
            refused=[
                {
                    "procedureId": str(r.procedure_id),
                    "billingStatus": r.billing_status.value if r.billing_status else None,
                    "reason": r.reason,
                }
                for r in refused
            ],
        )
    now = utcnow()
    for procedure in procedures:
        previous = procedure.billing_status
        procedure.billing_status = target
        changed = ["billingStatus"]
        if target is BillingStatus.pending_claim:
            procedure.claim_id = claim_id
            changed.append("claimId")
        elif target is BillingStatus.unbilled:
            procedure.claim_id = None
            changed.append("claimId")
        session.add(
            BillingEvent(
                tenant_id=procedure.tenant_id,
                procedure_id=procedure.id,
                from_status=previous,
                to_status=target,
                claim_id=procedure.claim_id,
                reason=reason,
                actor_id=ctx.user_id,
                at=now,
            )
        )
        audit.record(
            session,
            f"procedure.billing.{target.value}",
            "procedure",
            procedure.id,
            changed_fields=changed,
        )
    await session.flush()
    return await _rows(session, ids)


async def billing_history(session: AsyncSession, procedure_id: uuid.UUID) -> list[BillingEventRead]:
    procedure = await session.get(Procedure, procedure_id)
    if procedure is None:
        raise not_found("Procedure", procedure_id)
    await audit.read_phi(session, [procedure.patient_id])
    events = await session.scalars(
        select(BillingEvent)
        .where(BillingEvent.procedure_id == procedure_id)
        .order_by(BillingEvent.at, BillingEvent.id)
    )
    return [BillingEventRead.model_validate(e) for e in events]


# --- the completed-procedures list -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class CompletedFilters:
    billing_statuses: tuple[BillingStatus, ...] = ()
    status: ProcedureStatus = ProcedureStatus.completed
    date_from: date | None = None
    date_to: date | None = None
    patient_id: uuid.UUID | None = None
    provider_id: uuid.UUID | None = None
    clinic_id: uuid.UUID | None = None
    cdt_code: str | None = None
    search: str | None = None

    def __post_init__(self) -> None:
        DateRange(self.date_from, self.date_to)  # refuses an empty range

    def where(self) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = [Procedure.status == self.status]
        if self.billing_statuses:
            clauses.append(Procedure.billing_status.in_(self.billing_statuses))
        if self.date_from is not None or self.date_to is not None:
            clauses.append(DateRange(self.date_from, self.date_to).on_dates(Procedure.proc_date))
        if self.patient_id is not None:
            clauses.append(Procedure.patient_id == self.patient_id)
        if self.provider_id is not None:
            clauses.append(Procedure.provider_id == self.provider_id)
        if self.clinic_id is not None:
            clauses.append(Procedure.clinic_id == self.clinic_id)
        if self.cdt_code:
            clauses.append(Procedure.code == self.cdt_code.strip().upper())
        for word in fold(self.search).split():
            pattern = like_pattern(word)
            clauses.append(
                or_(
                    Procedure.search_key.like(pattern, escape="\\"),
                    Patient.name_key.like(pattern, escape="\\"),
                )
            )
        return clauses

    @property
    def needs_patient(self) -> bool:
        return bool(fold(self.search).split())


@dataclass(slots=True)
class CompletedPage:
    items: list[CompletedProcedureRead]
    total: int
    limit: int
    offset: int
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class _SortKey:
    name: str
    column: Any
    descending: bool
    nullable: bool

    def order_by(self) -> list[Any]:
        if self.descending:
            first = self.column.desc().nulls_last() if self.nullable else self.column.desc()
            return [first, Procedure.id.desc()]
        first = self.column.asc().nulls_last() if self.nullable else self.column.asc()
        return [first, Procedure.id.asc()]

    def after(self, value: Any, last_id: uuid.UUID) -> ColumnElement[bool]:
        """The rows that come after (value, last_id) in this order."""
        if value is None:  # the cursor row had no value: such rows come last, by id
            beyond = Procedure.id < last_id if self.descending else Procedure.id > last_id
            return and_(self.column.is_(None), beyond)
        pair, mark = tuple_(self.column, Procedure.id), tuple_(value, last_id)
        later = pair < mark if self.descending else pair > mark
        return or_(later, self.column.is_(None)) if self.nullable else later


def _sort_key(sort: CompletedSort, filters: CompletedFilters) -> _SortKey:
    descending = sort.value.startswith("-")
    name = sort.value.lstrip("-")
    if name == "fee":
        return _SortKey(sort.value, Procedure.fee, descending, nullable=False)
    if name == "patientName":
        return _SortKey(sort.value, Patient.name_key, descending, nullable=False)
    # The sync refuses a completed procedure without a date, so only other statuses can
    # have none (they then sort last).
    nullable = filters.status is not ProcedureStatus.completed
    return _SortKey(sort.value, Procedure.proc_date, descending, nullable)


def _encode_cursor(key: _SortKey, value: Any, last_id: uuid.UUID) -> str:
    raw = orjson.dumps([key.name, None if value is None else str(value), str(last_id)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(key: _SortKey, cursor: str) -> tuple[Any, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        name, value, last_id = orjson.loads(base64.urlsafe_b64decode(padded))
        if name != key.name:
            raise ValueError("made for another sort")
        parsed_id = uuid.UUID(last_id)
        if value is None:
            return None, parsed_id
        if key.column is Procedure.proc_date:
            return date.fromisoformat(value), parsed_id
        if key.column is Procedure.fee:
            return Decimal(value), parsed_id
        return str(value), parsed_id
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError) as exc:
        raise BadRequest(f"The cursor is not valid for sort {key.name}: {exc}.") from None


def _sort_value(key: _SortKey, row: Any) -> Any:
    if key.column is Procedure.fee:
        return row.fee
    if key.column is Patient.name_key:
        return row.patient_key
    return row.proc_date


async def list_completed(
    session: AsyncSession,
    filters: CompletedFilters,
    *,
    sort: CompletedSort = CompletedSort.proc_date_desc,
    limit: int = 50,
    offset: int = 0,
    cursor: str | None = None,
) -> CompletedPage:
    """One page, by offset or, for deep pages, by the keyset `cursor` of the page before."""
    if cursor and offset:
        raise BadRequest("Give either a cursor or an offset, not both.")
    key = _sort_key(sort, filters)
    where = filters.where()
    count = select(func.count()).select_from(Procedure).where(*where)
    if filters.needs_patient:
        count = count.join(Patient, Patient.id == Procedure.patient_id)
    total = await session.scalar(count) or 0
    # The page's ids first, from the index alone; then the names for those rows only. (Joined
    # in one query, the tenant criteria on patients make PostgreSQL expect a handful of rows
    # and sort thousands instead of walking the index in order.)
    page = select(Procedure.id).where(*where)
    if filters.needs_patient or key.column is Patient.name_key:
        page = page.join(Patient, Patient.id == Procedure.patient_id)
    if cursor:
        page = page.where(key.after(*_decode_cursor(key, cursor)))
    page = page.order_by(*key.order_by()).limit(limit + 1).offset(offset)
    stmt = _joined().where(Procedure.id.in_(page)).order_by(*key.order_by())
    rows = (await session.execute(stmt)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more:
        next_cursor = _encode_cursor(key, _sort_value(key, rows[-1]), rows[-1].id)
    await audit.read_phi(session, [row.patient_id for row in rows])
    return CompletedPage(
        items=[_to_read(row) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
        next_cursor=next_cursor,
    )


async def require_patient(session: AsyncSession, patient_id: uuid.UUID) -> None:
    if await session.get(Patient, patient_id) is None:
        raise not_found("Patient", patient_id)


async def get_completed(session: AsyncSession, procedure_id: uuid.UUID) -> CompletedProcedureRead:
    rows = await _rows(session, [procedure_id])
    if not rows:
        raise not_found("Procedure", procedure_id)
    return rows[0]


async def _rows(session: AsyncSession, ids: list[uuid.UUID]) -> list[CompletedProcedureRead]:
    found = (await session.execute(_joined().where(Procedure.id.in_(ids)))).all()
    by_id = {row.id: row for row in found}
    await audit.read_phi(session, [row.patient_id for row in found])
    return [_to_read(by_id[i]) for i in ids if i in by_id]


# Only the columns a completed procedure shows: loading whole rows of three tables would
# cost more than the query itself.
_COLUMNS = (
    Procedure.id,
    Procedure.tenant_id,
    Procedure.clinic_id,
    Procedure.patient_id,
    Procedure.appointment_id,
    Procedure.code,
    Procedure.description,
    Procedure.proc_date,
    Procedure.tooth_number,
    Procedure.surface,
    Procedure.fee,
    Procedure.status,
    Procedure.provider_id,
    Procedure.billing_note,
    Procedure.claim_note,
    Procedure.diagnosis,
    Procedure.billing_status,
    Procedure.claim_id,
    Procedure.invoice_id,
    Procedure.pms_source,
    Procedure.pms_id,
    Procedure.pms_updated_at,
    Procedure.pms_deleted_at,
    Procedure.last_synced_at,
    Procedure.created_at,
    Procedure.updated_at,
    Patient.first_name.label("patient_first"),
    Patient.last_name.label("patient_last"),
    Patient.name_key.label("patient_key"),
    Provider.first_name.label("provider_first"),
    Provider.last_name.label("provider_last"),
    Provider.abbreviation.label("provider_abbreviation"),
)


def _joined() -> Select[*tuple[Any, ...]]:
    return (
        select(*_COLUMNS)
        .join(Patient, Patient.id == Procedure.patient_id)
        .outerjoin(Provider, Provider.id == Procedure.provider_id)
    )


def person_name(first: str | None, last: str | None) -> str:
    """ "Last, First" as staff read names in a list."""
    return ", ".join(part for part in (last, first) if part) or "(no name)"


def _to_read(row: Any) -> CompletedProcedureRead:
    provider_name = None
    if row.provider_id is not None:
        provider_name = (
            person_name(row.provider_first, row.provider_last)
            if row.provider_first or row.provider_last
            else row.provider_abbreviation
        )
    return CompletedProcedureRead(
        id=row.id,
        tenant_id=row.tenant_id,
        clinic_id=row.clinic_id,
        patient_id=row.patient_id,
        patient_name=person_name(row.patient_first, row.patient_last),
        appointment_id=row.appointment_id,
        cdt_code=row.code,
        description=row.description,
        proc_date=row.proc_date,
        tooth_number=row.tooth_number,
        surface=row.surface,
        fee=row.fee,
        status=row.status,
        provider_id=row.provider_id,
        provider_name=provider_name,
        note=row.billing_note,
        claim_note=row.claim_note,
        diag_code=row.diagnosis,
        billing_status=row.billing_status,
        claim_id=row.claim_id,
        invoice_id=row.invoice_id,
        pms_source=row.pms_source,
        pms_id=row.pms_id,
        pms_procedure_id=row.pms_id,
        pms_updated_at=row.pms_updated_at,
        pms_deleted_at=row.pms_deleted_at,
        last_synced_at=row.last_synced_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


# --- statistics ------------------------------------------------------------------------


async def completed_stats(
    session: AsyncSession,
    *,
    clinic_id: uuid.UUID | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    now: datetime | None = None,
) -> CompletedStats:
    """Counts and fees per billing status of the completed procedures, one index-only scan."""
    filters = CompletedFilters(clinic_id=clinic_id, date_from=date_from, date_to=date_to)
    this_month = await _this_month(session, clinic_id, now or utcnow())
    stmt = (
        select(
            Procedure.billing_status,
            func.count(),
            func.coalesce(func.sum(Procedure.fee), 0),
            func.coalesce(func.sum(case((this_month, 1), else_=0)), 0),
        )
        .where(*filters.where())
        .group_by(Procedure.billing_status)
    )
    counts: dict[BillingStatus | None, int] = {}
    fees: dict[BillingStatus | None, Decimal] = {}
    month = 0
    for status, count, fee, in_month in await session.execute(stmt):
        counts[status] = int(count)
        fees[status] = Decimal(fee).quantize(ZERO)
        month += int(in_month)

    def fees_of(*statuses: BillingStatus) -> Decimal:
        return sum((fees.get(s, ZERO) for s in statuses), ZERO)

    return CompletedStats(
        total=sum(counts.values()),
        unbilled=counts.get(BillingStatus.unbilled, 0),
        pending_claim=counts.get(BillingStatus.pending_claim, 0),
        claimed=counts.get(BillingStatus.claimed, 0),
        paid=counts.get(BillingStatus.paid, 0),
        denied=counts.get(BillingStatus.denied, 0),
        write_off=counts.get(BillingStatus.write_off, 0),
        this_month=month,
        total_fees=sum(fees.values(), ZERO),
        unbilled_fees=fees_of(BillingStatus.unbilled),
        in_claims_fees=fees_of(BillingStatus.pending_claim, BillingStatus.claimed),
        paid_fees=fees_of(BillingStatus.paid),
    )


async def _this_month(
    session: AsyncSession, clinic_id: uuid.UUID | None, now: datetime
) -> ColumnElement[bool]:
    """Dated in the current month of its clinic's own time zone."""
    stmt = select(Clinic.id, Clinic.timezone)
    if clinic_id is not None:
        stmt = stmt.where(Clinic.id == clinic_id)
    months: list[ColumnElement[bool]] = []
    for cid, zone in await session.execute(stmt):
        today = now.astimezone(ZoneInfo(zone)).date()
        first = today.replace(day=1)
        following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        months.append(
            and_(
                Procedure.clinic_id == cid,
                Procedure.proc_date >= first,
                Procedure.proc_date < following,
            )
        )
    return or_(*months) if months else Procedure.id.is_(None)


# --- procedure codes and fee schedules -------------------------------------------------


async def list_procedure_codes(
    session: AsyncSession, page: PageParams, mirror: MirrorFilters, search: str | None = None
) -> PageResult[ProcedureCodeRead]:
    stmt = mirror.apply(select(ProcedureCode), ProcedureCode)
    for word in fold(search).split():
        pattern = like_pattern(word)
        stmt = stmt.where(
            or_(
                func.lower(ProcedureCode.code).like(pattern, escape="\\"),
                func.lower(ProcedureCode.description).like(pattern, escape="\\"),
                func.lower(ProcedureCode.abbreviation).like(pattern, escape="\\"),
                func.lower(ProcedureCode.layman_term).like(pattern, escape="\\"),
            )
        )
    result = await paginate(session, stmt.order_by(ProcedureCode.code, ProcedureCode.id), page)
    codes: list[ProcedureCode] = result.items
    defaults = await _default_fees(session, codes)
    items = [_with(ProcedureCodeRead, code, default_fee=defaults.get(code.id)) for code in codes]
    return result.with_items(items)


async def _default_fees(
    session: AsyncSession, codes: list[ProcedureCode]
) -> dict[uuid.UUID, Decimal]:
    """Each code's fee in its clinic's first visible normal fee schedule, for no provider."""
    if not codes:
        return {}
    schedules = await session.execute(
        select(FeeSchedule.clinic_id, FeeSchedule.id)
        .where(
            FeeSchedule.type == FeeScheduleType.normal,
            FeeSchedule.is_hidden.is_(False),
            FeeSchedule.pms_deleted_at.is_(None),
        )
        .order_by(FeeSchedule.item_order, FeeSchedule.id)
    )
    first: dict[uuid.UUID, uuid.UUID] = {}
    for clinic, schedule in schedules:
        first.setdefault(clinic, schedule)
    if not first:
        return {}
    fees = await session.execute(
        select(Fee.procedure_code_id, Fee.amount).where(
            Fee.fee_schedule_id.in_(list(first.values())),
            Fee.procedure_code_id.in_([c.id for c in codes]),
            Fee.provider_id.is_(None),
            Fee.pms_deleted_at.is_(None),
        )
    )
    return {code_id: amount for code_id, amount in fees}


def _with(schema: type[R], row: object, **extra: Any) -> R:
    """`schema` of the ORM `row`, with `extra` fields the row does not have."""
    values = {name: getattr(row, name) for name in schema.model_fields if name not in extra}
    return schema.model_validate({**values, **extra})


async def list_fee_schedules(
    session: AsyncSession, page: PageParams, mirror: MirrorFilters
) -> PageResult[FeeSchedule]:
    stmt = mirror.apply(select(FeeSchedule), FeeSchedule)
    return await paginate(session, stmt.order_by(FeeSchedule.item_order, FeeSchedule.id), page)


async def list_fees(
    session: AsyncSession,
    schedule_id: uuid.UUID,
    page: PageParams,
    mirror: MirrorFilters,
    code: str | None = None,
) -> PageResult[FeeRead]:
    if await session.get(FeeSchedule, schedule_id) is None:
        raise not_found("Fee schedule", schedule_id)
    stmt = (
        select(Fee, ProcedureCode.code)
        .join(ProcedureCode, ProcedureCode.id == Fee.procedure_code_id)
        .where(Fee.fee_schedule_id == schedule_id)
    )
    stmt = mirror.apply(stmt, Fee)
    if code:
        stmt = stmt.where(ProcedureCode.code == code.strip().upper())
    stmt = stmt.order_by(ProcedureCode.code, Fee.provider_id, Fee.id)
    total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = (await session.execute(stmt.limit(page.limit).offset(page.offset))).all()
    items = [_with(FeeRead, fee, code=code_) for fee, code_ in rows]
    return PageResult(items=items, total=total or 0, limit=page.limit, offset=page.offset)
