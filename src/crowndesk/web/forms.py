"""Lenient reading of query strings and forms: a bad value becomes a message, not a 422 page."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from pydantic import ValidationError

MAX_OFFSET = 1_000_000


@dataclass(slots=True)
class Problems:
    """What the user typed that could not be read, in words."""

    messages: list[str] = field(default_factory=list)

    def add(self, message: str) -> None:
        self.messages.append(message)

    def __bool__(self) -> bool:
        return bool(self.messages)


def parse_date(value: str | None, name: str, problems: Problems) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        problems.add(f"{name} is not a date (use YYYY-MM-DD).")
        return None


def parse_uuid(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        return None


def parse_offset(value: str | int | None) -> int:
    try:
        return min(max(int(value or 0), 0), MAX_OFFSET)
    except (TypeError, ValueError):
        return 0


def describe(error: ValidationError) -> str:
    """Pydantic's errors as one readable sentence."""
    parts = []
    for item in error.errors()[:5]:
        where = ".".join(str(p) for p in item.get("loc", ())) or "value"
        message = str(item.get("msg", "is not valid")).removeprefix("Value error, ")
        parts.append(f"{where.replace('_', ' ')}: {message}")
    return "; ".join(parts) + "."
