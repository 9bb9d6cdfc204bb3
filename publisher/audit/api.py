"""/api/v1/audit: who read or changed which row of personal data, and when.

The department's admins read every entry; a unit's admins the entries about their own
organisation's rows; everyone else gets 404, as for the donor register itself.
"""

from __future__ import annotations

from typing import Any

from flask import request

from publisher.api.framework import PAGE_PARAMS, current_user, endpoint, paginate, schema
from publisher.audit import ACTIONS
from publisher.audit.log import AuditFilter, filter_from_args, filtered_events, serialise_event
from publisher.db import db
from publisher.errors import ValidationFailed

schema(
    "AuditEvent",
    {
        "type": "object",
        "required": ["id", "at", "actor", "action", "entity", "entity_id", "organisation_id"],
        "properties": {
            "id": {"type": "integer"},
            "at": {"type": "string"},
            "actor": {"type": "string"},
            "action": {"type": "string", "enum": list(ACTIONS)},
            "entity": {"type": "string"},
            "entity_id": {"type": ["integer", "null"]},
            "organisation_id": {"type": ["integer", "null"]},
            "detail": {"type": "object"},
        },
    },
)


@endpoint(
    "GET",
    "/audit",
    summary="The audit log of personal data (admins: the department all, a unit its own)",
    permission="audit:read",
    response="AuditEvent",
    paginated=True,
    query=(
        *PAGE_PARAMS,
        {"name": "entity", "in": "query", "schema": {"type": "string", "maxLength": 40}},
        {
            "name": "entity_id",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
        },
        {"name": "action", "in": "query", "schema": {"type": "string", "enum": list(ACTIONS)}},
        {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
        {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
    ),
    refusal=404,
)
def audit_list() -> dict[str, Any]:
    try:
        wanted: AuditFilter = filter_from_args({k: v for k, v in request.args.items() if v != ""})
    except ValueError as exc:
        raise ValidationFailed(exc.args[0]) from None
    return paginate(
        db.session, filtered_events(db.session, current_user(), wanted), serialise_event
    )
