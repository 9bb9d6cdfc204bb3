"""Errors as RFC 9457 problem details (``application/problem+json``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

PROBLEM_JSON = "application/problem+json"


class ApiError(Exception):
    """An error the API answers with; ``detail`` may carry English and Vietnamese."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        errors: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title
        self.errors = dict(errors or {})
        self.headers = dict(headers or {})


class ValidationFailed(ApiError):
    """422 with per-field errors."""

    def __init__(self, errors: Mapping[str, str], detail: str | None = None) -> None:
        super().__init__(
            422,
            detail or "Dữ liệu không hợp lệ / the request has invalid fields",
            title="Validation failed",
            errors=errors,
        )


def not_found(what: str, ident: Any) -> ApiError:
    return ApiError(404, f"{what} {ident} not found / không tìm thấy")


def conflict(detail: str) -> ApiError:
    return ApiError(409, detail, title="Conflict")


def forbidden(
    detail: str = "Bạn không có quyền làm việc này / not allowed for your role",
) -> ApiError:
    return ApiError(403, detail, title="Forbidden")


_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Validation failed",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    errors: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = dict(errors)
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def wants_problem() -> bool:
    """API and machine clients get problem+json; people in a browser get an HTML page."""
    if request.path.startswith("/api/") or request.path in {"/healthz", "/readyz", "/metrics"}:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best != "text/html"


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> Response:
        return problem(
            error.status,
            error.detail,
            title=error.title,
            errors=error.errors,
            headers=error.headers,
        )

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response | HTTPException:
        renderer = app.extensions.get("html_error")
        if renderer is not None and not wants_problem():
            return renderer(error)
        status = error.code or 500
        detail = error.description or _TITLES.get(status, "Error")
        headers = {}
        if status == 405 and error.get_response().headers.get("Allow"):
            headers["Allow"] = error.get_response().headers["Allow"]
        return problem(status, detail, headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return problem(500, "Lỗi hệ thống, vui lòng thử lại / unexpected server error")
