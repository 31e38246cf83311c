"""The request boundary: who is calling, for which tenant, and may they do this."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import select

from crowndesk.audit import service as audit
from crowndesk.auth.models import AuthSession, User
from crowndesk.auth.permissions import Permission, allows
from crowndesk.auth.security import read_access_token
from crowndesk.auth.service import ClientInfo
from crowndesk.config import Settings
from crowndesk.core.context import Context
from crowndesk.core.crypto import hash_token, sign
from crowndesk.core.errors import Forbidden, Unauthorized
from crowndesk.core.routing import DbSession
from crowndesk.db.tenancy import set_tenant, unscoped
from crowndesk.db.types import utcnow

SESSION_COOKIE = "crowndesk_session"
CSRF_COOKIE = "crowndesk_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(get_settings)]


async def client_info(request: Request) -> ClientInfo:
    ip = request.client.host if request.client else "unknown"
    return ClientInfo(ip=ip, user_agent=request.headers.get("user-agent"))


Client = Annotated[ClientInfo, Depends(client_info)]


def csrf_token(settings: Settings, session_id: object) -> str:
    return sign(settings.secret_key, "csrf", str(session_id))


# A session and its user in one round trip.
_SESSION_USER = select(AuthSession, User).join(User, User.id == AuthSession.user_id)


async def _authenticate(request: Request, session: DbSession, settings: AppSettings) -> Context:
    """Bearer access token first; else the browser cookie (with CSRF on unsafe methods)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    now = utcnow()
    if scheme.lower() == "bearer" and token:
        claims = read_access_token(settings.secret_key, token.strip())
        if claims is None:
            raise Unauthorized("Access token is invalid or expired.")
        set_tenant(session, claims.tenant_id)
        found = await session.execute(_SESSION_USER.where(AuthSession.id == claims.session_id))
        auth_session, user = found.first() or (None, None)
    elif cookie := request.cookies.get(SESSION_COOKIE):
        with unscoped(session):
            found = await session.execute(
                _SESSION_USER.where(AuthSession.cookie_token_hash == hash_token(cookie))
            )
            auth_session, user = found.first() or (None, None)
        if auth_session is not None:
            set_tenant(session, auth_session.tenant_id)
            if request.method not in SAFE_METHODS:
                _check_csrf(request, settings, auth_session)
    else:
        raise Unauthorized()
    if (
        auth_session is None
        or auth_session.revoked_at is not None
        or auth_session.expires_at <= now
    ):
        raise Unauthorized("Session has ended; sign in again.")
    if user is None or not user.is_active:
        raise Unauthorized("Session has ended; sign in again.")
    ctx = Context(
        tenant_id=user.tenant_id,
        user_id=user.id,
        roles=frozenset({user.role}),
        session_id=auth_session.id,
    )
    session.info["context"] = ctx
    request.state.context = ctx
    audit.set_actor(
        session,
        audit.Actor(
            actor_type=audit.ActorType.user,
            actor_id=user.id,
            request_id=getattr(request.state, "request_id", None),
            ip=request.client.host if request.client else None,
            user_agent=(request.headers.get("user-agent") or "")[:500] or None,
        ),
    )
    return ctx


def _check_csrf(request: Request, settings: Settings, auth_session: AuthSession) -> None:
    expected = csrf_token(settings, auth_session.id)
    given = request.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(expected, given):
        raise Forbidden("CSRF token missing or wrong.")


CurrentContext = Annotated[Context, Depends(_authenticate)]


def require(permission: Permission) -> Callable[..., Coroutine[Any, Any, Context]]:
    """A dependency that answers 403 unless the caller's role allows `permission`."""

    async def check(ctx: CurrentContext) -> Context:
        if not allows(ctx.roles, permission):
            raise Forbidden(f"Your role may not do this ({permission.value}).")
        return ctx

    return check


def request_actor(request: Request) -> audit.Actor:
    """The anonymous actor of a sign-in request (before we know who it is)."""
    return audit.Actor(
        actor_type=audit.ActorType.user,
        request_id=getattr(request.state, "request_id", None),
        ip=request.client.host if request.client else None,
        user_agent=(request.headers.get("user-agent") or "")[:500] or None,
    )
