"""Date-range filters: `?dateFrom=&dateTo=`, both inclusive, either optional."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import Depends, Query
from sqlalchemy import ColumnElement, and_, true

from crowndesk.core.errors import Unprocessable


@dataclass(frozen=True, slots=True)
class DateRange:
    date_from: date | None = None
    date_to: date | None = None

    def __post_init__(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise Unprocessable(
                f"dateFrom ({self.date_from.isoformat()}) is after dateTo "
                f"({self.date_to.isoformat()}); the range would be empty."
            )

    def on_dates(self, column: Any) -> ColumnElement[bool]:
        """`column` (a date) within the range."""
        clauses = []
        if self.date_from is not None:
            clauses.append(column >= self.date_from)
        if self.date_to is not None:
            clauses.append(column <= self.date_to)
        return and_(true(), *clauses)

    def on_times(self, column: Any) -> ColumnElement[bool]:
        """`column` (a date-time without zone, on the same wall clock as the dates) on a day
        of the range: from the first day's midnight up to, not including, the midnight after
        the last day."""
        clauses = []
        if self.date_from is not None:
            clauses.append(column >= datetime.combine(self.date_from, time.min))
        if self.date_to is not None and self.date_to < date.max:
            clauses.append(column < datetime.combine(self.date_to + timedelta(days=1), time.min))
        return and_(true(), *clauses)


def _date_range(
    date_from: Annotated[
        date | None,
        Query(alias="dateFrom", description="First day (ISO date, inclusive)."),
    ] = None,
    date_to: Annotated[
        date | None,
        Query(alias="dateTo", description="Last day (ISO date, inclusive)."),
    ] = None,
) -> DateRange:
    return DateRange(date_from, date_to)


DateRangeQuery = Annotated[DateRange, Depends(_date_range)]
