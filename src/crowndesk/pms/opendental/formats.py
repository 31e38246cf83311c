"""Open Dental's wire formats, read leniently (reference §1.4).

Each reader takes one raw JSON value and returns our typed value or raises `ValueError` with
a short reason (never the value itself: it may be personal data). They accept both shapes a
row arrives in: the API's (`"true"`, `"2024-05-01"`, enum names, money as strings or numbers)
and `/queries/ShortQuery`'s raw rows (`1`, `"2024-05-01T00:00:00"`, enum numbers).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, TypeVar

Reader = Callable[[Any], Any]
E = TypeVar("E")

CENT = Decimal("0.01")
_EMPTY_DATES = ("0001-01-01", "0000-00-00")


def key(value: Any) -> str | None:
    """An Open Dental primary or foreign key as our `pms_id` text; 0 or empty means none."""
    if type(value) is int and value > 0:  # the usual shape, first: this runs for every link
        return str(value)
    if value is None or value == "" or value == 0 or value == "0":
        return None
    if isinstance(value, bool):
        raise ValueError("not a key")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("not a key")
        return str(value)
    if isinstance(value, str) and value.isdigit():
        return str(int(value))
    raise ValueError("not a key")


def integer(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ValueError("not a number")


def text(value: Any) -> str | None:
    """Text as sent; empty means none."""
    if type(value) is str:
        return value or None
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # e.g. Zip sent as a number
    raise ValueError("not text")


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0", ""):
            return False
    raise ValueError("not a boolean")


def day(value: Any) -> date | None:
    """A date; `0001-01-01` (Open Dental's empty date) is none. Time parts are ignored."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError("not a date")
    head = value[:10]
    if head in _EMPTY_DATES:
        return None
    try:
        return date.fromisoformat(head)
    except ValueError:
        raise ValueError("not a date") from None


def timestamp(value: Any) -> datetime | None:
    """A wall-clock date-time of the office (no zone), `yyyy-MM-dd HH:mm:ss` or ISO `T`."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError("not a date-time")
    if value[:10] in _EMPTY_DATES:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("not a date-time") from None
    if parsed.tzinfo is not None:
        raise ValueError("a date-time with a zone")
    return parsed


def money(value: Any) -> Decimal:
    """Money sent as a string (`"130.00"`, `"339"`) or a number, rounded half-up to cents."""
    if isinstance(value, bool) or value is None or value == "":
        raise ValueError("not an amount")
    try:
        return _amount(value)
    except TypeError:  # unhashable: not an amount either
        raise ValueError("not an amount") from None


@lru_cache(maxsize=4096, typed=True)
def _amount(value: str | int | float) -> Decimal:
    # Remembered: fees and payments repeat the same few amounts down a practice's rows.
    try:
        amount = Decimal(value.strip()) if isinstance(value, str) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError("not an amount") from None
    if not amount.is_finite():
        raise ValueError("not an amount")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def optional_money(value: Any) -> Decimal | None:
    """Money where -1 (Open Dental's "empty" sentinel) or nothing means none."""
    if value is None or value == "":
        return None
    amount = money(value)
    return None if amount == -1 else amount


def optional_percent(value: Any) -> int | None:
    number = integer(value)
    return None if number is None or number == -1 else number


def pattern_minutes(value: Any) -> int | None:
    """Duration of a time pattern: one character per five minutes (reference §2.5)."""
    pattern = text(value)
    return None if pattern is None else 5 * len(pattern)


def choice(mapping: Mapping[str, E], numbers: Mapping[int, E] | None = None) -> Reader:
    """An enum sent as its Open Dental name (case-insensitive) or, in raw rows, its number."""
    by_name = {name.lower(): member for name, member in mapping.items()}

    def read(value: Any) -> E:
        if isinstance(value, str):
            found = by_name.get(value.strip().lower())
            if found is not None:
                return found
            if value.strip().lstrip("-").isdigit() and numbers is not None:
                value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and numbers is not None:
            number_found = numbers.get(value)
            if number_found is not None:
                return number_found
        raise ValueError("not one of the known values")

    return read


def ordered_choice(names: list[str], members: list[E]) -> Reader:
    """An enum whose Open Dental numbers are the positions of `names` (the usual case)."""
    return choice(dict(zip(names, members, strict=True)), dict(enumerate(members)))


def od_datetime_text(value: datetime) -> str:
    """Back to Open Dental's own format, for changed-since parameters."""
    return value.strftime("%Y-%m-%d %H:%M:%S")
