"""Who is using the web app: the same cookie session and CSRF check as the JSON API.

A missing or ended session is not an error page here: `crowndesk.web.errors` sends the
browser to the sign-in page and, after it, back to where the user was.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from crowndesk.auth.dependencies import SESSION_COOKIE, AppSettings, _authenticate
from crowndesk.core.context import Context
from crowndesk.core.errors import Unauthorized
from crowndesk.core.routing import DbSession


class SignInRequired(Unauthorized):
    """The web app's 401: answered with a redirect to `/login?next=...`."""

    def __init__(self, *, expired: bool) -> None:
        super().__init__("Session has ended; sign in again." if expired else "Please sign in.")
        self.expired = expired


async def web_context(request: Request, session: DbSession, settings: AppSettings) -> Context:
    try:
        return await _authenticate(request, session, settings)
    except Unauthorized:
        raise SignInRequired(expired=SESSION_COOKIE in request.cookies) from None


WebContext = Annotated[Context, Depends(web_context)]


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: only a path on this site, never another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if target.startswith(("/login", "/logout")):
        return "/"
    return target
