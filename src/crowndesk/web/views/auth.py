"""Sign in, sign out, and the clinic the user is looking at."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from crowndesk.audit import service as audit
from crowndesk.auth import service as auth_service
from crowndesk.auth.api import _token_response as set_session_cookies
from crowndesk.auth.dependencies import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    AppSettings,
    Client,
    request_actor,
)
from crowndesk.core.errors import AppError, Unauthorized
from crowndesk.core.routing import DbSession, TransactionalRoute
from crowndesk.web.auth import WebContext, safe_next, web_context
from crowndesk.web.rendering import CLINIC_COOKIE, CurrentPage, PageError, render

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)


@router.get("/login")
async def show_login(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    next_: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
    expired: bool = False,
) -> Response:
    target = safe_next(next_)
    if SESSION_COOKIE in request.cookies:
        try:
            await web_context(request, session, settings)
        except Unauthorized:
            pass
        else:
            return RedirectResponse(target, status_code=303)
    notice = "Your session has ended. Sign in again to continue." if expired else None
    return render(None, request, "login.html", next=target, notice=notice, email="")


@router.post("/login")
async def sign_in(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    client: Client,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next_: Annotated[str, Form(alias="next", max_length=2000)] = "/",
) -> Response:
    target = safe_next(next_)
    if not email.strip() or not password:
        return render(
            None,
            request,
            "login.html",
            status_code=400,
            next=target,
            email=email,
            error="Enter your email and password.",
        )
    audit.set_actor(session, request_actor(request))
    try:
        issued = await auth_service.login(session, settings, email, password, client)
    except AppError as exc:
        # Re-raised so the boundary rolls back and records the failure (its aftermath).
        form = render(None, request, "login.html", next=target, email=email, error=exc.detail)
        raise PageError(exc, form) from exc
    response = RedirectResponse(target, status_code=303)
    set_session_cookies(response, settings, issued)
    return response


@router.post("/logout")
async def sign_out(session: DbSession, ctx: WebContext) -> Response:
    await auth_service.logout(session, ctx)
    response = Response(status_code=204, headers={"HX-Redirect": "/login"})
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return response


@router.get("/select-clinic")
async def select_clinic(
    page: CurrentPage,
    clinic: Annotated[str, Query(max_length=64)] = "",
    next_: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
) -> Response:
    """Remember which clinic the user looks at (a display preference, not a permission:
    every list is still scoped to the user's organization)."""
    response = RedirectResponse(safe_next(next_), status_code=303)
    if any(str(c.id) == clinic for c in page.clinics):
        response.set_cookie(CLINIC_COOKIE, clinic, max_age=365 * 86400, samesite="lax")
    else:
        response.delete_cookie(CLINIC_COOKIE)
    return response
