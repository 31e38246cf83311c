"""Sign-up, sign-in, token rotation, sessions and users."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crowndesk.audit import service as audit
from crowndesk.auth.models import AuthSession, LoginFailure, RefreshToken, Tenant, User
from crowndesk.auth.schemas import RegisterRequest, UserCreate, UserUpdate
from crowndesk.auth.security import (
    AccessClaims,
    hash_password,
    issue_access_token,
    needs_rehash,
    verify_password,
)
from crowndesk.config import Settings
from crowndesk.core.context import Context, Role
from crowndesk.core.crypto import hash_token, new_token
from crowndesk.core.errors import (
    Aftermath,
    Conflict,
    Forbidden,
    TooManyRequests,
    Unauthorized,
    not_found,
)
from crowndesk.db.tenancy import set_tenant, unscoped
from crowndesk.db.types import utcnow


@dataclass(frozen=True, slots=True)
class ClientInfo:
    ip: str
    user_agent: str | None


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    user: User
    session: AuthSession
    access_token: str
    refresh_token: str
    cookie_token: str
    expires_in: int


class InvalidCredentials(Unauthorized):
    def __init__(self) -> None:
        super().__init__("Email or password is incorrect.")


class SignupClosed(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            "Sign-up is closed; ask an administrator of your organization for an account."
        )


class EmailTaken(Conflict):
    def __init__(self) -> None:
        super().__init__("A user with this email already exists.")


# --- sign-up and sign-in -------------------------------------------------------------------


async def register(
    session: AsyncSession, settings: Settings, data: RegisterRequest, client: ClientInfo
) -> IssuedTokens:
    """Create a tenant and its owner. Open on an empty database or when sign-up is allowed."""
    with unscoped(session):
        has_users = await session.scalar(select(func.count()).select_from(User))
        if has_users and not settings.allow_signup:
            raise SignupClosed()
        if await session.scalar(select(User.id).where(User.email == data.email)):
            raise EmailTaken()
    tenant = Tenant(id=uuid.uuid4(), name=data.organization_name.strip())
    session.add(tenant)
    set_tenant(session, tenant.id)
    await session.flush()  # the tenant row first: everything else refers to it
    user = User(
        tenant_id=tenant.id,
        email=data.email,
        full_name=data.full_name.strip(),
        role=Role.owner,
        password_hash=hash_password(data.password),
    )
    session.add(user)
    await session.flush()
    return await _start_session(session, settings, user, client)


async def login(
    session: AsyncSession, settings: Settings, email: str, password: str, client: ClientInfo
) -> IssuedTokens:
    """Check the password and open a session.

    Raises TooManyRequests after too many failures for this account from this address, and
    InvalidCredentials (whose aftermath records the failure) on a wrong email or password.
    """
    email = email.strip().lower()
    await _check_throttle(session, settings, email, client.ip)
    with unscoped(session):
        user = await session.scalar(select(User).where(User.email == email))
    if user is None or not verify_password(user.password_hash, password) or not user.is_active:
        error = InvalidCredentials()
        error.aftermath = _failed_login(email, client, user)
        raise error
    set_tenant(session, user.tenant_id)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return await _start_session(session, settings, user, client)


async def _check_throttle(session: AsyncSession, settings: Settings, email: str, ip: str) -> None:
    window = timedelta(minutes=settings.login_window_minutes)
    since = utcnow() - window
    stmt = select(func.count(), func.min(LoginFailure.created_at)).where(
        LoginFailure.email == email, LoginFailure.ip == ip, LoginFailure.created_at > since
    )
    count, oldest = (await session.execute(stmt)).one()
    if count >= settings.login_max_failures and oldest is not None:
        retry_after = max(1, int((oldest + window - utcnow()).total_seconds()) + 1)
        raise TooManyRequests(
            "Too many failed sign-in attempts; try again later.", retry_after=retry_after
        )


def _failed_login(email: str, client: ClientInfo, user: User | None) -> Aftermath:
    user_id = user.id if user else None
    tenant_id = user.tenant_id if user else None

    async def keep(session: AsyncSession) -> None:
        session.add(LoginFailure(email=email, ip=client.ip))
        if tenant_id is not None:
            set_tenant(session, tenant_id)
            audit.record(session, "auth.login_failed", "user", user_id, tenant_id=tenant_id)

    return keep


async def _start_session(
    session: AsyncSession, settings: Settings, user: User, client: ClientInfo
) -> IssuedTokens:
    cookie_token = new_token()
    auth_session = AuthSession(
        id=uuid.uuid4(),
        tenant_id=user.tenant_id,
        user_id=user.id,
        user_agent=(client.user_agent or "")[:500] or None,
        ip=client.ip,
        expires_at=utcnow() + timedelta(days=settings.refresh_token_days),
        cookie_token_hash=hash_token(cookie_token),
    )
    session.add(auth_session)
    audit.set_actor(session, _actor_for(session, user.id))
    audit.record(session, "auth.login", "session", auth_session.id, tenant_id=user.tenant_id)
    refresh = await _new_refresh_token(session, auth_session)
    await session.flush()
    return _issue(settings, user, auth_session, refresh, cookie_token)


def _actor_for(session: AsyncSession, user_id: uuid.UUID) -> audit.Actor:
    current = session.info.get(audit.AUDIT_KEY, audit.SYSTEM)
    return audit.Actor(
        actor_type=audit.ActorType.user,
        actor_id=user_id,
        request_id=current.request_id,
        ip=current.ip,
        user_agent=current.user_agent,
    )


async def _new_refresh_token(session: AsyncSession, auth_session: AuthSession) -> str:
    token = new_token()
    session.add(
        RefreshToken(
            tenant_id=auth_session.tenant_id,
            session_id=auth_session.id,
            token_hash=hash_token(token),
        )
    )
    return token


def _issue(
    settings: Settings, user: User, auth_session: AuthSession, refresh: str, cookie: str
) -> IssuedTokens:
    lifetime = timedelta(minutes=settings.access_token_minutes)
    access = issue_access_token(
        settings.secret_key,
        AccessClaims(user_id=user.id, tenant_id=user.tenant_id, session_id=auth_session.id),
        lifetime,
    )
    return IssuedTokens(
        user=user,
        session=auth_session,
        access_token=access,
        refresh_token=refresh,
        cookie_token=cookie,
        expires_in=int(lifetime.total_seconds()),
    )


async def refresh(
    session: AsyncSession, settings: Settings, token: str, client: ClientInfo
) -> IssuedTokens:
    """Rotate a refresh token. A token presented twice revokes its whole session."""
    with unscoped(session):
        stored = await session.scalar(
            select(RefreshToken).where(RefreshToken.token_hash == hash_token(token))
        )
        if stored is None:
            raise Unauthorized("Refresh token is invalid or expired.")
        auth_session = await session.scalar(
            select(AuthSession).where(AuthSession.id == stored.session_id)
        )
        user = (
            await session.scalar(select(User).where(User.id == auth_session.user_id))
            if auth_session
            else None
        )
    if auth_session is None or user is None:
        raise Unauthorized("Refresh token is invalid or expired.")
    set_tenant(session, user.tenant_id)
    if stored.used_at is not None:
        error = Unauthorized("Refresh token was already used; the session has been revoked.")
        error.aftermath = _revoke_stolen(auth_session.id, user.id)
        raise error
    if (
        auth_session.revoked_at is not None
        or auth_session.expires_at <= utcnow()
        or not user.is_active
    ):
        raise Unauthorized("Refresh token is invalid or expired.")
    now = utcnow()
    stored.used_at = now
    auth_session.last_used_at = now
    auth_session.expires_at = now + timedelta(days=settings.refresh_token_days)
    cookie_token = new_token()
    auth_session.cookie_token_hash = hash_token(cookie_token)
    new_refresh = await _new_refresh_token(session, auth_session)
    await session.flush()
    return _issue(settings, user, auth_session, new_refresh, cookie_token)


def _revoke_stolen(session_id: uuid.UUID, user_id: uuid.UUID) -> Aftermath:
    async def keep(session: AsyncSession) -> None:
        auth_session = await session.scalar(select(AuthSession).where(AuthSession.id == session_id))
        if auth_session is not None and auth_session.revoked_at is None:
            auth_session.revoked_at = utcnow()
            auth_session.revoked_reason = "refresh_token_reuse"
            audit.set_actor(session, _actor_for(session, user_id))
            audit.record(
                session, "auth.session_revoked", "session", session_id, changed_fields=["revokedAt"]
            )

    return keep


# --- sessions ------------------------------------------------------------------------------


async def logout(session: AsyncSession, ctx: Context) -> None:
    if ctx.session_id is not None:
        await _revoke(session, ctx.session_id, "logout", "auth.logout")


async def list_sessions(session: AsyncSession, ctx: Context) -> list[AuthSession]:
    stmt = (
        select(AuthSession)
        .where(
            AuthSession.user_id == ctx.user_id,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > utcnow(),
        )
        .order_by(AuthSession.last_used_at.desc())
    )
    return list(await session.scalars(stmt))


async def revoke_session(session: AsyncSession, ctx: Context, session_id: uuid.UUID) -> None:
    """Sign out one of the user's own sessions (another user's, or another tenant's, is 404)."""
    found = await session.scalar(
        select(AuthSession.id).where(
            AuthSession.id == session_id, AuthSession.user_id == ctx.user_id
        )
    )
    if found is None:
        raise not_found("Session", session_id)
    await _revoke(session, session_id, "revoked", "auth.session_revoked")


