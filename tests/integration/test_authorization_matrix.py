"""Every API endpoint × every role: allowed roles get past authorisation, others get 403.

The walk is generated from the registered operations, so a new endpoint is covered
the moment it exists; the expected roles come from the permission table.
"""

from __future__ import annotations

import pytest

from publisher.api.framework import INT_PATH_PARAMS, OPERATIONS
from publisher.auth.models import ROLES
from publisher.auth.services import PERMISSIONS


def concrete(path: str) -> str:
    """Fill path parameters with ids that do not exist (so allowed calls end in 404/422)."""
    parts = []
    for part in path.split("/"):
        if part.startswith("{"):
            parts.append("999999" if part[1:-1] in INT_PATH_PARAMS else "nothing")
        else:
            parts.append(part)
    return "/api/v1" + "/".join(parts)


def call(client, op, headers):
    path = concrete(op.path)
    if op.method == "GET":
        return client.get(path, headers=headers)
    if op.body_kind == "multipart":
        return client.open(
            path,
            method=op.method,
            headers=headers,
            content_type="multipart/form-data; boundary=x",
            data=b"--x--\r\n",
        )
    return client.open(path, method=op.method, json={}, headers=headers)


@pytest.mark.parametrize("role", ROLES)
def test_every_endpoint_for_every_role(client, make_user, role):
    _, headers = make_user(role)
    checked = 0
    for op in OPERATIONS:
        response = call(client, op, headers)
        assert response.status_code < 500, (op.method, op.path, response.get_data(as_text=True))
        if op.permission is None:
            continue
        allowed = role in PERMISSIONS[op.permission]
        if allowed:
            assert response.status_code not in (401, 403), (op.method, op.path, role)
        else:
            # The personal-data registers answer 404 rather than revealing themselves.
            assert response.status_code == op.refusal, (
                op.method,
                op.path,
                role,
                response.status_code,
            )
            assert response.mimetype == "application/problem+json"
        checked += 1
    assert checked >= 20


def test_every_endpoint_refuses_anonymous(client):
    for op in OPERATIONS:
        if op.permission is None:
            continue
        response = call(client, op, {})
        assert response.status_code == 401, (op.method, op.path, response.status_code)


def test_the_walk_covers_the_token_endpoints():
    import publisher.api.views  # noqa: F401
    from publisher import api  # noqa: F401  (the app fixture is not needed to list them)

    walked = {(op.method, op.path): op.permission for op in OPERATIONS}
    assert walked[("GET", "/tokens")] == "users:admin"
    assert walked[("DELETE", "/tokens/{id}")] == "users:admin"


@pytest.mark.parametrize("role", ROLES)
def test_read_only_tokens_read_what_their_role_reads_and_write_nothing(app, client, role):
    from publisher.auth.models import User
    from publisher.auth.services import create_token, create_user
    from publisher.db import db

    with app.app_context():
        user_id = create_user(
            db.session, f"ro-{role}", role, commune_code="03408" if role == "operator" else None
        ).id
        _token, raw = create_token(
            db.session, "read-only", db.session.get(User, user_id), read_only=True
        )
        db.session.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    for op in OPERATIONS:
        response = call(client, op, headers)
        assert response.status_code < 500, (op.method, op.path)
        if op.method != "GET":
            assert response.status_code == 403, (op.method, op.path, role, response.status_code)
            assert "read-only" in response.get_json()["detail"]
        elif op.permission is not None:
            allowed = role in PERMISSIONS[op.permission]
            refused = response.status_code in (401, 403) or (
                op.refusal == 404 and response.status_code == 404 and not allowed
            )
            assert refused is not allowed, (op.path, role, response.status_code)


def test_the_walk_covers_the_consent_endpoints():
    import publisher.api.views  # noqa: F401

    walked = {(op.method, op.path): op.permission for op in OPERATIONS}
    assert walked[("POST", "/consents")] == "consents:write"
    assert walked[("GET", "/consents")] == "consents:read"
    assert walked[("GET", "/consents/{id}")] == "consents:read"
    assert walked[("GET", "/consents/{id}/form")] == "consents:read"
    assert walked[("POST", "/consents/{id}/withdraw")] == "consents:write"
    # Operators read no consent; approvers read but do not record or withdraw.
    assert "operator" not in PERMISSIONS["consents:read"]
    assert "approver" not in PERMISSIONS["consents:write"]
