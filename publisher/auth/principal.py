"""Who is asking: a bearer token for machines, the server-side session for people."""

from __future__ import annotations

from flask import current_app, g, request, session

from publisher.auth.services import token_in_force
from publisher.auth.sessions import session_user
from publisher.db import db
from publisher.errors import ApiError
from publisher.security import SAFE_METHODS, SESSION_ID_KEY, check_csrf


def load_principal() -> None:
    """Bearer token for machines, the server-side session for people."""
    g.user = None
    g.token = None
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise ApiError(
                401,
                "Authorization must be 'Bearer <token>'",
                headers={"WWW-Authenticate": 'Bearer realm="publisher"'},
            )
        token = token_in_force(db.session, raw.strip())
        if token is None:
            raise ApiError(
                401,
                "Mã truy cập không hợp lệ, đã hết hạn hoặc đã bị thu hồi "
                "/ invalid, expired or revoked token",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        if db.session.dirty:  # last use, written at most once a minute
            db.session.commit()
        if token.read_only and request.method not in SAFE_METHODS:
            raise ApiError(
                403,
                "Mã truy cập này chỉ được đọc / this token is read-only",
            )
        g.user = token.user
        g.token = token
        return
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        # No cookie, no session to read: public feeds and scripts stay cacheable (no Vary).
        return
    raw_id = session.get(SESSION_ID_KEY)
    if not isinstance(raw_id, str) or not raw_id:
        return
    user = session_user(db.session, raw_id)
    if user is None:
        # Ended (logout, new password, rotation) or expired: forget it in this browser too.
        session.pop(SESSION_ID_KEY, None)
        return
    if db.session.dirty:
        db.session.commit()
    g.user = user
    if request.path.startswith("/api/"):
        # A browser session may call the API too, but a write must carry the
        # session's CSRF token (X-CSRF-Token): the cookie alone proves nothing.
        check_csrf()
