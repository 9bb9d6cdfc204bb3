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
            assert response.status_code == 403, (op.method, op.path, role, response.status_code)
            assert response.mimetype == "application/problem+json"
        checked += 1
    assert checked >= 20


def test_every_endpoint_refuses_anonymous(client):
    for op in OPERATIONS:
        if op.permission is None:
            continue
        response = call(client, op, {})
        assert response.status_code == 401, (op.method, op.path, response.status_code)
