"""A response the browser saves as a file: named, never cached (reports, personal data)."""

from __future__ import annotations

import json
from typing import Any

from flask import Response


def download(data: bytes | str, mime: str, name: str) -> Response:
    response = Response(data, mimetype=mime)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def json_download(data: Any, name: str) -> Response:
    """``data`` as readable UTF-8 JSON (Vietnamese left as written), saved as ``name``."""
    return download(json.dumps(data, ensure_ascii=False, indent=2), "application/json", name)
