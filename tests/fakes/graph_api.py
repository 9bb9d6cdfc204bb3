"""A stateful Facebook Graph API emulator on a real loopback HTTP server.

Adapters talk to it over real HTTP exactly as they would to graph.facebook.com, so
tests exercise the wire format, the error JSON, usage headers, slow answers and dropped
connections. Typical use::

    with GraphEmulator() as graph:
        token = graph.add_page("1001", app_secret="s3cret")
        graph.inject_error(2, method="POST")          # the next POST answers 503
        graph.drop_after_store()                     # the next POST is stored, then dropped
        ...  # point the adapter at graph.base_url
        assert len(graph.posts("1001")) == 1

Bodies are read from the query string, urlencoded forms, multipart forms (file ``source``)
and JSON; the token from ``access_token`` or ``Authorization: Bearer``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from werkzeug.wrappers import Request, Response

from tests.fakes.graph_errors import GraphError
from tests.fakes.graph_faults import Fault, FaultBook, Usage
from tests.fakes.graph_model import DEFAULT_SCOPES, Token, as_unix
from tests.fakes.graph_routes import GraphRoutes
from tests.fakes.graph_state import GraphState
from tests.fakes.graph_wire import (
    LoggedRequest,
    UploadedFile,
    drop_connection,
    read_request,
)
from tests.fakes.loopback import LoopbackEmulator


class GraphEmulator(LoopbackEmulator):
    """The Graph API for one test: pages, tokens, posts, photos, faults, usage headers."""

    name = "graph"

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        reject_duplicates: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        # reject_duplicates is off by default: with it on, a pipeline that wrongly posts twice
        # would be saved by error 506 and a test counting posts would not notice.
        self.state = GraphState(clock=clock, reject_duplicates=reject_duplicates)
        self.usage = Usage()
        self._faults = FaultBook()
        self._routes = GraphRoutes(self.state, self.usage)
        super().__init__(host)
        self._log_lock = threading.Lock()
        self._log: list[LoggedRequest] = []

    # ---- set-up -------------------------------------------------------------------------

    def add_page(
        self,
        page_id: str,
        name: str | None = None,
        *,
        token: str | None = None,
        app_secret: str | None = None,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        expires_at: datetime | int = 0,
        data_access_expires_at: datetime | int | None = None,
    ) -> str:
        """Create a Page and a Page token for it; return the token.

        ``data_access_expires_at`` defaults to 90 days ahead, as for a fresh page token.
        With ``app_secret`` every call with this page's tokens must carry ``appsecret_proof``.
        """
        self.state.add_page(page_id, name or f"Trang {page_id}", app_secret)
        token = token or f"EAAPAGE{page_id}TOKEN"
        self.add_token(
            token,
            page_id,
            scopes=scopes,
            expires_at=expires_at,
            data_access_expires_at=data_access_expires_at,
        )
        return token

    def add_token(
        self,
        token: str,
        page_id: str,
        *,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        expires_at: datetime | int = 0,
        data_access_expires_at: datetime | int | None = None,
        profile_id: str | None = None,
        kind: str = "PAGE",
    ) -> None:
        """Register a token acting for ``page_id``.

        ``profile_id`` and ``kind`` override what debug_token reports (another page, "USER").
        """
        if data_access_expires_at is None:
            data_access_expires_at = int(self.state.clock()) + 90 * 86400
        self.state.add_token(
            Token(
                value=token,
                page_id=page_id,
                scopes=list(scopes),
                profile_id=profile_id or page_id,
                token_type=kind,
                expires_at=as_unix(expires_at),
                data_access_expires_at=as_unix(data_access_expires_at),
            )
        )

    def invalidate_token(self, token: str, subcode: int | None = 460) -> None:
        """Make the token unusable: calls answer 190 with ``subcode``, debug_token says invalid."""
        with self.state.lock:
            record = self.state.token(token)
            record.valid, record.invalid_subcode = False, subcode

    def set_token_expiry(
        self,
        token: str,
        *,
        expires_at: datetime | int | None = None,
        data_access_expires_at: datetime | int | None = None,
    ) -> None:
        """Change the token's expiry times (aware datetimes or unix seconds; 0 means never)."""
        with self.state.lock:
            record = self.state.token(token)
            if expires_at is not None:
                record.expires_at = as_unix(expires_at)
            if data_access_expires_at is not None:
                record.data_access_expires_at = as_unix(data_access_expires_at)

    def set_scopes(self, token: str, scopes: Iterable[str]) -> None:
        """Replace the permissions granted to a token."""
        with self.state.lock:
            self.state.token(token).scopes = list(scopes)

    def add_post(
        self,
        page_id: str,
        message: str,
        *,
        created_time: datetime | None = None,
        link: str | None = None,
    ) -> str:
        """Seed a published post (e.g. older history for lookup); return its id."""
        when = created_time.timestamp() if created_time else self.state.clock()
        return self.state.seed_post(page_id, message, when, link).id

    # ---- faults and usage ---------------------------------------------------------------

    def set_engagement(
        self, post_id: str, *, reactions: int = 0, comments: int = 0, shares: int = 0
    ) -> None:
        """Set what Graph counts on a post (its reactions, comments and shares summaries)."""
        with self.state.lock:
            post = self.state.posts[post_id]
            post.reactions, post.comments, post.shares = reactions, comments, shares

    def inject_error(
        self,
        code: int,
        subcode: int | None = None,
        *,
        http_status: int | None = None,
        message: str | None = None,
        user_msg: str | None = None,
        method: str | None = None,
        path_contains: str | None = None,
        times: int = 1,
        sticky: bool = False,
        extra_headers: Mapping[str, str] | None = None,
        after_store: bool = False,
    ) -> None:
        """Answer matching requests with a Graph error instead of serving them.

        With ``after_store`` the request is carried out first (the post exists) and the error
        is answered anyway, as Graph sometimes does with a 500.
        """
        error = GraphError(
            code,
            message,
            subcode=subcode,
            http_status=http_status,
            user_msg=user_msg,
            headers=extra_headers,
        )
        self._faults.add(
            Fault(
                "error",
                method,
                path_contains,
                None if sticky else times,
                error=error,
                after_store=after_store,
            )
        )

    def inject_raw(
        self,
        http_status: int,
        body: bytes | str,
        *,
        content_type: str = "text/html; charset=utf-8",
        method: str | None = None,
        path_contains: str | None = None,
        times: int = 1,
        sticky: bool = False,
    ) -> None:
        """Answer matching requests with a non-Graph body (a proxy's HTML page, say)."""
        data = body.encode() if isinstance(body, str) else body
        self._faults.add(
            Fault(
                "error",
                method,
                path_contains,
                None if sticky else times,
                raw=(http_status, data, content_type),
            )
        )

    def delay(
        self,
        seconds: float,
        *,
        times: int = 1,
        sticky: bool = False,
        method: str | None = None,
        path_contains: str | None = None,
    ) -> None:
        """Serve matching requests, then wait ``seconds`` before answering (a slow Graph)."""
        self._faults.add(
            Fault("delay", method, path_contains, None if sticky else times, seconds=seconds)
        )

    def drop_after_store(
        self,
        times: int = 1,
        *,
        sticky: bool = False,
        method: str | None = "POST",
        path_contains: str | None = None,
    ) -> None:
        """Serve matching requests (the post is stored), then close the socket without answering."""
        self._faults.add(Fault("drop", method, path_contains, None if sticky else times))

    def clear_faults(self) -> None:
        """Forget every planned error, delay and drop."""
        self._faults.clear()

    def set_usage(
        self,
        app: float | None = None,
        page: float | None = None,
        buc: float | None = None,
        *,
        regain_minutes: int | None = None,
        growth_per_call: float | None = None,
        enforce: bool | None = None,
    ) -> None:
        """Set the usage percentages sent in headers; at 100 calls fail with 4, 80001 or 32."""
        self.usage.set(
            app=app,
            page=page,
            buc=buc,
            regain_minutes=regain_minutes,
            growth_per_call=growth_per_call,
            enforce=enforce,
        )

    # ---- inspection ---------------------------------------------------------------------

    def posts(self, page_id: str, *, include_unpublished: bool = True) -> list[dict]:
        """The Page's posts, oldest first, as dicts (id, message, link, created_time, …)."""
        with self.state.lock:
            chosen = [
                p
                for p in self.state.posts.values()
                if p.page_id == page_id and (include_unpublished or p.is_published)
            ]
            chosen.sort(key=lambda p: (p.created_time, p.seq))
            return [p.snapshot() for p in chosen]

    def photos(self, page_id: str) -> list[dict]:
        """The Page's photos (published or not) with their bytes, oldest first."""
        with self.state.lock:
            return [
                {
                    "id": p.id,
                    "page_id": p.page_id,
                    "published": p.published,
                    "caption": p.caption,
                    "data": p.data,
                    "filename": p.filename,
                    "mime": p.mime,
                    "url": p.url,
                    "post_id": p.post_id,
                    "attached_to": p.attached_to,
                }
                for p in self.state.photos.values()
                if p.page_id == page_id
            ]

    @property
    def requests_log(self) -> list[LoggedRequest]:
        """Every request received so far, in arrival order (a copy)."""
        with self._log_lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self._log_lock:
            self._log.clear()

    # ---- HTTP ---------------------------------------------------------------------------

    def _wsgi(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        try:
            entry = read_request(request)
            with self._log_lock:
                self._log.append(entry)
            response = self._answer(request, entry, environ)
        finally:
            request.close()
        return response(environ, start_response)

    def _answer(self, request: Request, entry: LoggedRequest, environ: dict) -> Response:
        page_id = None
        try:
            parts = [p for p in entry.path.split("/") if p]
            if entry.version:
                parts = parts[1:]
            page_id = self._routes.page_of(parts, entry.token)
            fault = self._faults.take("error", entry.method, entry.path)
            if fault is not None and fault.raw is not None:
                entry.status = fault.raw[0]
                return Response(fault.raw[1], status=fault.raw[0], content_type=fault.raw[2])
            if fault is not None:
                raise fault.error
            body = self._routes.serve(parts, entry, self.base_url)
            fault = self._faults.take("error", entry.method, entry.path, after_store=True)
            if fault is not None:
                raise fault.error
            status, extra = 200, {}
        except GraphError as exc:
            body, status, extra = exc.body(), exc.http_status, exc.headers
        except Exception as exc:  # a bug in the emulator must fail the test, not look like Graph
            self.internal_errors.append(f"{entry.method} {entry.path}: {exc!r}")
            body, status, extra = GraphError(1).body(), 500, {}
        delay = self._faults.take("delay", entry.method, entry.path)
        if delay is not None:
            self._stopping.wait(delay.seconds)
        if self._faults.take("drop", entry.method, entry.path) is not None:
            entry.dropped = True
            drop_connection(environ)
        entry.status, entry.answer = status, body
        headers = {**self.usage.headers(page_id), **extra}
        return Response(
            json.dumps(body), status=status, headers=headers, mimetype="application/json"
        )


__all__ = ["GraphEmulator", "LoggedRequest", "UploadedFile"]
