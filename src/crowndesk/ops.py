"""Operator tasks behind the CLI: owners, the demo organization."""

from __future__ import annotations

from sqlalchemy import func, select

from crowndesk.auth.models import Tenant, User
from crowndesk.auth.schemas import MIN_PASSWORD
from crowndesk.auth.security import hash_password
from crowndesk.clinics.models import Clinic
from crowndesk.config import Settings
from crowndesk.core.context import Role
from crowndesk.db.engine import create_engine, create_sessionmaker
from crowndesk.db.tenancy import set_tenant, unscoped


class OperatorError(Exception):
    """A command cannot do what it was asked; the message says why."""


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
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            with unscoped(session):
                if await session.scalar(select(User.id).where(User.email == email)):
                    raise OperatorError(f"A user with email {email} already exists.")
                tenants = list(await session.scalars(select(Tenant)))
            if organization:
                tenant = Tenant(name=organization)
                session.add(tenant)
                await session.flush()
            elif len(tenants) == 1:
                tenant = tenants[0]
            else:
                raise OperatorError(
                    "Name the organization with --organization "
                    f"({len(tenants)} exist; a new one will be created)."
                )
            set_tenant(session, tenant.id)
            session.add(
                User(
                    email=email,
                    full_name=full_name,
                    role=Role.owner,
                    password_hash=hash_password(password),
                )
            )
            await session.commit()
            return f"{email} in {tenant.name}"
    finally:
        await engine.dispose()


async def seed_demo(settings: Settings, organization: str, email: str, password: str) -> None:
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            with unscoped(session):
                if await session.scalar(select(func.count()).select_from(Tenant)):
                    raise OperatorError("The demo database is not empty.")
            tenant = Tenant(name=organization)
            session.add(tenant)
            await session.flush()
            set_tenant(session, tenant.id)
            session.add(
                User(
                    email=email,
                    full_name="Demo Owner",
                    role=Role.owner,
                    password_hash=hash_password(password),
                )
            )
            session.add(
                Clinic(
                    name="Demo Dental — Main Street",
                    timezone="America/Chicago",
                    address_line1="100 Main Street",
                    address_city="Springfield",
                    address_state="IL",
                    address_postal_code="62701",
                    address_country="US",
                )
            )
            await session.commit()
    finally:
        await engine.dispose()
