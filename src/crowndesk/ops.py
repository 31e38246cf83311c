"""Operator tasks behind the CLI: owners, the demo organization."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crowndesk.auth.models import Tenant, User
from crowndesk.auth.schemas import MIN_PASSWORD
from crowndesk.auth.security import hash_password
from crowndesk.clinics.models import Clinic, ConnectionMode
from crowndesk.config import Settings
from crowndesk.core.context import Role
from crowndesk.core.crypto import SecretBox
from crowndesk.db.engine import create_engine, create_sessionmaker, unit_of_work
from crowndesk.db.tenancy import set_tenant, unscoped


class OperatorError(Exception):
    """A command cannot do what it was asked; the message says why."""


@asynccontextmanager
async def _operator_session(settings: Settings) -> AsyncIterator[AsyncSession]:
    """One transaction on a short-lived engine, as a command needs it."""
    engine = create_engine(settings.database_url)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            yield session
    finally:
        await engine.dispose()


async def _add_organization_with_owner(
    session: AsyncSession, organization: str, email: str, full_name: str, password: str
) -> Tenant:
    tenant = Tenant(name=organization)
    session.add(tenant)
    await session.flush()  # the tenant row first: the owner refers to it
    set_tenant(session, tenant.id)
    _add_owner(session, email, full_name, password)
    return tenant


def _add_owner(session: AsyncSession, email: str, full_name: str, password: str) -> None:
    session.add(
        User(
            email=email, full_name=full_name, role=Role.owner, password_hash=hash_password(password)
        )
    )


async def create_owner(
    settings: Settings,
    email: str,
    full_name: str,
    password: str,
    organization: str | None = None,
) -> str:
    email = email.strip().lower()
    if "@" not in email:
        raise OperatorError(f"{email!r} is not an email address.")
    if len(password) < MIN_PASSWORD:
        raise OperatorError(f"The password must have at least {MIN_PASSWORD} characters.")
    async with _operator_session(settings) as session:
        with unscoped(session):
            if await session.scalar(select(User.id).where(User.email == email)):
                raise OperatorError(f"A user with email {email} already exists.")
            tenants = list(await session.scalars(select(Tenant)))
        if organization:
            tenant = await _add_organization_with_owner(
                session, organization, email, full_name, password
            )
        elif len(tenants) == 1:
            tenant = tenants[0]
            set_tenant(session, tenant.id)
            _add_owner(session, email, full_name, password)
        else:
            raise OperatorError(
                f"{len(tenants)} organizations exist: name a new one with --organization."
            )
        return f"{email} in {tenant.name}"


async def seed_demo(
    settings: Settings,
    organization: str,
    email: str,
    password: str,
    *,
    open_dental: tuple[str, str, str] | None = None,
) -> None:
    """A demo organization with an owner and one clinic; with `open_dental` (base URL,
    developer key, customer key) the clinic is connected to that Open Dental API."""
    async with _operator_session(settings) as session:
        with unscoped(session):
            if await session.scalar(select(Tenant.id).limit(1)):
                raise OperatorError("The demo database is not empty.")
        await _add_organization_with_owner(session, organization, email, "Demo Owner", password)
        clinic = Clinic(
            name="Demo Dental — Main Street",
            timezone="America/Chicago",
            address_line1="100 Main Street",
            address_city="Springfield",
            address_state="IL",
            address_postal_code="62701",
            address_country="US",
        )
        if open_dental is not None:
            box = SecretBox(settings.secret_key)
            base_url, developer_key, customer_key = open_dental
            clinic.od_base_url = base_url
            clinic.od_developer_key_enc = box.encrypt(developer_key)
            clinic.od_customer_key_enc = box.encrypt(customer_key)
            clinic.od_customer_key_last4 = customer_key[-4:]
            clinic.od_sync_enabled = True
            clinic.od_mode = ConnectionMode.service
        session.add(clinic)
