"""Offset pagination: `?limit=&offset=` in, `{items, total, limit, offset}` out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Generic, Self, TypeVar

from fastapi import Depends, Query
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crowndesk.core.schema import Schema

T = TypeVar("T")
U = TypeVar("U")

MAX_LIMIT = 500
MAX_OFFSET = 1_000_000_000


@dataclass(frozen=True, slots=True)
class PageParams:
    limit: int = 50
    offset: int = 0


async def _page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PageQuery = Annotated[PageParams, Depends(_page_params)]


@dataclass(slots=True)
class PageResult(Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int

    def with_items(self, items: list[U]) -> PageResult[U]:
        """The same page, its rows turned into `items`."""
        return PageResult(items=items, total=self.total, limit=self.limit, offset=self.offset)


class Page(Schema, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, result: PageResult[Any], items: list[Any] | None = None) -> Self:
        """The page of `result`, with `items` in place of its rows when given."""
        return cls(
            items=result.items if items is None else items,
            total=result.total,
            limit=result.limit,
            offset=result.offset,
        )


async def paginate(session: AsyncSession, stmt: Select[Any], page: PageParams) -> PageResult[Any]:
    total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = await session.scalars(stmt.limit(page.limit).offset(page.offset))
    return PageResult(items=list(rows), total=total or 0, limit=page.limit, offset=page.offset)
