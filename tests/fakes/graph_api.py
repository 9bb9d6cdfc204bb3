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
import re
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler
from werkzeug.wrappers import Request, Response

from tests.fakes.graph_errors import GraphError
from tests.fakes.graph_faults import Fault, FaultBook, Usage
from tests.fakes.graph_state import DEFAULT_SCOPES, GraphState, Token, as_unix, graph_time

_VERSION = re.compile(r"v\d+\.\d+")
_INDEXED_MEDIA = re.compile(r"attached_media\[(\d+)\]")


@dataclass(frozen=True)
class UploadedFile:
    filename: str | None
    mime: str | None
    data: bytes


@dataclass
class LoggedRequest:
    """One request as the emulator saw it; ``status`` is None when the connection was dropped."""

    method: str
    path: str
    version: str | None
    params: dict[str, str]
    files: dict[str, UploadedFile]
    headers: dict[str, str]
    body_kind: str  # "none" | "form" | "multipart" | "json" | "other"
    token: str | None
    status: int | None = None
    dropped: bool = False
    answer: dict[str, Any] = field(default_factory=dict)


class _Dropped(ConnectionAbortedError):
    """Raised inside the WSGI app to make werkzeug drop the connection without answering."""


class _QuietHandler(WSGIRequestHandler):
    def log(self, type: str, message: str, *args: Any) -> None:
        pass  # request lines would only clutter test output

    def connection_dropped(self, error: BaseException, environ: Any = None) -> None:
        # Without this the handler waits for another request on the half-closed socket.
        self.close_connection = True


class _Server(ThreadedWSGIServer):
    # Non-daemon handler threads let stop() wait for every answer in flight, so no socket
    # outlives the test (ResourceWarning is an error in this project's tests).
    daemon_threads = False