async def _revoke(session: AsyncSession, session_id: uuid.UUID, reason: str, action: str) -> None:
    auth_session = await session.scalar(select(AuthSession).where(AuthSession.id == session_id))
    if auth_session is None or auth_session.revoked_at is not None:
        return
    auth_session.revoked_at = utcnow()
    auth_session.revoked_reason = reason
    audit.record(session, action, "session", session_id, changed_fields=["revokedAt"])


# --- users ---------------------------------------------------------------------------------


async def list_users(session: AsyncSession) -> list[User]:
    return list(await session.scalars(select(User).order_by(User.created_at, User.email)))


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.scalar(select(User).where(User.id == user_id))
    if user is None:
        raise not_found("User", user_id)
    return user


def _guard_owner_role(ctx: Context, *roles: Role | None) -> None:
    if Role.owner in roles and Role.owner not in ctx.roles:
        raise Forbidden("Only an owner may create, change or remove owners.")


async def _email_free(
    session: AsyncSession, email: str, except_id: uuid.UUID | None = None
) -> None:
    with unscoped(session):
        taken = await session.scalar(select(User.id).where(User.email == email))
    if taken is not None and taken != except_id:
        raise EmailTaken()


async def create_user(session: AsyncSession, ctx: Context, data: UserCreate) -> User:
    _guard_owner_role(ctx, data.role)
    await _email_free(session, data.email)
    user = User(
        email=data.email,
        full_name=data.full_name.strip(),
        role=data.role,
        password_hash=hash_password(data.password),
    )
    session.add(user)
    await session.flush()
    return user


