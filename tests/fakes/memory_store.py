"""An in-memory credential store for adapter tests (the ``ChannelConfig.store`` contract)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any


class MemoryStore:
    """A test double for the database-backed CredentialStore (publisher/delivery/credentials.py,
    tested on PostgreSQL elsewhere): ``rotate`` holds a lock, hands ``renew`` a fresh copy of
    the stored settings, and saves what it returns before returning the whole settings. It
    saves into the dict it is given (pass a copy to keep the caller's untouched); ``commits``
    records each save."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        self.lock = threading.Lock()
        self.commits: list[dict[str, Any]] = []

    def rotate(self, renew: Callable[[Mapping[str, Any]], Mapping[str, Any]]) -> Mapping[str, Any]:
        with self.lock:
            changes = dict(renew(dict(self.settings)) or {})
            if changes:
                self.settings.update(changes)
                self.commits.append(changes)
            return dict(self.settings)
