"""Clinics and their Open Dental connection; keys are encrypted and never read back out."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crowndesk.clinics.models import ApiTier, Clinic, ConnectionMode
from crowndesk.clinics.schemas import (
    AddressRead,
    ClinicRead,
    ClinicWrite,
    ContactRead,
    OpenDentalRead,
)
from crowndesk.core.crypto import SecretBox
from crowndesk.core.errors import not_found
from crowndesk.core.pagination import PageParams, PageResult, paginate
from crowndesk.db.types import utcnow


async def list_clinics(session: AsyncSession, page: PageParams) -> PageResult[Clinic]:
    stmt = select(Clinic).where(Clinic.deleted_at.is_(None)).order_by(Clinic.name, Clinic.id)
    return await paginate(session, stmt, page)


async def get_clinic(session: AsyncSession, clinic_id: uuid.UUID) -> Clinic:
    clinic = await session.scalar(
        select(Clinic).where(Clinic.id == clinic_id, Clinic.deleted_at.is_(None))
    )
    if clinic is None:
        raise not_found("Clinic", clinic_id)
    return clinic


async def create_clinic(session: AsyncSession, box: SecretBox, data: ClinicWrite) -> Clinic:
    clinic = Clinic(id=uuid.uuid4())
    _apply(clinic, box, data)
    session.add(clinic)
    await session.flush()
    return clinic


async def replace_clinic(
    session: AsyncSession, box: SecretBox, clinic_id: uuid.UUID, data: ClinicWrite
) -> Clinic:
    clinic = await get_clinic(session, clinic_id)
    _apply(clinic, box, data)
    await session.flush()
    return clinic


async def delete_clinic(session: AsyncSession, clinic_id: uuid.UUID) -> None:
    """Retire a clinic. Its row stays (mirrored data and history refer to it)."""
    clinic = await get_clinic(session, clinic_id)
    clinic.deleted_at = utcnow()
    clinic.od_sync_enabled = False
    await session.flush()


def _apply(clinic: Clinic, box: SecretBox, data: ClinicWrite) -> None:
    clinic.name = data.name.strip()
    clinic.timezone = data.timezone
    address = data.address
    clinic.address_line1 = address.line1 if address else None
    clinic.address_line2 = address.line2 if address else None
    clinic.address_city = address.city if address else None
    clinic.address_state = address.state if address else None
    clinic.address_postal_code = address.postal_code if address else None
    clinic.address_country = address.country if address else None
    clinic.contact_email = str(data.contact.email) if data.contact and data.contact.email else None
    clinic.contact_phone = data.contact.phone if data.contact else None
    od = data.open_dental
    clinic.od_base_url = str(od.base_url).rstrip("/") if od and od.base_url else None
    clinic.od_sync_enabled = od.sync_enabled if od else False
    clinic.od_mode = od.mode if od else ConnectionMode.remote
    clinic.od_tier = od.tier if od else ApiTier.standard
    clinic.od_request_interval_ms = od.request_interval_ms if od else None
    if od and od.developer_key:
        clinic.od_developer_key_enc = box.encrypt(od.developer_key)
    if od and od.customer_key:
        clinic.od_customer_key_enc = box.encrypt(od.customer_key)
        clinic.od_customer_key_last4 = od.customer_key[-4:]


def to_read(clinic: Clinic) -> ClinicRead:
    return ClinicRead(
        id=clinic.id,
        tenant_id=clinic.tenant_id,
        name=clinic.name,
        timezone=clinic.timezone,
        address=AddressRead(
            line1=clinic.address_line1,
            line2=clinic.address_line2,
            city=clinic.address_city,
            state=clinic.address_state,
            postal_code=clinic.address_postal_code,
            country=clinic.address_country,
        ),
        contact=ContactRead(email=clinic.contact_email, phone=clinic.contact_phone),
        open_dental=OpenDentalRead(
            base_url=clinic.od_base_url,
            has_credentials=bool(clinic.od_developer_key_enc and clinic.od_customer_key_enc),
            customer_key_last4=clinic.od_customer_key_last4,
            sync_enabled=clinic.od_sync_enabled,
            mode=clinic.od_mode,
            tier=clinic.od_tier,
            request_interval_ms=clinic.od_request_interval_ms,
            effective_request_interval_ms=clinic.effective_request_interval_ms,
            page_size=clinic.od_mode.page_size,
        ),
        created_at=clinic.created_at,
        updated_at=clinic.updated_at,
    )
