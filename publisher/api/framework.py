"""How API endpoints are declared: one decorator registers the route, its permission,
its schemas and its place in the OpenAPI document, so the document cannot drift from
what the endpoints accept and return."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from flask import Blueprint, g, request
from jsonschema import Draft202012Validator
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from publisher.auth.models import User
from publisher.auth.services import can
from publisher.errors import ApiError, ValidationFailed, forbidden, not_found
from publisher.organisations.visibility import scoped as scope_rows
from publisher.organisations.visibility import visible
from publisher.times import iso_z

api = Blueprint("api", __name__, url_prefix="/api/v1")
T = TypeVar("T")


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    permission: str | None
    body: str | None = None
    body_kind: str = "json"
    response: str | None = None
    status: int = 200
    query: Sequence[dict[str, Any]] = ()
    paginated: bool = False
    extra_responses: Mapping[int, str] = field(default_factory=dict)
    headers: Sequence[dict[str, Any]] = ()
    # 404 where the register's existence is not to be revealed (donors, the audit log):
    # a role without the permission is answered as if the endpoint held nothing for it.
    refusal: int = 403


OPERATIONS: list[Operation] = []
SCHEMAS: dict[str, dict[str, Any]] = {}


def schema(name: str, definition: dict[str, Any]) -> dict[str, Any]:
    SCHEMAS[name] = definition
    return definition


def get_or_404(model: type[T], ident: Any, what: str) -> T:
    """The row with this primary key, or a 404 problem naming what was asked for.

    Another organisation's row answers 404 too (its existence is not revealed); a write
    needs the row to be the user's organisation's own, not only readable."""
    from publisher.db import db

    row = db.session.get(model, ident)
    acting = request.method not in ("GET", "HEAD")
    if row is None or not visible(db.session, row, current_user(), acting=acting):
        raise not_found(what, ident)
    return row


def scoped(stmt: Select[Any], model: type) -> Select[Any]:
    """A list query narrowed to the rows the current user's organisation may see."""
    from publisher.db import db

    return scope_rows(db.session, stmt, model, current_user())


def current_user() -> User | None:
    return g.get("user")


# Path parameters that are positive integers (database ids, version numbers).
INT_PATH_PARAMS = ("id", "number")


