"""Failed sign-ins, counted per client address and per username: at most ``LOGIN_RATE_LIMIT``
of each in five minutes.

Two keys, because each stops a different attack. The address key stops one machine from
guessing across many usernames (and from spending the CPU on password hashing); it answers
429, which says nothing about any account. The username key stops many machines from
guessing one person's password; it locks that username, and a locked username answers
exactly like a wrong password, so nobody learns which usernames exist or are locked.
The client address is the one werkzeug's ProxyFix takes from ``X-Forwarded-For`` when
``TRUSTED_PROXIES`` is set: behind a proxy without it, every client would share the proxy's
address and one person's typos would throttle everyone.

Every attempt is counted before the password is checked (so parallel guesses cannot slip
past the limit) and a successful one is taken back: only failures use the budget.

Kept in the app's Redis (``app.extensions["jobqueue"].redis``), not in process memory: in
production several web processes on several machines share the counts, and in the embedded
default that same handle is the in-process fakeredis, so one code path serves both. If Redis
cannot be reached the attempt is allowed and a warning is logged: people must be able to
sign in while Redis is being repaired.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import redis
from flask import current_app, request

WINDOW_SECONDS = 300
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attempt:
    """One sign-in attempt, already counted against both keys."""

    address_allowed: bool
    username_locked: bool
    retry_after: int
    keys: tuple[str, ...] = ()

    def succeeded(self) -> None:
        """A right password: the attempt was not a failure, give it back."""
        if not self.keys:
            return
        try:
            pipe = current_app.extensions["jobqueue"].redis.pipeline()
            for key in self.keys:
                pipe.decr(key)
            pipe.execute()
        except redis.RedisError as exc:
            log.warning("login rate limit: could not take back a success (%s)", exc)


def client_address() -> str:
    """The client's address: ``remote_addr``, which ProxyFix rewrites behind trusted proxies."""
    return request.remote_addr or "unknown"


def _username_key(prefix: str, username: str) -> str:
    # Hashed: usernames are typed by strangers and must not shape Redis keys.
    digest = hashlib.sha256(username.strip().casefold().encode("utf-8")).hexdigest()[:32]
    return f"{prefix}:ui:login-failures:user:{digest}"


def count_login_attempt(username: str, address: str | None = None) -> Attempt:
    """Count an attempt for this address and username; say whether either is over budget."""
    app = current_app
    limit = app.config["SETTINGS"].LOGIN_RATE_LIMIT
    if limit <= 0:
        return Attempt(True, False, 0)
    queue = app.extensions["jobqueue"]
    keys = (
        f"{queue.prefix}:ui:login-failures:addr:{address or client_address()}",
        _username_key(queue.prefix, username),
    )
    try:
        pipe = queue.redis.pipeline()
        for key in keys:
            pipe.incr(key)
            pipe.expire(key, WINDOW_SECONDS, nx=True)
        pipe.ttl(keys[0])
        by_address, _, by_username, _, ttl = pipe.execute()
    except redis.RedisError as exc:
        log.warning("login rate limit unavailable (Redis error: %s); allowing the attempt", exc)
        return Attempt(True, False, 0)
    retry_after = int(ttl) if ttl and ttl > 0 else WINDOW_SECONDS
    return Attempt(int(by_address) <= limit, int(by_username) > limit, retry_after, keys)


def forget_username(username: str) -> None:
    """Lift a username's lock (an administrator set a new password)."""
    queue = current_app.extensions["jobqueue"]
    try:
        queue.redis.delete(_username_key(queue.prefix, username))
    except redis.RedisError as exc:
        log.warning("login rate limit: could not clear %s's failures (%s)", username, exc)
