"""Fault injection and usage counters for the Graph API emulator."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.graph_errors import GraphError


@dataclass
class Fault:
    """One planned misbehaviour: ``kind`` is "error", "delay" or "drop"."""

    kind: str
    method: str | None = None
    path_contains: str | None = None
    remaining: int | None = 1  # None: sticky, fires until cleared
    error: GraphError | None = None
    after_store: bool = False
    seconds: float = 0.0
    raw: tuple[int, bytes, str] | None = None  # (status, body, content type) instead of JSON

    def matches(self, kind: str, method: str, path: str) -> bool:
        return (
            self.kind == kind
            and (self.method is None or self.method.upper() == method.upper())
            and (self.path_contains is None or self.path_contains in path)
        )


class FaultBook:
    """Planned faults; each firing uses up one of its times."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, kind: str, method: str, path: str, *, after_store: bool = False) -> Fault | None:
        """The first matching fault, used up once; None when nothing is planned."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(kind, method, path) and fault.after_store == after_store:
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self._faults.remove(fault)
                    return fault
            return None


@dataclass
class Usage:
    """Percentages Graph reports in its usage headers, and how they grow per call."""

    app: float = 0.0
    page: float = 0.0
    buc: float = 0.0
    regain_minutes: int = 0
    growth_per_call: float = 0.0
    enforce: bool = True
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def set(self, **values: Any) -> None:
        with self._lock:
            for name, value in values.items():
                if value is not None:
                    setattr(self, name, value)

    def count_call(self) -> GraphError | None:
        """Grow the counters for one call; the throttling error when a limit is reached."""
        with self._lock:
            if self.growth_per_call:
                self.app = min(100.0, self.app + self.growth_per_call)
                self.page = min(100.0, self.page + self.growth_per_call)
                self.buc = min(100.0, self.buc + self.growth_per_call)
            if not self.enforce:
                return None
            if self.app >= 100:
                return GraphError(4)
            if self.buc >= 100:
                return GraphError(80001)
            if self.page >= 100:
                return GraphError(32)
            return None

    def headers(self, page_id: str | None) -> dict[str, str]:
        with self._lock:
            app = round(self.app)
            headers = {
                "X-App-Usage": json.dumps(
                    {"call_count": app, "total_time": app, "total_cputime": app}
                )
            }
            if page_id:
                page, buc = round(self.page), round(self.buc)
                headers["X-Page-Usage"] = json.dumps(
                    {"call_count": page, "total_time": page, "total_cputime": page}
                )
                headers["X-Business-Use-Case-Usage"] = json.dumps(
                    {
                        page_id: [
                            {
                                "type": "pages",
                                "call_count": buc,
                                "total_cputime": buc,
                                "total_time": buc,
                                "estimated_time_to_regain_access": self.regain_minutes,
                            }
                        ]
                    }
                )
            return headers
