"""Login attempts per client address: at most ``LOGIN_RATE_LIMIT`` in five minutes.

Kept in the app's Redis (``app.extensions["jobqueue"].redis``), not in process memory:
in production several web processes on several machines share the count, and in the
embedded default that same handle is the in-process fakeredis, so one code path serves
both. This sits in front of the per-account lockout in ``authenticate`` (five failures
lock an account): the lockout protects one account, this protects all of them from one
address guessing across usernames, and keeps password hashing from being used to
exhaust the CPU.

If Redis cannot be reached the attempt is allowed and a warning is logged: the account
lockout still holds, and people must be able to sign in while Redis is being repaired.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import redis
from flask import current_app, request

WINDOW_SECONDS = 300
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int


def client_address() -> str:
    # Behind a reverse proxy, configure werkzeug's ProxyFix so remote_addr is the client's.
    return request.remote_addr or "unknown"


def register_login_attempt(address: str | None = None) -> Verdict:
    """Count one login attempt from ``address``; refused once the window's budget is spent."""
    app = current_app
    limit = app.config["SETTINGS"].LOGIN_RATE_LIMIT
    if limit <= 0:
        return Verdict(True, 0)
    queue = app.extensions["jobqueue"]
    key = f"{queue.prefix}:ui:login-attempts:{address or client_address()}"
    try:
        pipe = queue.redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, WINDOW_SECONDS, nx=True)
        pipe.ttl(key)
        count, _set, ttl = pipe.execute()
    except redis.RedisError as exc:
        log.warning("login rate limit unavailable (Redis error: %s); allowing the attempt", exc)
        return Verdict(True, 0)
    retry_after = int(ttl) if ttl and ttl > 0 else WINDOW_SECONDS
    return Verdict(int(count) <= limit, retry_after)