async def update_user(
    session: AsyncSession, ctx: Context, user_id: uuid.UUID, data: UserUpdate
) -> User:
    user = await get_user(session, user_id)
    _guard_owner_role(ctx, user.role, data.role)
    fields = data.model_dump(exclude_unset=True, by_alias=False)
    if fields.get("email") is not None and fields["email"] != user.email:
        await _email_free(session, fields["email"], user.id)
        user.email = fields["email"]
    if fields.get("full_name") is not None:
        user.full_name = fields["full_name"].strip()
    if fields.get("password") is not None:
        user.password_hash = hash_password(fields["password"])
    demoting = fields.get("role") is not None and fields["role"] != user.role
    deactivating = fields.get("is_active") is False and user.is_active
    if (demoting or deactivating) and user.role is Role.owner:
        await _keep_an_owner(session, user)
    if user.id == ctx.user_id and (demoting or deactivating):
        raise Conflict("You cannot change your own role or deactivate yourself.")
    if fields.get("role") is not None:
        user.role = fields["role"]
    if fields.get("is_active") is not None:
        user.is_active = fields["is_active"]
    if deactivating or fields.get("password") is not None:
        await _revoke_all(session, user.id, "user_changed")
    await session.flush()
    return user


async def delete_user(session: AsyncSession, ctx: Context, user_id: uuid.UUID) -> None:
    user = await get_user(session, user_id)
    _guard_owner_role(ctx, user.role)
    if user.id == ctx.user_id:
        raise Conflict("You cannot delete your own account.")
    if user.role is Role.owner:
        await _keep_an_owner(session, user)
    await session.execute(
        delete(RefreshToken).where(
            RefreshToken.session_id.in_(
                select(AuthSession.id).where(AuthSession.user_id == user.id)
            )
        )
    )
    await session.execute(delete(AuthSession).where(AuthSession.user_id == user.id))
    await session.delete(user)
    await session.flush()


async def _keep_an_owner(session: AsyncSession, user: User) -> None:
    owners = await session.scalar(
        select(func.count()).select_from(User).where(User.role == Role.owner, User.is_active)
    )
    if (owners or 0) <= 1:
        raise Conflict(f"{user.email} is the last active owner; make another owner first.")


async def _revoke_all(session: AsyncSession, user_id: uuid.UUID, reason: str) -> None:
    sessions = await session.scalars(
        select(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
    )
    for auth_session in sessions:
        auth_session.revoked_at = utcnow()
        auth_session.revoked_reason = reason
