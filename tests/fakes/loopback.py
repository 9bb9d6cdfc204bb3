"""The part every emulator shares: a WSGI app on a free loopback port, served in a thread."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import ClassVar, Self

from werkzeug.serving import WSGIRequestHandler

from tests.fakes.graph_wire import QuietHandler, Server


class LoopbackEmulator:
    """Start/stop, ``with`` support and ``base_url``; a subclass supplies ``_wsgi``.

    A handler that fails records the failure in ``internal_errors``; ``stop()`` then raises,
    so a bug in the emulator fails the test instead of looking like the service's answer.
    ``_stopping`` is set while stopping, so delayed answers can wait on it and wake early.
    """

    name: ClassVar[str] = "loopback"  # the thread's name and the failure message say it
    handler: ClassVar[type[WSGIRequestHandler]] = QuietHandler

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._host = host
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.internal_errors: list[str] = []

    def start(self) -> Self:
        """Listen on a free loopback port and serve in a background thread."""
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = Server(self._host, 0, self._wsgi, handler=self.handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"{self.name}-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake delayed answers and wait for every handler thread."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None
        if self.internal_errors:
            raise RuntimeError(f"{self.name} emulator failed: " + "; ".join(self.internal_errors))

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``, without a trailing slash."""
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        return f"http://{self._host}:{self._server.server_port}"

    def _wsgi(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        raise NotImplementedError
