"""Reads of Open Dental's own ledger rows as mirrored: payments (with their splits) and
adjustments. CrownDesk's append-only ledger is built from these, never by editing them."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crowndesk.audit.service import read_phi
from crowndesk.core.dates import DateRange
from crowndesk.core.mirror import MirrorFilters
from crowndesk.core.pagination import PageParams, PageResult, paginate
from crowndesk.ledger.models import Adjustment, Payment, PaymentSplit
from crowndesk.ledger.schemas import AdjustmentRead, PaymentRead, PaymentSplitRead


@dataclass(frozen=True, slots=True)
class LedgerCriteria:
    """Rows of this patient, dated within `dates` (inclusive; none means any date)."""

    patient_id: uuid.UUID | None = None
    dates: DateRange = field(default_factory=DateRange)


async def list_payments(
    session: AsyncSession, filters: MirrorFilters, criteria: LedgerCriteria, page: PageParams
) -> PageResult[PaymentRead]:
    """One page of payments by payment date, each with its splits; logs the read of every
    patient they name (a split may credit another family member)."""
    stmt = filters.apply(select(Payment), Payment).where(criteria.dates.on_dates(Payment.pay_date))
    if criteria.patient_id is not None:
        stmt = stmt.where(Payment.patient_id == criteria.patient_id)
    stmt = stmt.order_by(Payment.pay_date.asc().nulls_last(), Payment.id)
    result = await paginate(session, stmt, page)
    splits: dict[uuid.UUID, list[PaymentSplitRead]] = defaultdict(list)
    if result.items:
        split_stmt = (
            select(PaymentSplit)
            .where(PaymentSplit.payment_id.in_([p.id for p in result.items]))
            .order_by(PaymentSplit.id)
        )
        if not filters.include_deleted:
            split_stmt = split_stmt.where(PaymentSplit.pms_deleted_at.is_(None))
        for split in await session.scalars(split_stmt):
            splits[split.payment_id].append(PaymentSplitRead.model_validate(split))
    items = [
        PaymentRead.model_validate(p).model_copy(update={"splits": splits[p.id]})
        for p in result.items
    ]
    await read_phi(
        session,
        [*(p.patient_id for p in items), *(s.patient_id for p in items for s in p.splits)],
    )
    return result.with_items(items)


async def list_adjustments(
    session: AsyncSession, filters: MirrorFilters, criteria: LedgerCriteria, page: PageParams
) -> PageResult[Adjustment]:
    """One page of adjustments by date; logs the read of their patients."""
    stmt = filters.apply(select(Adjustment), Adjustment).where(
        criteria.dates.on_dates(Adjustment.adjustment_date)
    )
    if criteria.patient_id is not None:
        stmt = stmt.where(Adjustment.patient_id == criteria.patient_id)
    stmt = stmt.order_by(Adjustment.adjustment_date.asc().nulls_last(), Adjustment.id)
    result: PageResult[Adjustment] = await paginate(session, stmt, page)
    await read_phi(session, (a.patient_id for a in result.items))
    return result


def to_adjustment_reads(rows: list[Adjustment]) -> list[AdjustmentRead]:
    return [AdjustmentRead.model_validate(a) for a in rows]
