"""`/api/auth/*`, `/api/sessions`, `/api/users`."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from crowndesk.audit import service as audit
from crowndesk.auth import service as auth_service
from crowndesk.auth.dependencies import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    AppSettings,
    Client,
    CurrentContext,
    csrf_token,
    request_actor,
    require,
)
from crowndesk.auth.models import AuthSession, User
from crowndesk.auth.permissions import Permission
from crowndesk.auth.schemas import (
    LoginRequest,
    RefreshRequest,
    RegisterRequest,
    SessionRead,
    TokenResponse,
    UserCreate,
    UserRead,
    UserUpdate,
)
from crowndesk.config import Settings
from crowndesk.core.context import Context
from crowndesk.core.routing import DbSession, TransactionalRoute

router = APIRouter(prefix="/api", route_class=TransactionalRoute)

UserID = Annotated[uuid.UUID, "user id"]
SessionID = Annotated[uuid.UUID, "session id"]
Manager = Annotated[Context, Depends(require(Permission.users_manage))]


def _token_response(
    response: Response, settings: Settings, issued: auth_service.IssuedTokens
) -> TokenResponse:
    max_age = settings.refresh_token_days * 86400
    response.set_cookie(
        SESSION_COOKIE,
        issued.cookie_token,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )
    response.set_cookie(
        CSRF_COOKIE,
        csrf_token(settings, issued.session.id),
        max_age=max_age,
        httponly=False,
        samesite="lax",
        secure=settings.cookie_secure,
    )
    return TokenResponse(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_in=issued.expires_in,
        user=UserRead.model_validate(issued.user),
    )


@router.post("/auth/register", status_code=status.HTTP_201_CREATED, tags=["auth"])
async def register_organization(
    body: RegisterRequest,
    request: Request,
    response: Response,
    session: DbSession,
    settings: AppSettings,
    client: Client,
) -> TokenResponse:
    """Create an organization (tenant) and its owner, and sign the owner in.

    Open while the database has no users, or when `CROWNDESK_ALLOW_SIGNUP=true`.
    """
    audit.set_actor(session, request_actor(request))
    issued = await auth_service.register(session, settings, body, client)
    return _token_response(response, settings, issued)


@router.post("/auth/login", tags=["auth"])
async def login_user(
    body: LoginRequest,
    request: Request,
    response: Response,
    session: DbSession,
    settings: AppSettings,
    client: Client,
) -> TokenResponse:
    """Sign in with email and password.

    After 5 failures for one account from one address within 15 minutes the answer is 429
    with `Retry-After`. Also sets an HTTP-only session cookie and a CSRF cookie for browsers.
    """
    audit.set_actor(session, request_actor(request))
    issued = await auth_service.login(session, settings, body.email, body.password, client)
    return _token_response(response, settings, issued)


@router.post("/auth/refresh", tags=["auth"])
async def refresh_tokens(
    body: RefreshRequest,
    request: Request,
    response: Response,
    session: DbSession,
    settings: AppSettings,
    client: Client,
) -> TokenResponse:
    """Exchange a refresh token for new tokens. Presenting a used token ends its session."""
    audit.set_actor(session, request_actor(request))
    issued = await auth_service.refresh(session, settings, body.refresh_token, client)
    return _token_response(response, settings, issued)


async def _logout(session: DbSession, ctx: Context) -> Response:
    await auth_service.logout(session, ctx)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return response


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, tags=["auth"])
async def logout_user(session: DbSession, ctx: CurrentContext) -> Response:
    """End the current session (its refresh token and cookie stop working)."""
    return await _logout(session, ctx)


@router.delete("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, tags=["auth"])
async def logout_user_by_delete(session: DbSession, ctx: CurrentContext) -> Response:
    """The same as `POST /api/auth/logout`."""
    return await _logout(session, ctx)


@router.get("/auth/me", response_model=UserRead, tags=["auth"])
async def read_me(session: DbSession, ctx: CurrentContext) -> User:
    return await auth_service.get_user(session, ctx.user_id)  # type: ignore[arg-type]


@router.get("/sessions", response_model=list[SessionRead], tags=["auth"])
async def list_my_sessions(session: DbSession, ctx: CurrentContext) -> list[SessionRead]:
    """The caller's active sessions, newest use first."""
    sessions: list[AuthSession] = await auth_service.list_sessions(session, ctx)
    return [
        SessionRead.model_validate(s).model_copy(update={"current": s.id == ctx.session_id})
        for s in sessions
    ]


@router.delete("/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["auth"])
async def revoke_my_session(session_id: uuid.UUID, session: DbSession, ctx: CurrentContext) -> None:
    """Sign out one of the caller's sessions."""
    await auth_service.revoke_session(session, ctx, session_id)


@router.get("/users", response_model=list[UserRead], tags=["users"])
async def list_users(session: DbSession, ctx: Manager) -> list[User]:
    return await auth_service.list_users(session)


@router.post("/users", response_model=UserRead, status_code=status.HTTP_201_CREATED, tags=["users"])
async def create_user(body: UserCreate, session: DbSession, ctx: Manager) -> User:
    """Add a user to the organization. Only owners may create owners."""
    return await auth_service.create_user(session, ctx, body)


@router.get("/users/{user_id}", response_model=UserRead, tags=["users"])
async def read_user(user_id: uuid.UUID, session: DbSession, ctx: Manager) -> User:
    return await auth_service.get_user(session, user_id)


@router.patch("/users/{user_id}", response_model=UserRead, tags=["users"])
async def update_user(
    user_id: uuid.UUID, body: UserUpdate, session: DbSession, ctx: Manager
) -> User:
    """Change a user's name, email, role, password or active flag."""
    return await auth_service.update_user(session, ctx, user_id, body)


@router.delete("/users/{user_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["users"])
async def delete_user(user_id: uuid.UUID, session: DbSession, ctx: Manager) -> None:
    await auth_service.delete_user(session, ctx, user_id)
