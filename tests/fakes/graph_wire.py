"""HTTP plumbing of the Graph emulator: the server, request parsing, parameters, dropping."""

from __future__ import annotations

import json
import re
import socket
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler
from werkzeug.wrappers import Request

from tests.fakes.graph_errors import GraphError

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


class Dropped(ConnectionAbortedError):
    """Raised inside the WSGI app to make werkzeug drop the connection without answering."""


class QuietHandler(WSGIRequestHandler):
    def log(self, type: str, message: str, *args: Any) -> None:
        pass  # request lines would only clutter test output

    def connection_dropped(self, error: BaseException, environ: Any = None) -> None:
        # Without this the handler waits for another request on the half-closed socket.
        self.close_connection = True


class Server(ThreadedWSGIServer):
    # Non-daemon handler threads let stop() wait for every answer in flight, so no socket
    # outlives the test (ResourceWarning is an error in this project's tests).
    daemon_threads = False


def read_request(request: Request) -> LoggedRequest:
    """What a request carries, from the query, a form, a multipart body or JSON."""
    params: dict[str, str] = dict(request.args.items())
    files: dict[str, UploadedFile] = {}
    mime = request.mimetype
    kind = "none"
    if mime == "application/json":
        kind = "json"
        body = request.get_json(silent=True)
        if isinstance(body, dict):
            params.update({k: as_param(v) for k, v in body.items()})
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


def drop_connection(environ: dict) -> None:
    """Close the connection abruptly (RST, no answer) after the request was served."""
    sock: socket.socket = environ["werkzeug.socket"]
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.shutdown(socket.SHUT_RDWR)
    raise Dropped("dropped on purpose by the emulator")


def as_param(value: Any) -> str:
    """A JSON body value as the string the same field would have in a form."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value)


def flag(params: Mapping[str, str], name: str, default: bool = True) -> bool:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise GraphError(100, f"(#100) Param {name} must be a boolean")


def field_names(fields: str | None) -> list[str]:
    return [f.strip() for f in (fields or "").split(",") if f.strip()]


def attached_media(params: Mapping[str, str]) -> list[str]:
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


def moment(raw: str | None) -> float | None:
    """``since``/``until`` as unix seconds: digits or an ISO 8601 time (UTC when naive)."""
    if not raw:
        return None
    if raw.isdigit():
        return float(raw)
    try:
        when = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise GraphError(100, f"(#100) Invalid time: {raw}") from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()
