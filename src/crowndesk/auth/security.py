"""Password hashing (argon2id) and access tokens (JWT)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from crowndesk.core.crypto import derive_key
from crowndesk.db.types import utcnow

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verifying against this keeps the time of a failed login the same whether or not the email exists.
_DUMMY_HASH = _hasher.hash("crowndesk-timing-equalizer")
ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    session_id: uuid.UUID


def _key(secret_key: str) -> bytes:
    return derive_key(secret_key, "jwt/v1")


def issue_access_token(
    secret_key: str, claims: AccessClaims, lifetime: timedelta, now: datetime | None = None
) -> str:
    now = now or utcnow()
    payload = {
        "sub": str(claims.user_id),
        "tid": str(claims.tenant_id),
        "sid": str(claims.session_id),
        "typ": "access",
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
    }
    return jwt.encode(payload, _key(secret_key), algorithm=ALGORITHM)


def read_access_token(secret_key: str, token: str) -> AccessClaims | None:
    """The token's claims, or None when it is invalid or expired."""
    try:
        payload = jwt.decode(
            token, _key(secret_key), algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
        )
        if payload.get("typ") != "access":
            return None
        return AccessClaims(
            user_id=uuid.UUID(payload["sub"]),
            tenant_id=uuid.UUID(payload["tid"]),
            session_id=uuid.UUID(payload["sid"]),
        )
    except (jwt.PyJWTError, KeyError, ValueError):
        return None
