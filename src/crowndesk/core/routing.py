"""One transaction per request.

`TransactionalRoute` opens the request's session, runs the handler (which also builds the
response body), then commits before the response goes out, or rolls back on any exception.
An error may carry an `aftermath`: work that must be kept although the request was refused
(a failed login to throttle, a stolen session to revoke); it runs in a fresh transaction
after the rollback.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from crowndesk.core.errors import AppError

SESSION_STATE = "db_session"


class TransactionalRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def transactional_handler(request: Request) -> Response:
            sessionmaker = request.app.state.sessionmaker
            async with sessionmaker() as session:
                setattr(request.state, SESSION_STATE, session)
                try:
                    response = await handler(request)
                except AppError as exc:
                    await session.rollback()
                    if exc.aftermath is not None:
                        await _run_aftermath(sessionmaker, session, exc.aftermath)
                    raise
                except BaseException:
                    await session.rollback()
                    raise
                await session.commit()
                return response

        return transactional_handler


async def _run_aftermath(
    sessionmaker: Any, failed: AsyncSession, aftermath: Callable[[AsyncSession], Awaitable[None]]
) -> None:
    async with sessionmaker() as session:
        session.info.update(failed.info)
        await aftermath(session)
        await session.commit()


async def _request_session(request: Request) -> AsyncSession:
    session: AsyncSession | None = getattr(request.state, SESSION_STATE, None)
    if session is None:
        raise RuntimeError("route is not a TransactionalRoute")
    return session


DbSession = Annotated[AsyncSession, Depends(_request_session)]