def endpoint(
    method: str,
    path: str,
    *,
    summary: str,
    permission: str | None,
    body: str | None = None,
    body_kind: str = "json",
    response: str | None = None,
    status: int = 200,
    query: Sequence[dict[str, Any]] = (),
    paginated: bool = False,
    extra_responses: Mapping[int, str] | None = None,
    headers: Sequence[dict[str, Any]] = (),
    refusal: int = 403,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register an API view; the view receives the validated body as ``body=`` when it has one."""
    op = Operation(
        method,
        path,
        summary,
        permission,
        body,
        body_kind,
        response,
        status,
        tuple(query),
        paginated,
        dict(extra_responses or {}),
        tuple(headers),
        refusal,
    )
    OPERATIONS.append(op)
    flask_path = path.replace("{", "<").replace("}", ">")
    for name in INT_PATH_PARAMS:
        flask_path = flask_path.replace(f"<{name}>", f"<api_id:{name}>")

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(**kwargs: Any) -> Any:
            if op.permission is not None:
                user = current_user()
                if user is None:
                    raise ApiError(
                        401,
                        "Cần đăng nhập hoặc mã truy cập / authentication required",
                        headers={"WWW-Authenticate": 'Bearer realm="publisher"'},
                    )
                if not can(user, op.permission):
                    if op.refusal == 404:
                        raise ApiError(404, "Không tìm thấy / not found")
                    raise forbidden()
            _check_query(op)
            for name in INT_PATH_PARAMS:
                ident = kwargs.get(name)
                if isinstance(ident, int) and not 1 <= ident <= 2**31 - 1:
                    raise ApiError(404, f"{ident} is not a valid {name} / không tìm thấy")
            if op.body and op.body_kind == "json":
                kwargs["body"] = json_body(op.body)
            return view(**kwargs)

        endpoint_name = f"{view.__module__.rsplit('.', 1)[-1]}_{view.__name__}"
        api.add_url_rule(flask_path, endpoint_name, wrapper, methods=[method])
        return wrapper

    return decorate


def json_body(schema_name: str) -> dict[str, Any]:
    """The request's JSON object, validated against the named schema."""
    if not request.get_data(cache=True) and not SCHEMAS[schema_name].get("required"):
        return {}  # an empty body is fine when every field is optional
    if not request.is_json:
        raise ApiError(415, "Cần gửi JSON (Content-Type: application/json) / JSON body expected")
    data = request.get_json(silent=True)
    if data is None:
        raise ApiError(400, "JSON không hợp lệ / malformed JSON body")
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(
            400, "JSON chứa ký tự Unicode không hợp lệ / lone surrogate in a string"
        ) from None
    nul = _nul_path(data)
    if nul is not None:
        # PostgreSQL cannot store U+0000 in text; SQLite can: refuse it on both alike.
        raise ValidationFailed({nul or "body": "must not contain the NUL character (U+0000)"})
    validate(data, SCHEMAS[schema_name])
    return data


def _nul_path(data: Any, path: str = "") -> str | None:
    """The dotted path of the first string (value or key) holding U+0000, else None."""
    if isinstance(data, str):
        return path if "\x00" in data else None
    if isinstance(data, dict):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return path or "body"
            found = _nul_path(value, where)
            if found is not None:
                return found
    if isinstance(data, list):
        for index, value in enumerate(data):
            found = _nul_path(value, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None


VALUE_FREE = {
    "minLength": "must be at least {} characters long",
    "maxLength": "must be at most {} characters long",
    "pattern": "must match the pattern {}",
    "format": "must be a valid {}",
}


def validate(data: Any, definition: dict[str, Any]) -> None:
    validator = Draft202012Validator(definition, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors: dict[str, str] = {}
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        path = ".".join(str(p) for p in error.absolute_path)
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else "field"
            path = f"{path}.{missing}" if path else missing
            message = "is required"
        elif error.validator == "additionalProperties":
            message = error.message
        elif error.validator == "enum":
            message = "must be one of " + ", ".join(str(v) for v in error.validator_value)
        elif error.validator == "type":
            message = f"must be of type {error.validator_value}"
        elif error.validator in VALUE_FREE:
            # Never echo the value: it may be a person's name (problem details reach logs).
            message = VALUE_FREE[error.validator].format(error.validator_value)
        else:
            message = _without_value(error.validator, error.validator_value, error.message)
        errors.setdefault(path or "body", message)
    if errors:
        raise ValidationFailed(errors)


# Messages that would otherwise quote the value sent: a person's name must never come back
# in an error (personal data, Nghị định 13/2023/NĐ-CP), nor land in a log line quoting it.
_VALUE_FREE = {
    "maxLength": "must be at most {} characters",
    "minLength": "must be at least {} characters",
    "pattern": "must match {}",
    "format": "is not a valid {}",
    "maxItems": "must have at most {} items",
    "minItems": "must have at least {} items",
    "maximum": "must be at most {}",
    "minimum": "must be at least {}",
    "const": "must be {}",
    "uniqueItems": "must not repeat items",
    "oneOf": "does not match the expected form",
    "anyOf": "does not match the expected form",
    "not": "is not allowed here",
    "exclusiveMaximum": "must be below {}",
    "exclusiveMinimum": "must be above {}",
}


def _without_value(validator: str, expected: Any, fallback: str) -> str:
    template = _VALUE_FREE.get(validator)
    return template.format(expected) if template else fallback


def parse_datetime(value: str | None, field_name: str) -> datetime | None:
    """An ISO 8601 time with a zone; naive datetimes are refused."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValidationFailed({field_name: "is not an ISO 8601 date-time"}) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValidationFailed(
            {field_name: "must carry a time zone, e.g. 2025-06-14T07:30:00+07:00 (naive refused)"}
        )
    if not 1900 <= parsed.year <= 2200:
        raise ValidationFailed({field_name: "year must be between 1900 and 2200"})
    return parsed.astimezone(UTC)


def parse_date(value: str | None, field_name: str) -> date | None:
    if value is None:
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed({field_name: "is not a date (YYYY-MM-DD)"}) from None
    if not 1900 <= parsed.year <= 2200:
        raise ValidationFailed({field_name: "year must be between 1900 and 2200"})
    return parsed


iso = iso_z  # the API's name for it


def query_int(name: str, default: int, minimum: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed({name: "must be an integer"}) from None
    if not minimum <= value <= maximum:
        raise ValidationFailed({name: f"must be between {minimum} and {maximum}"})
    return value


PAGE_PARAMS = (
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100000}},
    {
        "name": "per_page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 200},
    },
)


def _check_query(op: Operation) -> None:
    """Query parameters checked against their schemas: typed, once each, none unknown."""
    params = list(op.query) + (list(PAGE_PARAMS) if op.paginated else [])
    known = {p["name"]: p.get("schema", {}) for p in params}
    errors: dict[str, str] = {}
    for name in request.args:
        if name not in known:
            errors[name[:60]] = "is not a parameter of this operation"
            continue
        values = request.args.getlist(name)
        if len(values) > 1:
            errors[name] = "must be given once"
            continue
        definition = known[name]
        raw = values[0]
        value: Any = raw
        if definition.get("type") == "integer":
            if not raw.lstrip("-").isdigit() or len(raw) > 12:
                errors[name] = "must be an integer"
                continue
            value = int(raw)
        elif definition.get("type") == "boolean":
            if raw not in ("true", "false"):
                errors[name] = "must be true or false"
                continue
            value = raw == "true"
        validator = Draft202012Validator(
            definition, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        problem = next(iter(validator.iter_errors(value)), None)
        if problem is not None and problem.validator in VALUE_FREE:
            errors[name] = VALUE_FREE[problem.validator].format(problem.validator_value)
        elif problem is not None:
            errors[name] = problem.message[:200]
    if errors:
        raise ValidationFailed(errors)


def paginate(
    session: Session, stmt: Select[Any], serialise: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    page = query_int("page", 1, 1, 100000)
    per_page = query_int("per_page", 50, 1, 200)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return {
        "items": [serialise(r) for r in rows],
        "total": total,
        "page": page,
        "per_page": per_page,
    }
