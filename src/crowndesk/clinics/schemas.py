from __future__ import annotations

import uuid
import zoneinfo
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, EmailStr, Field, HttpUrl, UrlConstraints

from crowndesk.clinics.models import ApiTier, ConnectionMode
from crowndesk.core.schema import InputSchema, Schema


def _valid_timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone such as America/Chicago") from None
    return value


TimeZone = Annotated[
    str,
    Field(min_length=1, max_length=64, examples=["America/Chicago"]),
    AfterValidator(_valid_timezone),
]
Text200 = Annotated[str, Field(min_length=1, max_length=200)]


class Address(InputSchema):
    line1: Text200 | None = None
    line2: Text200 | None = None
    city: Annotated[str, Field(max_length=100)] | None = None
    state: Annotated[str, Field(max_length=100)] | None = None
    postal_code: Annotated[str, Field(max_length=20)] | None = None
    country: Annotated[str, Field(min_length=2, max_length=2, pattern="^[A-Z]{2}$")] | None = None


class Contact(InputSchema):
    email: EmailStr | None = None
    phone: Annotated[str, Field(max_length=40)] | None = None


class OpenDentalConnection(InputSchema):
    base_url: Annotated[HttpUrl, UrlConstraints(max_length=500)] | None = Field(
        default=None, examples=["https://api.opendental.com/api/v1"]
    )
    developer_key: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    customer_key: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    sync_enabled: bool = False
    mode: ConnectionMode = ConnectionMode.remote
    tier: ApiTier = ApiTier.standard
    request_interval_ms: Annotated[int, Field(ge=0, le=600_000)] | None = None


class ClinicWrite(InputSchema):
    """Create or replace a clinic. Omitted Open Dental keys keep the stored ones."""

    name: Annotated[str, Field(min_length=1, max_length=200, examples=["Main Street Dental"])]
    timezone: TimeZone
    address: Address | None = None
    contact: Contact | None = None
    open_dental: OpenDentalConnection | None = None


class AddressRead(Schema):
    line1: str | None
    line2: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    country: str | None


class ContactRead(Schema):
    email: str | None
    phone: str | None


class OpenDentalRead(Schema):
    base_url: str | None
    has_credentials: bool
    customer_key_last4: str | None
    sync_enabled: bool
    mode: ConnectionMode
    tier: ApiTier
    request_interval_ms: int | None
    effective_request_interval_ms: int
    page_size: int


class ClinicRead(Schema):
    id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    timezone: str
    address: AddressRead
    contact: ContactRead
    open_dental: OpenDentalRead
    created_at: datetime
    updated_at: datetime
