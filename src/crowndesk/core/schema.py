"""The shared API model base: camelCase on the wire, snake_case in Python."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainSerializer, field_validator
from pydantic.alias_generators import to_camel


class Schema(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        from_attributes=True,
        serialize_by_alias=True,
    )


class InputSchema(Schema):
    """Request bodies: unknown fields are an error, not silently dropped; text may not
    contain NUL characters (no database column can hold them)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("text may not contain NUL characters")
        return value


CENT = Decimal("0.01")


def _money_text(value: Decimal) -> str:
    return f"{value.quantize(CENT, rounding=ROUND_HALF_UP):.2f}"


Money = Annotated[Decimal, PlainSerializer(_money_text, return_type=str, when_used="json")]
"""An amount of money: a `Decimal` in Python, a string with two decimals on the wire
("130.00", "-12.50"), rounded half-up to cents."""
