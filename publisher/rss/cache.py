"""Rendered feeds kept in process memory, keyed by the channel and the version of its items.

Why in-process and keyed by version: every web process (on any machine) asks the
database for the version on each request, so a stale entry is never served; it is
simply no longer asked for and falls out of the LRU. Nothing needs invalidating
across processes, and the bytes for one version are the same everywhere, which
keeps the ETag (a hash of the bytes) the same everywhere too.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

DEFAULT_ENTRIES = 128


@dataclass(frozen=True)
class RenderedFeed:
    body: bytes
    etag: str
    last_modified: str  # an HTTP-date


class FeedCache:
    """A small thread-safe LRU of rendered feeds."""

    def __init__(self, max_entries: int = DEFAULT_ENTRIES) -> None:
        self._entries: OrderedDict[Hashable, RenderedFeed] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> RenderedFeed | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: Hashable, rendered: RenderedFeed) -> None:
        # Two threads missing at once both render and both store: the bytes are
        # identical, so the only cost is the duplicate work, and no request waits
        # behind another's render.
        with self._lock:
            self._entries[key] = rendered
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
