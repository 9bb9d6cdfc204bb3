"""API tokens: administrators list them (with last use) and revoke them."""

from __future__ import annotations

from typing import Any

from flask import Response
from sqlalchemy import select

from content_library.db import utcnow
from publisher.api.framework import endpoint, get_or_404, iso, paginate, schema, scoped
from publisher.auth.models import ApiToken
from publisher.db import db

NULLABLE_DT = {"type": ["string", "null"], "format": "date-time"}

schema(
    "ApiToken",
    {
        "type": "object",
        "required": [
            "id",
            "name",
            "prefix",
            "user_id",
            "username",
            "role",
            "read_only",
            "created_at",
            "last_used_at",
            "expires_at",
            "revoked_at",
            "in_force",
        ],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "prefix": {"type": "string", "description": "the token's first characters"},
            "user_id": {"type": "integer"},
            "username": {"type": "string"},
            "role": {"type": "string", "enum": ["admin", "approver", "editor", "operator"]},
            "read_only": {"type": "boolean"},
            "created_at": {"type": "string", "format": "date-time"},
            "last_used_at": NULLABLE_DT,
            "expires_at": NULLABLE_DT,
            "revoked_at": NULLABLE_DT,
            "in_force": {"type": "boolean", "description": "neither revoked nor expired"},
        },
    },
)


def serialise_token(token: ApiToken) -> dict[str, Any]:
    expired = token.expires_at is not None and token.expires_at <= utcnow()
    return {
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "user_id": token.user_id,
        "username": token.user.username,
        "role": token.user.role,
        "read_only": token.read_only,
        "created_at": iso(token.created_at),
        "last_used_at": iso(token.last_used_at),
        "expires_at": iso(token.expires_at),
        "revoked_at": iso(token.revoked_at),
        "in_force": token.revoked_at is None and not expired and token.user.active,
    }


@endpoint(
    "GET",
    "/tokens",
    summary="API tokens, newest first, with their owner's role and last use",
    permission="users:admin",
    response="ApiToken",
    paginated=True,
)
def list_tokens() -> dict[str, Any]:
    stmt = scoped(
        select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc()), ApiToken
    )
    return paginate(db.session, stmt, serialise_token)


@endpoint(
    "DELETE",
    "/tokens/{id}",
    summary="Revoke a token: from now on it is answered 401 (revoking twice is harmless)",
    permission="users:admin",
    status=204,
)
def revoke_token(id: int) -> Response:
    token = get_or_404(ApiToken, id, "Token")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()
    return Response(status=204)
