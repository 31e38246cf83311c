"""Tenants, users, sign-in sessions and their refresh tokens, failed-login records."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Index, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from crowndesk.core.context import Role
from crowndesk.db.base import Base, TenantMixin, Timestamps, UUIDPrimaryKey
from crowndesk.db.types import UTCDateTime, utcnow


class Tenant(UUIDPrimaryKey, Timestamps, Base):
    """An organization: a practice or a group of practices (DSO)."""

    __tablename__ = "tenants"
    __entity__ = "tenant"

    name: Mapped[str] = mapped_column(String(200), nullable=False)


class User(UUIDPrimaryKey, Timestamps, TenantMixin, Base):
    __tablename__ = "users"
    __entity__ = "user"
    # Sign-in is by email alone, so an email names one user across all tenants.
    __table_args__ = (UniqueConstraint("email"), UniqueConstraint("tenant_id", "id"))

    email: Mapped[str] = mapped_column(String(320), nullable=False)
    full_name: Mapped[str] = mapped_column(String(200), nullable=False)
    role: Mapped[Role] = mapped_column(
        Enum(Role, name="user_role", native_enum=False, length=20), nullable=False
    )
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuthSession(UUIDPrimaryKey, Timestamps, TenantMixin, Base):
    """One sign-in on one device; serves both bearer tokens and the browser cookie."""

    __tablename__ = "sessions"
    __entity__ = "session"
    __audited__ = False  # the auth service records login, logout and revocation itself

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_agent: Mapped[str | None] = mapped_column(String(500))
    ip: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(50))
    cookie_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)


class RefreshToken(UUIDPrimaryKey, TenantMixin, Base):
    """Every refresh token a session was given; a used one presented again means theft."""

    __tablename__ = "refresh_tokens"
    __entity__ = "refresh_token"
    __audited__ = False

    session_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginFailure(UUIDPrimaryKey, Base):
    """A failed sign-in, kept to throttle guessing per account and address."""

    __tablename__ = "login_failures"
    __entity__ = "login_failure"
    __audited__ = False
    __table_args__ = (Index("ix_login_failures_email_ip_at", "email", "ip", "created_at"),)

    email: Mapped[str] = mapped_column(String(320), nullable=False)
    ip: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
