"""Sessions kept on the server.

The browser's (signed) cookie carries only a random session id; the database keeps its
SHA-256, the person it belongs to and when it ends. Signing alone proves nothing: a cookie
forged with a stolen SECRET_KEY names no session row, so it opens nothing. Ending a
session is deleting its row, which is what logout, a new password, deactivation, a role
change and a SECRET_KEY rotation do.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from content_library.db import utcnow
from publisher.auth.models import User, UserSession

# Writing last_seen_at on every page would make every read a write; once a minute is enough
# to show when a session was last used.
SEEN_EVERY = timedelta(minutes=1)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def start_session(session: Session, user: User, lifetime: timedelta) -> str:
    """A new session for ``user``; returns the raw id for the cookie (never stored)."""
    now = utcnow()
    # Sign-in is rare: a good moment to forget sessions that ended on their own.
    session.execute(delete(UserSession).where(UserSession.expires_at <= now))
    raw = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            user_id=user.id,
            id_hash=_hash(raw),
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    return raw


def session_user(session: Session, raw: str, now: datetime | None = None) -> User | None:
    """The person whose session ``raw`` names, if it is still open and they may sign in."""
    now = now or utcnow()
    row = session.scalar(select(UserSession).where(UserSession.id_hash == _hash(raw)))
    if row is None or row.expires_at <= now:
        return None
    user = row.user
    if not user.active or user.service_account:
        return None
    if now - row.last_seen_at > SEEN_EVERY:
        row.last_seen_at = now
    return user


def end_session(session: Session, raw: str) -> None:
    session.execute(delete(UserSession).where(UserSession.id_hash == _hash(raw)))


def end_user_sessions(session: Session, user_id: int) -> None:
    """End every open session of one person (new password, deactivation, new role)."""
    session.execute(delete(UserSession).where(UserSession.user_id == user_id))


def end_all_sessions(session: Session) -> int:
    """End everyone's sessions (after a SECRET_KEY rotation); returns how many."""
    result = session.execute(delete(UserSession))
    return int(getattr(result, "rowcount", 0) or 0)
