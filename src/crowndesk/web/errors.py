"""Errors outside `/api` answer in HTML.

- an ended or missing session sends the browser to `/login?next=<where it was>` (for HTMX,
  with `HX-Redirect`);
- an error of an HTMX request becomes a message in the page's alert region (`#flash`);
- any other error is a small error page.

The JSON API keeps its `application/problem+json` answers: the handlers installed by
`crowndesk.core.http` still answer every path under `/api`.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from crowndesk.auth.dependencies import CSRF_COOKIE, SESSION_COOKIE
from crowndesk.core.errors import AppError
from crowndesk.web.auth import SignInRequired, safe_next
from crowndesk.web.rendering import PageError, is_partial, render

API_PREFIXES = ("/api", "/metrics")


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIXES)


def _login_redirect(request: Request, exc: SignInRequired) -> Response:
    if request.headers.get("hx-request") == "true":
        current = urlsplit(request.headers.get("hx-current-url", ""))
        here = current.path + (f"?{current.query}" if current.query else "")
    else:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    params = {"next": safe_next(here)}
    if exc.expired:
        params["expired"] = "1"
    url = "/login?" + urlencode(params)
    response: Response
    if request.headers.get("hx-request") == "true":
        response = Response(status_code=401, headers={"HX-Redirect": url})
    else:
        response = RedirectResponse(url, status_code=303)
    if exc.expired:
        response.delete_cookie(SESSION_COOKIE)
        response.delete_cookie(CSRF_COOKIE)
    return response


def web_error(request: Request, status: int, title: str, detail: str) -> Response:
    if is_partial(request):
        return render(
            None,
            request,
            "_flash.html",
            status_code=status,
            headers={"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"},
            level="error",
            message=detail,
        )
    return render(None, request, "error.html", status_code=status, title=title, detail=detail)


def install_error_pages(app: FastAPI) -> None:
    """Wrap the JSON error handlers: paths under /api keep them, the rest get HTML."""
    api_handlers = dict(app.exception_handlers)

    async def app_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AppError)
        if _is_api(request):
            return await api_handlers[AppError](request, exc)  # type: ignore[no-any-return]
        if isinstance(exc, PageError):
            return exc.response
        if isinstance(exc, SignInRequired):
            return _login_redirect(request, exc)
        return web_error(request, exc.status_code, exc.title, exc.detail)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if _is_api(request) or request.url.path.startswith("/static/"):
            return await api_handlers[StarletteHTTPException](request, exc)  # type: ignore[no-any-return]
        if exc.status_code == 404:
            return web_error(request, 404, "Page not found", "There is no page at this address.")
        detail = exc.detail if isinstance(exc.detail, str) else "Request refused."
        return web_error(request, exc.status_code, "Request refused", detail)

    async def validation_error(request: Request, exc: Exception) -> Response:
        if _is_api(request):
            return await api_handlers[RequestValidationError](request, exc)  # type: ignore[no-any-return]
        assert isinstance(exc, RequestValidationError)
        fields = ", ".join(str(e.get("loc", ("", "?"))[-1]) for e in exc.errors()[:5])
        return web_error(request, 400, "Bad request", f"Some values are not valid: {fields}.")

    app.add_exception_handler(AppError, app_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