class GraphEmulator:
    """The Graph API for one test: pages, tokens, posts, photos, faults, usage headers."""

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
        self._host = host
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._log_lock = threading.Lock()
        self._log: list[LoggedRequest] = []
        self.internal_errors: list[str] = []

    # ---- lifecycle ----------------------------------------------------------------------

    def start(self) -> GraphEmulator:
        """Listen on a free loopback port and serve in a background thread."""
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server(self._host, 0, self._wsgi, handler=_QuietHandler)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="graph-emulator",
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
            raise RuntimeError("graph emulator failed: " + "; ".join(self.internal_errors))

    def __enter__(self) -> GraphEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``, without a version or trailing slash."""
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        return f"http://{self._host}:{self._server.server_port}"

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
            entry = self._read(request)
            with self._log_lock:
                self._log.append(entry)
            response = self._answer(request, entry, environ)
        finally:
            request.close()
        return response(environ, start_response)

    def _read(self, request: Request) -> LoggedRequest:
        params: dict[str, str] = dict(request.args.items())
        files: dict[str, UploadedFile] = {}
        mime = request.mimetype
        kind = "none"
        if mime == "application/json":
            kind = "json"
            body = request.get_json(silent=True)
            if isinstance(body, dict):
                params.update({k: _as_param(v) for k, v in body.items()})
        elif mime in ("application/x-www-form-urlencoded", "multipart/form-data"):
            kind = "multipart" if mime == "multipart/form-data" else "form"
            params.update(request.form.items())
            for name, upload in request.files.items():
                files[name] = UploadedFile(upload.filename, upload.mimetype, upload.read())
        elif request.content_length:
            kind = "other"
        token = params.get("access_token")
        auth = request.headers.get("Authorization", "")
        if not token and auth[:7].lower() == "bearer ":
            token = auth[7:].strip()
        parts = [p for p in request.path.split("/") if p]
        version = parts[0] if parts and _VERSION.fullmatch(parts[0]) else None
        return LoggedRequest(
            method=request.method,
            path=request.path,
            version=version,
            params=params,
            files=files,
            headers=dict(request.headers.items()),
            body_kind=kind,
            token=token,
        )

    def _answer(self, request: Request, entry: LoggedRequest, environ: dict) -> Response:
        page_id = None
        try:
            parts = [p for p in entry.path.split("/") if p]
            if entry.version:
                parts = parts[1:]
            page_id = self._page_of(parts, entry.token)
            fault = self._faults.take("error", entry.method, entry.path)
            if fault is not None:
                raise fault.error
            body = self._route(parts, entry)
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
            _drop(environ)
        entry.status, entry.answer = status, body
        headers = {**self.usage.headers(page_id), **extra}
        return Response(
            json.dumps(body), status=status, headers=headers, mimetype="application/json"
        )

    def _page_of(self, parts: list[str], token: str | None) -> str | None:
        """The Page a call concerns, for the usage headers."""
        if len(parts) == 2:
            return parts[0]
        if len(parts) == 1 and parts[0] != "debug_token":
            return parts[0].split("_", 1)[0] if "_" in parts[0] else parts[0]
        with self.state.lock:
            record = self.state.tokens.get(token or "")
            return record.page_id if record else None

    def _route(self, parts: list[str], entry: LoggedRequest) -> dict:
        method, params = entry.method, entry.params
        if len(parts) == 1 and parts[0] == "debug_token":
            edge = "debug_token"
        elif len(parts) == 1:
            edge = "node"
        else:
            edge = parts[1] if len(parts) == 2 else ""
        route = (method, edge)
        if route == ("GET", "debug_token"):
            return self._debug_token(params, entry.token)
        token = self.state.authorize(entry.token, params.get("appsecret_proof"))
        limit_error = self.usage.count_call()
        if limit_error is not None:
            raise limit_error
        if route == ("POST", "feed"):
            post = self.state.create_post(
                token,
                parts[0],
                message=params.get("message", ""),
                link=params.get("link"),
                published=_flag(params, "published"),
                attached_media=_attached_media(params),
            )
            names = _field_names(params.get("fields")) or ["id"]
            return self.state.read_object(token, post.id, ",".join(names))
        if route == ("POST", "photos"):
            upload = entry.files.get("source")
            photo = self.state.create_photo(
                token,
                parts[0],
                caption=params.get("message") or params.get("caption", ""),
                published=_flag(params, "published"),
                data=upload.data if upload else None,
                filename=upload.filename if upload else None,
                mime=upload.mime if upload else None,
                url=params.get("url"),
            )
            answer = {"id": photo.id}
            if photo.post_id:
                answer["post_id"] = photo.post_id
            return answer
        if route in (("GET", "published_posts"), ("GET", "feed")):
            return self._published_posts(token, parts[0], entry)
        if route == ("GET", "node"):
            return self.state.read_object(token, parts[0], params.get("fields"))
        if route == ("DELETE", "node"):
            self.state.delete(token, parts[0])
            return {"success": True}
        raise GraphError(2500, f"Unknown path components: /{'/'.join(parts)}")

    def _debug_token(self, params: dict[str, str], token: str | None) -> dict:
        input_token = params.get("input_token")
        if not input_token:
            raise GraphError(100, "(#100) The parameter input_token is required")
        try:
            self.state.authorize(token, params.get("appsecret_proof"))
        except GraphError as exc:
            # Inspecting a broken token with itself is allowed: Graph answers 200, is_valid false.
            if not (exc.code == 190 and token == input_token):
                raise
        return {"data": self.state.debug_token(input_token)}

    def _published_posts(self, token: Token, page_id: str, entry: LoggedRequest) -> dict:
        params = entry.params
        try:
            limit = min(100, max(1, int(params.get("limit", "25"))))
        except ValueError as exc:
            raise GraphError(100, "(#100) Param limit must be a number") from exc
        data, first, last, more = self.state.published_posts(
            token,
            page_id,
            fields=params.get("fields"),
            since=_moment(params.get("since")),
            until=_moment(params.get("until")),
            limit=limit,
            after=params.get("after"),
        )
        answer: dict[str, Any] = {"data": data}
        if first:
            answer["paging"] = {"cursors": {"before": first, "after": last}}
            if more:
                query = {k: v for k, v in params.items() if k not in ("after", "before")}
                query["after"] = last
                answer["paging"]["next"] = f"{self.base_url}{entry.path}?{urlencode(query)}"
        return answer


def _drop(environ: dict) -> None:
    """Close the connection abruptly (RST, no answer) after the request was served."""
    sock: socket.socket = environ["werkzeug.socket"]
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.shutdown(socket.SHUT_RDWR)
    raise _Dropped("dropped on purpose by the emulator")


def _as_param(value: Any) -> str:
    """A JSON body value as the string the same field would have in a form."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _flag(params: Mapping[str, str], name: str, default: bool = True) -> bool:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise GraphError(100, f"(#100) Param {name} must be a boolean")


def _field_names(fields: str | None) -> list[str]:
    return [f.strip() for f in (fields or "").split(",") if f.strip()]


def _attached_media(params: Mapping[str, str]) -> list[str]:
    """Photo ids from ``attached_media`` as a JSON list or as ``attached_media[N]`` fields."""
    items: list[Any] = []
    raw = params.get("attached_media")
    try:
        if raw:
            items = json.loads(raw)
            if not isinstance(items, list):
                raise ValueError("not a list")
        indexed = sorted(
            (int(m.group(1)), value)
            for key, value in params.items()
            if (m := _INDEXED_MEDIA.fullmatch(key))
        )
        items += [json.loads(value) for _, value in indexed]
        return [str(item["media_fbid"]) for item in items]
    except (ValueError, TypeError, KeyError) as exc:
        raise GraphError(100, "(#100) param attached_media must be an array of objects") from exc


def _moment(raw: str | None) -> float | None:
    """``since``/``until`` as unix seconds: digits or an ISO 8601 time (UTC when naive)."""
    if not raw:
        return None
    if raw.isdigit():
        return float(raw)
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise GraphError(100, f"(#100) Invalid time: {raw}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


__all__ = ["GraphEmulator", "LoggedRequest", "UploadedFile", "graph_time"]
