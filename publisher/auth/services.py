"""Passwords, tokens, principals and permissions."""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from content_library.db import utcnow
from publisher.auth.models import ROLES, ApiToken, User
from publisher.auth.sessions import end_user_sessions
from publisher.organisations.service import OrganisationError, organisation_for_user

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
    # Organisations and guidance; the department-only parts are checked in the views.
    "organisations:read": frozenset(ROLES),
    "organisations:write": frozenset({"admin"}),
    "guidance:read": frozenset(ROLES),
    "guidance:write": frozenset({"admin", "approver", "editor"}),
    "guidance:report": frozenset(ROLES),
    # Personal data (issue: honouring donors). Consents are read by whoever writes or
    # approves a donor's story, recorded and withdrawn by editors and admins. The donor
    # register and the audit log are admins' only, and narrower than the organisation
    # rule: see publisher.donors.access.
    "consents:read": frozenset({"admin", "approver", "editor"}),
    "consents:write": frozenset({"admin", "editor"}),
    "donors:admin": frozenset({"admin"}),
    "audit:read": frozenset({"admin"}),
}


class AuthError(ValueError):
    """Creating a user or token failed; the message says why."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    return _verify(user.password_hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    """A hash nobody knows the password of, made once, with the same parameters as real ones:
    checking it costs what checking a real password costs."""
    return _hasher.hash(secrets.token_urlsafe(24))


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
    service_account: bool = False,
    organisation: str | None = None,
) -> User:
    """A new user of ``organisation`` (a slug; default: an operator's commune, else the
    department); operators must name their commune, others must not."""
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
    try:
        org = organisation_for_user(session, organisation, commune_code)
    except OrganisationError as exc:
        raise AuthError(str(exc)) from None
    user = User(
        username=username,
        role=role,
        commune_code=commune_code,
        organisation_id=org.id,
        display_name=display_name or username,
        password_hash=hash_password(password) if password else None,
        service_account=service_account,
    )
    session.add(user)
    session.flush()
    return user


def create_token(
    session: Session,
    name: str,
    user: User,
    *,
    read_only: bool = False,
    expires_days: int | None = None,
) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the token, which is never stored.

    ``expires_days=0`` makes a token that has already expired (scripts test that path)."""
    if expires_days is not None and not 0 <= expires_days <= 36500:
        raise AuthError("--expires-days must be between 0 and 36500")
    raw = "pub_" + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        name=name,
        user_id=user.id,
        organisation_id=user.organisation_id,
        token_hash=_token_hash(raw),
        prefix=raw[:12],
        created_at=now,
        read_only=read_only,
        expires_at=None if expires_days is None else now + timedelta(days=expires_days),
    )
    session.add(token)
    session.flush()
    return token, raw


def token_in_force(session: Session, raw: str, now: datetime | None = None) -> ApiToken | None:
    """The token ``raw`` names if it is neither revoked nor expired and its owner is active."""
    now = now or utcnow()
    token = session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == _token_hash(raw), ApiToken.revoked_at.is_(None)
        )
    )
    if token is None or not token.user.active:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    # Write last use at most once a minute: a busy partner must not turn reads into writes.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
    return token


def revoke_tokens(session: Session, user: User) -> int:
    """Revoke every token of ``user`` still in force; returns how many."""
    now = utcnow()
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    for token in tokens:
        token.revoked_at = now
    return len(tokens)


def set_password(session: Session, user: User, password: str) -> None:
    """A new password: every session and token the old one let out ends with it."""
    if len(password) < 8:
        raise AuthError("password must be at least 8 characters")
    if user.service_account:
        raise AuthError("a service account signs in with tokens only, it has no password")
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    end_user_sessions(session, user.id)
    revoke_tokens(session, user)


def set_active(session: Session, user: User, active: bool) -> None:
    """Deactivating ends the person's sessions and revokes their tokens (reactivating does
    not bring the tokens back: new ones must be issued)."""
    user.active = active
    if not active:
        end_user_sessions(session, user.id)
        revoke_tokens(session, user)


def set_role(session: Session, user: User, role: str, commune_code: str | None = None) -> None:
    """A new role (and commune for operators): open sessions end, so the person signs in again
    under the new role. Tokens keep their owner's current role and need no change."""
    if role not in ROLES:
        raise AuthError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if role == "operator" and not commune_code:
        raise AuthError("an operator must be bound to a commune (--commune CODE)")
    if role != "operator":
        commune_code = None
    if commune_code:
        from content_library.models import Commune

        if session.get(Commune, commune_code) is None:
            raise AuthError(f"unknown commune code {commune_code}")
    if (user.role, user.commune_code) == (role, commune_code):
        return
    user.role = role
    user.commune_code = commune_code
    if commune_code:
        # An operator's organisation is their commune.
        user.organisation_id = organisation_for_user(session, None, commune_code).id
    end_user_sessions(session, user.id)


def authenticate(
    session: Session, username: str, password: str, *, locked: bool = False
) -> User | None:
    """Check a sign-in to the UI. ``locked`` (too many recent failures for this username)
    refuses even the right password. Unknown, inactive, locked and service accounts are
    checked against a dummy hash, so every refusal costs the same time as a wrong password
    and usernames cannot be probed by timing."""
    user = session.scalar(select(User).where(User.username == username))
    usable = (
        user is not None
        and user.active
        and not user.service_account
        and user.password_hash is not None
        and not locked
    )
    if not usable:
        _verify(_dummy_hash(), password)
        return None
    assert user is not None and user.password_hash is not None
    if _verify(user.password_hash, password):
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = utcnow()
        return user
    user.failed_logins += 1
    return None


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()
