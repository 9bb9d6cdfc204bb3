"""A webhook receiver on a real loopback HTTP server that fails on demand and counts."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Plan:
    """What to answer next: (status, body[, headers]) consumed in order, then 200."""

    answers: list[tuple[Any, ...]] = field(default_factory=list)
    delay: float = 0.0
    delay_times: int = 0
    drop_times: int = 0


class Receiver:
    """Counts requests and distinct idempotency keys; verifies signatures."""

    def __init__(self, secret: str = "receiver-secret-0123456789") -> None:
        self.secret = secret
        self.plan = Plan()
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.accepted: Counter[str] = Counter()
        self.bad_signatures = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # As real servers do (TCP_NODELAY): otherwise the answer's second write waits
            # for the client's delayed ACK, 40 ms on every request of a kept-alive connection.
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver._handle(self, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail_next(self, *answers: tuple[Any, ...]) -> None:
        """Answer the next requests with these ``(status, body)`` or ``(status, body, headers)``."""
        with self.lock:
            self.plan.answers.extend(answers)

    def slow(self, seconds: float, times: int = 1) -> None:
        with self.lock:
            self.plan.delay, self.plan.delay_times = seconds, times

    def _handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        key = handler.headers.get("Idempotency-Key", "")
        stamp = handler.headers.get("X-Publisher-Timestamp", "")
        expected = (
            "sha256="
            + hmac.new(
                self.secret.encode(), stamp.encode() + b"." + body, hashlib.sha256
            ).hexdigest()
        )
        with self.lock:
            signed = hmac.compare_digest(expected, handler.headers.get("X-Publisher-Signature", ""))
            if not signed:
                self.bad_signatures += 1
            self.requests.append({"key": key, "body": json.loads(body or b"{}"), "signed": signed})
            status, text, *more = self.plan.answers.pop(0) if self.plan.answers else (200, "")
            headers = more[0] if more else {}
            delay = 0.0
            if self.plan.delay_times > 0:
                delay = self.plan.delay
                self.plan.delay_times -= 1
            if 200 <= status < 300:
                self.accepted[key] += 1
        if delay:
            time.sleep(delay)
        payload = (text or json.dumps({"id": f"recv-{key}"})).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)

    def delivered_keys(self) -> set[str]:
        with self.lock:
            return set(self.accepted)
