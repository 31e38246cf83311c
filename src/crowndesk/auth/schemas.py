from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, EmailStr, Field

from crowndesk.core.context import Role
from crowndesk.core.schema import InputSchema, Schema

MIN_PASSWORD = 12


def _lower(value: str) -> str:
    return value.strip().lower()


Email = Annotated[EmailStr, AfterValidator(_lower), Field(examples=["pat@example-dental.com"])]
Password = Annotated[
    str,
    Field(
        min_length=MIN_PASSWORD,
        max_length=1024,
        description=f"At least {MIN_PASSWORD} characters.",
        examples=["correct-horse-battery"],
    ),
]
Name = Annotated[str, Field(min_length=1, max_length=200, examples=["Pat Example"])]


class RegisterRequest(InputSchema):
    organization_name: Annotated[
        str, Field(min_length=1, max_length=200, examples=["Smile Dental"])
    ]
    email: Email
    password: Password
    full_name: Name


class LoginRequest(InputSchema):
    email: Annotated[str, Field(min_length=1, max_length=320, examples=["pat@example-dental.com"])]
    password: Annotated[
        str, Field(min_length=1, max_length=1024, examples=["correct-horse-battery"])
    ]


class RefreshRequest(InputSchema):
    refresh_token: Annotated[str, Field(min_length=1, max_length=200, examples=["opaque-token"])]


class UserRead(Schema):
    id: uuid.UUID
    tenant_id: uuid.UUID
    email: str
    full_name: str
    role: Role
    is_active: bool
    last_login_at: datetime | None
    created_at: datetime
    updated_at: datetime


class UserCreate(InputSchema):
    email: Email
    full_name: Name
    role: Role
    password: Password


class UserUpdate(InputSchema):
    email: Email | None = None
    full_name: Name | None = None
    role: Role | None = None
    password: Password | None = None
    is_active: bool | None = None


class TokenResponse(Schema):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int
    user: UserRead


class SessionRead(Schema):
    id: uuid.UUID
    user_id: uuid.UUID
    user_agent: str | None
    ip: str | None
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    current: bool = False
