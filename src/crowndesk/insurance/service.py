"""Reads of the mirrored insurance: plans with their carriers and benefits, and each
patient's coverage (policy, subscriber, relationship, benefits) in ordinal order."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crowndesk.audit.service import read_phi
from crowndesk.core.errors import not_found
from crowndesk.core.mirror import MirrorFilters
from crowndesk.core.pagination import PageParams, PageResult, paginate
from crowndesk.insurance.models import (
    Benefit,
    Carrier,
    CoverageCategory,
    InsurancePlan,
    InsuranceSubscriber,
    PatientPlan,
)
from crowndesk.insurance.schemas import (
    BenefitRead,
    CarrierRead,
    CoverageCategoryRead,
    CoverageRead,
    InsurancePlanDetail,
    InsurancePlanRead,
    InsuranceSubscriberRead,
    PatientPlanRead,
    SubscriberPerson,
)
from crowndesk.patients.models import Patient
from crowndesk.procedures.models import ProcedureCode


async def list_plans(
    session: AsyncSession,
    filters: MirrorFilters,
    page: PageParams,
    *,
    carrier_id: uuid.UUID | None = None,
) -> PageResult[InsurancePlanRead]:
    stmt = filters.apply(select(InsurancePlan), InsurancePlan)
    if carrier_id is not None:
        stmt = stmt.where(InsurancePlan.carrier_id == carrier_id)
    stmt = stmt.order_by(
        InsurancePlan.group_name.asc().nulls_last(), InsurancePlan.group_number, InsurancePlan.id
    )
    result = await paginate(session, stmt, page)
    carriers = await _carriers(session, {p.carrier_id for p in result.items})
    return result.with_items([_plan(p, carriers) for p in result.items])


async def get_plan(
    session: AsyncSession, plan_id: uuid.UUID, *, include_deleted: bool = False
) -> InsurancePlanDetail:
    stmt = select(InsurancePlan).where(InsurancePlan.id == plan_id)
    if not include_deleted:
        stmt = stmt.where(InsurancePlan.pms_deleted_at.is_(None))
    plan = await session.scalar(stmt)
    if plan is None:
        raise not_found("Insurance plan", plan_id)
    carriers = await _carriers(session, {plan.carrier_id})
    benefits = await _benefits(session, {plan.id}, set(), include_deleted=include_deleted)
    return InsurancePlanDetail.model_validate(plan).model_copy(
        update={
            "carrier": carriers.get(plan.carrier_id),
            "benefits": [b for b, owner in benefits if owner == plan.id],
        }
    )


async def patient_plans(
    session: AsyncSession, patient_id: uuid.UUID, *, include_deleted: bool = False
) -> list[PatientPlanRead]:
    """The patient's coverage in ordinal order (primary first), without benefits. Does not
    log a read: the caller logs the patients whose records it shows (see `subscriber_ids`)."""
    return [c for c, _ in await _coverage(session, patient_id, include_deleted=include_deleted)]


async def patient_coverage(
    session: AsyncSession, patient_id: uuid.UUID, *, include_deleted: bool = False
) -> list[CoverageRead]:
    """The patient's coverage in ordinal order, each with the benefits that apply: the
    plan's and the patient's own overrides. Logs the read of the patient and of each
    subscriber. NotFound if the patient is absent (or deleted, unless `include_deleted`)."""
    stmt = select(Patient.id).where(Patient.id == patient_id)
    if not include_deleted:
        stmt = stmt.where(Patient.pms_deleted_at.is_(None))
    if await session.scalar(stmt) is None:
        raise not_found("Patient", patient_id)
    coverage = await _coverage(session, patient_id, include_deleted=include_deleted)
    benefits = await _benefits(
        session,
        {c.plan.id for c, _ in coverage if c.plan is not None},
        {c.id for c, _ in coverage},
        include_deleted=include_deleted,
    )
    result = [
        CoverageRead.model_validate(row).model_copy(
            update={
                "subscriber": c.subscriber,
                "plan": c.plan,
                "benefits": [b for b, owner in benefits if owner in (c.id, c.plan and c.plan.id)],
            }
        )
        for c, row in coverage
    ]
    await read_phi(session, [patient_id, *subscriber_ids(result)])
    return result


def subscriber_ids(plans: Collection[PatientPlanRead]) -> list[uuid.UUID]:
    """The patients whose records (as subscribers) these plans carry."""
    return [p.subscriber.subscriber_id for p in plans if p.subscriber is not None]


async def _coverage(
    session: AsyncSession, patient_id: uuid.UUID, *, include_deleted: bool
) -> list[tuple[PatientPlanRead, PatientPlan]]:
    stmt = select(PatientPlan).where(PatientPlan.patient_id == patient_id)
    if not include_deleted:
        stmt = stmt.where(PatientPlan.pms_deleted_at.is_(None))
    rows = list(await session.scalars(stmt.order_by(PatientPlan.ordinal, PatientPlan.id)))
    if not rows:
        return []
    subscribers = {
        s.id: s
        for s in await session.scalars(
            select(InsuranceSubscriber).where(
                InsuranceSubscriber.id.in_({r.insurance_subscriber_id for r in rows})
            )
        )
    }
    people = {
        p.id: SubscriberPerson.model_validate(p)
        for p in await session.scalars(
            select(Patient).where(Patient.id.in_({s.subscriber_id for s in subscribers.values()}))
        )
    }
    plans = {
        p.id: p
        for p in await session.scalars(
            select(InsurancePlan).where(
                InsurancePlan.id.in_({s.insurance_plan_id for s in subscribers.values()})
            )
        )
    }
    carriers = await _carriers(session, {p.carrier_id for p in plans.values()})
    result = []
    for row in rows:
        sub = subscribers.get(row.insurance_subscriber_id)
        plan = plans.get(sub.insurance_plan_id) if sub else None
        read = PatientPlanRead.model_validate(row).model_copy(
            update={
                "subscriber": (
                    InsuranceSubscriberRead.model_validate(sub).model_copy(
                        update={"subscriber": people.get(sub.subscriber_id)}
                    )
                    if sub
                    else None
                ),
                "plan": _plan(plan, carriers) if plan else None,
            }
        )
        result.append((read, row))
    return result


async def _carriers(
    session: AsyncSession, carrier_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, CarrierRead]:
    if not carrier_ids:
        return {}
    rows = await session.scalars(select(Carrier).where(Carrier.id.in_(carrier_ids)))
    return {c.id: CarrierRead.model_validate(c) for c in rows}


def _plan(plan: InsurancePlan, carriers: dict[uuid.UUID, CarrierRead]) -> InsurancePlanRead:
    return InsurancePlanRead.model_validate(plan).model_copy(
        update={"carrier": carriers.get(plan.carrier_id)}
    )


async def _benefits(
    session: AsyncSession,
    plan_ids: Collection[uuid.UUID],
    patient_plan_ids: Collection[uuid.UUID],
    *,
    include_deleted: bool,
) -> list[tuple[BenefitRead, uuid.UUID | None]]:
    """Benefits of these plans and coverages, each with the plan or coverage it belongs to,
    in Open Dental's order."""
    if not plan_ids and not patient_plan_ids:
        return []
    stmt = (
        select(Benefit, CoverageCategory, ProcedureCode.code)
        .outerjoin(CoverageCategory, CoverageCategory.id == Benefit.coverage_category_id)
        .outerjoin(ProcedureCode, ProcedureCode.id == Benefit.procedure_code_id)
        .where(
            or_(
                Benefit.insurance_plan_id.in_(plan_ids),
                Benefit.patient_plan_id.in_(patient_plan_ids),
            )
        )
        .order_by(func.length(Benefit.pms_id), Benefit.pms_id, Benefit.id)
    )
    if not include_deleted:
        stmt = stmt.where(Benefit.pms_deleted_at.is_(None))
    result = []
    for benefit, category, code in (await session.execute(stmt)).all():
        read = BenefitRead.model_validate(benefit).model_copy(
            update={
                "coverage_category": (
                    CoverageCategoryRead.model_validate(category) if category else None
                ),
                "procedure_code": code,
            }
        )
        owner = benefit.insurance_plan_id or benefit.patient_plan_id
        result.append((read, owner))
    return result
