"""A stateful Zalo Official Account emulator (OpenAPI and OAuth v4) on a loopback HTTP server.

The adapter talks to it over real HTTP as it would to openapi.zalo.me and oauth.zaloapp.com
(both served here). It is strict like Zalo: the token in the ``access_token`` header, errors
as HTTP 200 with a negative ``error``, single-use refresh tokens, field limits, creation that
needs verify polls before the article id exists. Typical use::

    with ZaloEmulator() as zalo:
        access, refresh = zalo.add_app("app-1", "app-secret")
        zalo.inject_error(-32, path_contains="/article/create")   # one per-minute limit
        zalo.drop_after_store(path_contains="/article/create")   # stored, then dropped
        ...
        assert len(zalo.articles()) == 1
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request, Response

from tests.fakes.graph_wire import QuietHandler, drop_connection
from tests.fakes.loopback import LoopbackEmulator
from tests.fakes.zalo_state import ACCESS_TTL, ZaloError, ZaloState


class RawHeadersHandler(QuietHandler):
    """Keeps the raw headers: werkzeug drops names with "_", and Zalo's are ``access_token``
    and ``secret_key``."""

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        environ["zalo.headers"] = {k.lower(): v for k, v in self.headers.items()}
        return environ


@dataclass
class ZaloFault:
    kind: str  # "error" | "raw" | "delay" | "drop"
    path_contains: str | None
    method: str | None
    remaining: int | None  # None: sticky
    error: ZaloError | None = None
    raw: tuple[int, bytes] | None = None
    after_store: bool = False
    seconds: float = 0.0

    def matches(self, kind: str, method: str, path: str, after_store: bool) -> bool:
        return (
            self.kind == kind
            and self.after_store == after_store
            and (self.method is None or self.method == method)
            and (self.path_contains is None or self.path_contains in path)
        )


@dataclass
class ZaloRequest:
    method: str
    path: str
    params: dict[str, str]
    json: Any
    headers: dict[str, str]
    raw_body: bytes
    status: int | None = None
    answer: Any = None
    dropped: bool = False


class ZaloEmulator(LoopbackEmulator):
    name = "zalo"
    handler = RawHeadersHandler

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        processing_polls: int = 1,
        access_ttl: float = ACCESS_TTL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.state = ZaloState(clock, processing_polls)
        self.access_ttl = access_ttl
        super().__init__(host)
        self._lock = threading.Lock()
        self._faults: list[ZaloFault] = []
        self._log: list[ZaloRequest] = []

    # ---- set-up and faults --------------------------------------------------------------

    def add_app(
        self, app_id: str, secret: str, *, access_ttl: float | None = None
    ) -> tuple[str, str]:
        """Register an app authorised by the OA; the first (access, refresh) pair."""
        return self.state.add_app(app_id, secret, access_ttl=access_ttl or self.access_ttl)

    def expire_access_tokens(self) -> None:
        self.state.expire_access()

    def revoke(self, app_id: str) -> None:
        """The OA admin removed the app: every token and refresh is refused."""
        with self.state.lock:
            self.state.chains[app_id].revoked = True

    def _add(self, fault: ZaloFault) -> None:
        with self._lock:
            self._faults.append(fault)

    def inject_error(
        self,
        code: int,
        message: str = "injected",
        *,
        path_contains: str | None = None,
        method: str | None = None,
        times: int = 1,
        sticky: bool = False,
        after_store: bool = False,
    ) -> None:
        """Answer matching calls with ``{"error": code}`` (HTTP 200).

        With ``after_store`` the call is served first (e.g. the article is stored)."""
        error = ZaloError(code, message)
        self._add(
            ZaloFault(
                "error",
                path_contains,
                method,
                None if sticky else times,
                error=error,
                after_store=after_store,
            )
        )

    def inject_raw(
        self,
        http_status: int,
        body: str = "<html>Bad Gateway</html>",
        *,
        path_contains: str | None = None,
        method: str | None = None,
        times: int = 1,
        sticky: bool = False,
        after_store: bool = False,
    ) -> None:
        """A gateway's answer (5xx, HTML) instead of Zalo's JSON."""
        self._add(
            ZaloFault(
                "raw",
                path_contains,
                method,
                None if sticky else times,
                raw=(http_status, body.encode()),
                after_store=after_store,
            )
        )

    def delay(
        self,
        seconds: float,
        *,
        path_contains: str | None = None,
        method: str | None = None,
        times: int = 1,
        sticky: bool = False,
    ) -> None:
        """Serve matching calls, then wait ``seconds`` before answering."""
        self._add(
            ZaloFault("delay", path_contains, method, None if sticky else times, seconds=seconds)
        )

    def drop_after_store(
        self,
        *,
        path_contains: str | None = None,
        method: str | None = "POST",
        times: int = 1,
        sticky: bool = False,
    ) -> None:
        """Serve matching calls (the article is stored), then reset the connection."""
        self._add(ZaloFault("drop", path_contains, method, None if sticky else times))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take(
        self, kind: str, method: str, path: str, after_store: bool = False
    ) -> ZaloFault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(kind, method, path, after_store):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    # ---- inspection ---------------------------------------------------------------------

    def set_engagement(self, article_id: str, *, views: int, shares: int) -> None:
        """What the OA's list reports of an article (``total_view``, ``total_share``)."""
        with self.state.lock:
            article = self.state.articles[article_id]
            article.views, article.shares = views, shares

    def articles(self, *, include_removed: bool = False) -> list[dict[str, Any]]:
        """Articles oldest first, as detail dicts plus ``removed`` and ``verified``."""
        with self.state.lock:
            chosen = sorted(self.state.articles.values(), key=lambda a: a.seq)
            return [
                {**a.detail(self.base_url), "removed": a.removed, "verified": a.verified}
                for a in chosen
                if include_removed or not a.removed
            ]

    @property
    def broadcasts(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return [dict(b) for b in self.state.broadcasts]

    @property
    def refreshes(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return [dict(r) for r in self.state.refreshes]

    @property
    def requests_log(self) -> list[ZaloRequest]:
        with self._lock:
            return list(self._log)

    def calls(self, path_contains: str) -> list[ZaloRequest]:
        return [r for r in self.requests_log if path_contains in r.path]

    # ---- HTTP ---------------------------------------------------------------------------

    def _wsgi(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        try:
            params = dict(request.args.items())
            if request.mimetype == "application/x-www-form-urlencoded":
                params.update(request.form.items())
            raw = request.get_data()
            body = request.get_json(silent=True) if request.mimetype == "application/json" else None
            entry = ZaloRequest(
                request.method,
                request.path,
                params,
                body,
                dict(environ.get("zalo.headers") or {}),
                raw,
            )
            with self._lock:
                self._log.append(entry)
            response = self._answer(request, entry, environ)
        finally:
            request.close()
        return response(environ, start_response)

    def _answer(self, request: Request, entry: ZaloRequest, environ: dict) -> Response:
        method, path = entry.method, entry.path
        status = 200
        try:
            fault = self._take("error", method, path) or self._take("raw", method, path)
            if fault is not None and fault.raw is not None:
                entry.status = fault.raw[0]
                return Response(fault.raw[1], status=fault.raw[0], content_type="text/html")
            if fault is not None and fault.error is not None:
                raise fault.error
            body = self._serve(method, path, entry)
            after = self._take("error", method, path, True) or self._take("raw", method, path, True)
            if after is not None and after.raw is not None:
                entry.status = after.raw[0]
                return Response(after.raw[1], status=after.raw[0], content_type="text/html")
            if after is not None and after.error is not None:
                raise after.error
        except ZaloError as exc:
            body, status = exc.body(), exc.http_status
        except Exception as exc:  # a bug in the emulator must fail the test
            self.internal_errors.append(f"{method} {path}: {exc!r}")
            body, status = {"error": -1, "message": "internal"}, 500
        delay = self._take("delay", method, path)
        if delay is not None:
            self._stopping.wait(delay.seconds)
        if self._take("drop", method, path) is not None:
            entry.dropped = True
            drop_connection(environ)
        entry.status, entry.answer = status, body
        return Response(json.dumps(body), status=status, mimetype="application/json")

    def _serve(self, method: str, path: str, entry: ZaloRequest) -> dict[str, Any]:
        state = self.state
        if path == "/v4/oa/access_token":
            if method != "POST" or entry.json is not None:
                raise ZaloError(-14001, "expects a form POST")
            return state.refresh(
                entry.params.get("app_id", ""),
                entry.headers.get("secret_key"),
                entry.params.get("grant_type", ""),
                entry.params.get("refresh_token", ""),
                self.access_ttl,
            )
        if "access_token" in entry.params:
            raise ZaloError(-216, "Access token is invalid")  # the header only, never the query
        state.authorise(entry.headers.get("access_token"))
        routes: dict[tuple[str, str], Callable[[], dict[str, Any]]] = {
            ("POST", "/v2.0/article/create"): lambda: {"token": state.create(self._json(entry))},
            ("POST", "/v2.0/article/verify"): lambda: {
                "id": state.verify(self._json(entry).get("token"))
            },
            ("GET", "/v2.0/article/getdetail"): lambda: state.live(entry.params.get("id")).detail(
                self.base_url
            ),
            ("GET", "/v2.0/article/getslice"): lambda: self._slice(entry.params),
            ("POST", "/v2.0/article/remove"): lambda: self._remove(self._json(entry)),
            ("POST", "/v2.0/oa/message"): lambda: {
                "message_id": state.broadcast(self._json(entry))
            },
            ("GET", "/v2.0/oa/getoa"): lambda: {
                "oa_id": "579745863508352884",
                "name": "Hội Chữ thập đỏ tỉnh Lai Châu",
                "description": "",
                "is_verified": True,
            },
        }
        handler = routes.get((method, path))
        if handler is None:
            raise ZaloError(-209, "API is not supported")
        return {"error": 0, "message": "Success", "data": handler()}

    @staticmethod
    def _json(entry: ZaloRequest) -> dict[str, Any]:
        if not isinstance(entry.json, dict):
            raise ZaloError(-201, "body is invalid!")
        return entry.json

    def _slice(self, params: dict[str, str]) -> dict[str, Any]:
        try:
            offset, limit = int(params.get("offset", "0")), int(params.get("limit", "10"))
        except ValueError:
            raise ZaloError(-201, "offset is invalid!") from None
        if offset < 0 or not 1 <= limit <= 10:
            raise ZaloError(-210, "Parameter exceeds allowable limit")
        if params.get("type") not in ("normal", "video"):
            raise ZaloError(-201, "type is invalid!")
        found = self.state.listing()
        items = [a.slice_item(self.base_url) for a in found[offset : offset + limit]]
        return {"medias": items, "total": len(found)}

    def _remove(self, body: dict[str, Any]) -> dict[str, Any]:
        article = self.state.live(body.get("id"))
        with self.state.lock:
            article.removed = True
        return {}


__all__ = ["ZaloEmulator", "ZaloError", "ZaloRequest"]
