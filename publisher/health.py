"""Liveness and readiness."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import text

from jobqueue.connection import get_queue
from publisher.db import db
from publisher.errors import problem

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz() -> Response:
    """The process answers; nothing else is checked."""
    return jsonify(status="ok")


@health.get("/readyz")
def readyz() -> Response:
    """Ready when the database and Redis both answer."""
    checks: dict[str, str] = {}
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        get_queue().ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
    if all(v == "ok" for v in checks.values()):
        return jsonify(status="ready", checks=checks)
    failing = ", ".join(k for k, v in checks.items() if v != "ok")
    response = problem(503, f"not ready: {failing} unavailable")
    return response
