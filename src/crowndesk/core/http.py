"""Problem+json errors, request ids, access logs and Prometheus metrics for the ASGI app."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crowndesk.core.errors import AppError

PROBLEM = "application/problem+json"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
log = structlog.get_logger("crowndesk.http")


def problem(
    request: Request,
    status: int,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "requestId": getattr(request.state, "request_id", None),
        **extra,
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM)


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return problem(request, exc.status_code, exc.title, exc.detail, exc.headers, **exc.extra)


def _field(loc: tuple[Any, ...]) -> tuple[str, str]:
    where = str(loc[0]) if loc else "body"
    path = ".".join(str(part) for part in loc[1:]) or where
    return where, path


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for error in exc.errors():
        where, field = _field(tuple(error.get("loc", ())))
        message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        errors.append({"in": where, "field": field, "message": message, "type": error.get("type")})
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return problem(
        request, 422, "Unprocessable Content", f"The request is not valid: {summary}", errors=errors
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    titles = {404: "Not Found", 405: "Method Not Allowed", 400: "Bad Request"}
    detail = exc.detail if isinstance(exc.detail, str) else "Request refused."
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No resource at {request.url.path}."
    return problem(
        request,
        exc.status_code,
        titles.get(exc.status_code, "Error"),
        detail,
        dict(exc.headers or {}),
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled_error", error_type=type(exc).__name__, path=request.url.path)
    return problem(request, 500, "Internal Server Error", "Something went wrong on our side.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "crowndesk_http_requests_total",
            "HTTP requests answered",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "crowndesk_http_request_duration_seconds",
            "Time to answer HTTP requests",
            ["method", "route"],
            registry=self.registry,
        )


async def _refuse_nul(scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
    scope.setdefault("state", {})
    request = Request(scope, receive)
    response = problem(
        request, 400, "Bad Request", "Query parameters may not contain NUL characters."
    )
    response.headers["x-request-id"] = request_id
    await response(scope, receive, send)


class RequestContextMiddleware:
    """Gives every request an id (kept from `X-Request-ID` when sane), echoes it, logs and
    counts the answer. Logs carry the route template, never bodies or query strings."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        if b"%00" in scope.get("query_string", b"").lower():
            # No text column can hold NUL; refuse it here once instead of in every filter.
            await _refuse_nul(scope, receive, send, request_id)
            return

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            self.metrics.requests.labels(scope["method"], template, str(status)).inc()
            self.metrics.latency.labels(scope["method"], template).observe(elapsed)
            log.info(
                "request",
                method=scope["method"],
                route=template,
                status=status,
                duration_ms=round(elapsed * 1000, 1),
                request_id=request_id,
            )
