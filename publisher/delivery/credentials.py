"""Rotating credentials an adapter renews itself (single-use refresh tokens).

The store is the service's side of :class:`channels.base.CredentialStore`: a lock on the
channel's row that every worker respects (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's
write lock, taken at ``BEGIN IMMEDIATE``), the settings read afresh under it, and the
renewed ones committed before the lock is released. A refresh token is therefore never
spent by two workers, and a new one is on disk before anything uses it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from flask import current_app
from sqlalchemy import select

from publisher.db import db
from publisher.delivery.crypto import decrypt_secrets, encrypt_secrets
from publisher.delivery.models import Channel

# Threads of one process (the embedded worker, a --no-fork worker's pool) queue here first,
# so they do not hold database connections while waiting for the row lock.
_LOCKS: dict[int, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _thread_lock(channel_id: int) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(channel_id, threading.Lock())


class DatabaseCredentialStore:
    """Renews a channel's settings under a lock and commits them before returning."""

    def __init__(self, channel_id: int) -> None:
        self.channel_id = channel_id

    def rotate(self, renew: Callable[[Mapping[str, Any]], Mapping[str, Any]]) -> Mapping[str, Any]:
        from channels.registry import adapter_class

        secret_key = current_app.config["SETTINGS"].SECRET_KEY
        with _thread_lock(self.channel_id), db.new_session() as session:
            channel = session.scalar(
                select(Channel).where(Channel.id == self.channel_id).with_for_update()
            )
            if channel is None:
                raise LookupError(f"channel {self.channel_id} is gone")
            secrets = decrypt_secrets(secret_key, channel.secrets_encrypted)
            current = {**(channel.settings or {}), **secrets}
            changes = dict(renew(dict(current)) or {})
            if not changes:
                session.rollback()
                return current
            secret_names = adapter_class(channel.kind).secret_fields()
            merged = {**current, **changes}
            channel.settings = {k: v for k, v in merged.items() if k not in secret_names}
            channel.secrets_encrypted = encrypt_secrets(
                secret_key, {k: v for k, v in merged.items() if k in secret_names}
            )
            session.commit()
            return merged


def credential_store(channel_id: int) -> DatabaseCredentialStore:
    return DatabaseCredentialStore(channel_id)
