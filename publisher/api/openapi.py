"""The OpenAPI 3.1 document, built from the registered endpoints and their schemas."""

from __future__ import annotations

import copy
from typing import Any

from flask import Response, jsonify

from publisher.api.framework import INT_PATH_PARAMS, OPERATIONS, SCHEMAS, Operation, api

_STATUS_TEXT = {200: "OK", 201: "Created", 202: "Accepted", 204: "No content"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": _ref("Problem")}},
    }


def _operation(op: Operation) -> dict[str, Any]:
    slug = op.path.strip("/").replace("/", "_").replace("{", "").replace("}", "")
    doc: dict[str, Any] = {
        "summary": op.summary,
        "operationId": f"{op.method.lower()}_{slug}",
        "responses": {},
    }
    params = [copy.deepcopy(p) for p in op.query] + [copy.deepcopy(h) for h in op.headers]
    for name in reversed(INT_PATH_PARAMS):
        if "{" + name + "}" in op.path:
            params.insert(
                0,
                {
                    "name": name,
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                },
            )
    for part in op.path.split("/"):
        if part.startswith("{") and part[1:-1] not in INT_PATH_PARAMS:
            params.insert(
                0,
                {
                    "name": part[1:-1],
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "maxLength": 100},
                },
            )
    if params:
        doc["parameters"] = params
    if op.body:
        media = "application/json" if op.body_kind == "json" else "multipart/form-data"
        required = bool(SCHEMAS[op.body].get("required"))
        doc["requestBody"] = {"required": required, "content": {media: {"schema": _ref(op.body)}}}
    if op.response:
        body_schema: dict[str, Any] = _ref(op.response)
        if op.paginated:
            body_schema = {
                "type": "object",
                "required": ["items", "total", "page", "per_page"],
                "properties": {
                    "items": {"type": "array", "items": _ref(op.response)},
                    "total": {"type": "integer"},
                    "page": {"type": "integer"},
                    "per_page": {"type": "integer"},
                },
            }
        doc["responses"][str(op.status)] = {
            "description": _STATUS_TEXT.get(op.status, "OK"),
            "content": {"application/json": {"schema": body_schema}},
        }
    else:
        doc["responses"][str(op.status)] = {"description": _STATUS_TEXT.get(op.status, "OK")}
    for status, name in op.extra_responses.items():
        doc["responses"][str(status)] = {
            "description": _STATUS_TEXT.get(status, "OK"),
            "content": {"application/json": {"schema": _ref(name)}},
        }
    if op.permission:
        doc["security"] = [{"bearer": []}]
        doc["responses"]["401"] = _problem("Not authenticated")
        doc["responses"]["403"] = _problem("Not allowed for this role")
    if op.body or op.query or "{" in op.path:
        doc["responses"]["422"] = _problem("Invalid input")
    if "{" in op.path or op.refusal == 404:
        doc["responses"]["404"] = _problem("Not found")
    if op.method in ("POST", "PATCH", "DELETE"):
        doc["responses"]["409"] = _problem("Conflict with the current state")
    if op.body:
        doc["responses"]["400"] = _problem("Malformed body")
        doc["responses"]["413"] = _problem("Body too large")
        doc["responses"]["415"] = _problem("Wrong content type")
    return doc


def openapi_document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault("/api/v1" + op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Campaign publisher API",
            "version": "1.0.0",
            "description": "Plan, approve and deliver blood-donation campaign content.",
        },
        "paths": paths,
        "components": {
            "schemas": copy.deepcopy(SCHEMAS),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


@api.get("/openapi.json")
def openapi_json() -> Response:
    return jsonify(openapi_document())
