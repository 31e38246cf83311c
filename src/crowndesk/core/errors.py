"""Errors that carry their HTTP status; rendered as `application/problem+json`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

Aftermath = Callable[["AsyncSession"], Awaitable[None]]


class AppError(Exception):
    status_code = 400
    title = "Bad Request"
    # Work kept although the request is refused; see crowndesk.core.routing.
    aftermath: Aftermath | None = None

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


class BadRequest(AppError):
    status_code = 400
    title = "Bad Request"


class Unauthorized(AppError):
    status_code = 401
    title = "Unauthorized"

    def __init__(self, detail: str = "Authentication required.", **extra: Any) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"}, **extra)


class Forbidden(AppError):
    status_code = 403
    title = "Forbidden"


class NotFound(AppError):
    status_code = 404
    title = "Not Found"


class Conflict(AppError):
    status_code = 409
    title = "Conflict"


class Unprocessable(AppError):
    status_code = 422
    title = "Unprocessable Content"


class TooManyRequests(AppError):
    status_code = 429
    title = "Too Many Requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)}, retryAfter=retry_after)


class ServiceUnavailable(AppError):
    status_code = 503
    title = "Service Unavailable"


def not_found(entity: str, entity_id: object) -> NotFound:
    return NotFound(f"{entity} {entity_id} was not found.")
