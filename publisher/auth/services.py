"""Passwords, tokens, principals and permissions."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from content_library.db import utcnow
from publisher.auth.models import ROLES, ApiToken, User

_hasher = PasswordHasher()

# Which roles may do what. Operators are further bound to their own commune.
PERMISSIONS: dict[str, frozenset[str]] = {
    "content:read": frozenset({"admin", "approver", "editor"}),
    "content:write": frozenset({"admin", "approver", "editor"}),
    "content:approve": frozenset({"admin", "approver"}),
    "campaigns:write": frozenset({"admin", "approver", "editor"}),
    "channels:read": frozenset({"admin", "approver", "editor"}),
    "channels:write": frozenset({"admin"}),
    "publications:read": frozenset({"admin", "approver", "editor"}),
    "publications:write": frozenset({"admin", "approver", "editor"}),
    "broadcasts:read": frozenset({"admin", "approver", "editor", "operator"}),
    "broadcasts:write": frozenset({"admin", "operator"}),
    "communes:read": frozenset(ROLES),
    "feeds:read": frozenset({"admin", "approver", "editor"}),
    "feeds:write": frozenset({"admin", "editor"}),
    "plan:write": frozenset({"admin", "approver", "editor"}),
    "users:admin": frozenset({"admin"}),
}

LOCK_AFTER_FAILURES = 5
LOCK_MINUTES = 15


class AuthError(ValueError):
    """Creating a user or token failed; the message says why."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def can(user: User | None, permission: str) -> bool:
    return bool(user and user.active and user.role in PERMISSIONS[permission])


def create_user(
    session: Session,
    username: str,
    role: str,
    *,
    password: str | None = None,
    commune_code: str | None = None,
    display_name: str = "",
) -> User:
    """A new user; operators must name their commune, others must not."""
    username = username.strip()
    if not username or len(username) > 80:
        raise AuthError("username must be 1 to 80 characters")
    if role not in ROLES:
        raise AuthError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if role == "operator" and not commune_code:
        raise AuthError("an operator must be bound to a commune (--commune CODE)")
    if role != "operator" and commune_code:
        raise AuthError("only operators are bound to a commune")
    if commune_code:
        from content_library.models import Commune

        if session.get(Commune, commune_code) is None:
            raise AuthError(f"unknown commune code {commune_code}")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise AuthError(f"user {username!r} already exists")
    if password is not None and len(password) < 8:
        raise AuthError("password must be at least 8 characters")
    user = User(
        username=username,
        role=role,
        commune_code=commune_code,
        display_name=display_name or username,
        password_hash=hash_password(password) if password else None,
    )
    session.add(user)
    session.flush()
    return user


def create_token(session: Session, name: str, user: User) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the token, which is never stored."""
    raw = "pub_" + secrets.token_urlsafe(32)
    token = ApiToken(name=name, user_id=user.id, token_hash=_token_hash(raw), prefix=raw[:12])
    session.add(token)
    session.flush()
    return token, raw


def user_for_token(session: Session, raw: str) -> User | None:
    token = session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == _token_hash(raw), ApiToken.revoked_at.is_(None)
        )
    )
    if token is None or not token.user.active:
        return None
    now = utcnow()
    # Write last use at most once a minute: a busy partner must not turn reads into writes.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
    return token.user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """Check a login; locks the account for a while after repeated failures."""
    user = session.scalar(select(User).where(User.username == username))
    now = utcnow()
    if user is None or not user.active:
        # Spend the same time as a real check so usernames cannot be probed by timing.
        _hasher.hash(password or "x")
        return None
    if user.locked_until and user.locked_until > now:
        return None
    if verify_password(user, password):
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        return user
    user.failed_logins += 1
    if user.failed_logins >= LOCK_AFTER_FAILURES:
        user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
        user.failed_logins = 0
    return None


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()
