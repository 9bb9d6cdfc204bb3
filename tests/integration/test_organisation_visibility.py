"""Units cannot reach each other's rows: every endpoint × role × organisation.

The walk is generated from the registered operations: every path with an id of a row that
belongs to an organisation (content, channels, campaigns, publications, tokens, guidance) is
called by each role of another unit with the real id of unit A's row. A role the permission
table refuses gets 403 as before; every role it allows gets 404, as if the row did not exist
(its existence is not revealed). The department's people reach everything.
"""

from __future__ import annotations

import pytest

from publisher.api.framework import OPERATIONS
from publisher.auth.services import PERMISSIONS
from tests.integration.orgs_support import (
    DEPARTMENT,
    UNIT_A,
    UNIT_B,
    approved_item,
    campaign,
    make_units,
    rss_channel,
    schedule,
)

# Minimal bodies that pass validation, so the walk reaches the row's loading.
BODIES = {
    ("PATCH", "/campaigns/{id}"): {"name": "Đổi tên"},
    ("PATCH", "/content/{id}"): {"title": "Đổi tiêu đề"},
    ("POST", "/content/{id}/reject"): {"note": "Không"},
    ("PATCH", "/channels/{id}"): {"name": "Đổi tên"},
    ("POST", "/publications/{id}/retry"): {},
    ("POST", "/campaigns/{id}/plan"): {"playbook_id": 1, "dry_run": True},
    ("POST", "/campaigns/{id}/recurrences"): {
        "rrule": "FREQ=WEEKLY;BYDAY=SU",
        "template": "x",
        "channels": "all",
    },
    ("POST", "/guidance/{id}/evidence"): {"note": "Đã đăng", "date": "2025-06-01"},
}
OWNED_PREFIXES = {
    "/content/": ("content", "Content"),
    "/channels/": ("channel", "Channel"),
    "/campaigns/": ("campaign", "Campaign"),
    "/publications/": ("publication", "Publication"),
    "/tokens/": ("token", "Token"),
}


@pytest.fixture
def world(app, client):
    """Unit A's rows (content, channel, campaign, publication, token), made through the API."""
    from sqlalchemy import select

    from publisher.auth.models import ApiToken
    from publisher.db import db

    units = make_units(app)
    a = units[UNIT_A]
    ids = {
        "content": approved_item(client, a),
        "channel": rss_channel(client, a),
        "campaign": campaign(client, a),
    }
    pub = schedule(client, a.headers["editor"], ids["content"], ids["channel"])
    assert pub.status_code == 201, pub.get_json()
    ids["publication"] = pub.get_json()["id"]
    with app.app_context():
        ids["token"] = db.session.scalar(
            select(ApiToken.id).where(ApiToken.organisation_id == a.org_id)
        )
    return units, ids


def _path(op, ids) -> tuple[str, str] | None:
    for prefix, (key, what) in OWNED_PREFIXES.items():
        if op.path.startswith(prefix) and "{id}" in op.path:
            path = op.path.replace("{id}", str(ids[key])).replace("{number}", "1")
            path = path.replace("{recurrence_id}", "nothing")
            return "/api/v1" + path, what
    return None


def _call(client, op, path, headers):
    body = BODIES.get((op.method, op.path))
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
    return client.open(path, method=op.method, json=body or {}, headers=headers)


def test_another_units_rows_answer_404_on_every_endpoint_for_every_role(client, world):
    units, ids = world
    b = units[UNIT_B]
    checked = 0
    for op in OPERATIONS:
        target = _path(op, ids)
        if target is None or op.permission is None:
            continue
        path, what = target
        for role, headers in b.headers.items():
            response = _call(client, op, path, headers)
            if role not in PERMISSIONS[op.permission]:
                assert response.status_code == 403, (op.method, op.path, role)
                continue
            assert response.status_code == 404, (
                op.method,
                op.path,
                role,
                response.status_code,
                response.get_data(as_text=True),
            )
            assert what in response.get_json()["detail"], (op.method, op.path)
            checked += 1
    assert checked >= 25


def test_the_commune_operator_and_people_of_another_commune_are_refused_too(app, client, world):
    """Unit A is a commune; a second commune's editor reaches none of its rows."""
    from publisher.auth.services import create_token, create_user
    from publisher.db import db

    _units, ids = world
    with app.app_context():
        other = create_user(db.session, "bt-xa-khac", "editor", organisation="xa-03637")
        _t, raw = create_token(db.session, "t", other)
        db.session.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    for path in (
        f"/api/v1/content/{ids['content']}",
        f"/api/v1/channels/{ids['channel']}",
        f"/api/v1/campaigns/{ids['campaign']}",
        f"/api/v1/publications/{ids['publication']}",
    ):
        assert client.get(path, headers=headers).status_code == 404, path


def test_lists_hold_only_the_units_own_rows(client, world):
    units, ids = world
    b = units[UNIT_B]
    own_content = approved_item(client, b, title="Tin của báo")
    own_channel = rss_channel(client, b)
    for path, own, theirs in (
        ("/api/v1/content", own_content, ids["content"]),
        ("/api/v1/channels", own_channel, ids["channel"]),
    ):
        seen = {r["id"] for r in client.get(path, headers=b.headers["editor"]).get_json()["items"]}
        assert seen == {own}, path
        everything = client.get(path, headers=units[DEPARTMENT].headers["editor"]).get_json()
        assert {own, theirs} <= {r["id"] for r in everything["items"]}, path
    pubs = client.get("/api/v1/publications", headers=b.headers["editor"]).get_json()
    assert pubs["items"] == []
    campaigns = client.get("/api/v1/campaigns", headers=b.headers["editor"]).get_json()
    assert ids["campaign"] not in {c["id"] for c in campaigns["items"]}
    tokens = client.get("/api/v1/tokens", headers=b.headers["admin"]).get_json()
    assert ids["token"] not in {t["id"] for t in tokens["items"]}
    assert tokens["items"], "the unit's admin still sees its own tokens"


def test_the_department_reaches_every_units_rows(client, world):
    units, ids = world
    dept = units[DEPARTMENT]
    assert (
        client.get(f"/api/v1/content/{ids['content']}", headers=dept.headers["editor"]).status_code
        == 200
    )
    assert (
        client.get(f"/api/v1/channels/{ids['channel']}", headers=dept.headers["editor"]).status_code
        == 200
    )
    assert (
        client.get(
            f"/api/v1/publications/{ids['publication']}", headers=dept.headers["editor"]
        ).status_code
        == 200
    )
    renamed = client.patch(
        f"/api/v1/campaigns/{ids['campaign']}",
        json={"name": "Sở sửa"},
        headers=dept.headers["editor"],
    )
    assert renamed.status_code == 200


def test_approvers_approve_within_their_organisation_and_the_department_across_all(client, world):
    units, _ids = world
    a, b, dept = units[UNIT_A], units[UNIT_B], units[DEPARTMENT]

    def submitted(unit):
        made = client.post(
            "/api/v1/content",
            json={"kind": "article", "title": "Lịch hiến máu", "body": "<p>Mời bà con.</p>"},
            headers=unit.headers["editor"],
        ).get_json()["id"]
        client.post(f"/api/v1/content/{made}/submit", headers=unit.headers["editor"])
        return made

    first, second = submitted(a), submitted(a)
    assert (
        client.post(f"/api/v1/content/{first}/approve", headers=b.headers["approver"]).status_code
        == 404
    )
    assert (
        client.post(f"/api/v1/content/{first}/approve", headers=a.headers["approver"]).status_code
        == 200
    )
    assert (
        client.post(
            f"/api/v1/content/{second}/approve", headers=dept.headers["approver"]
        ).status_code
        == 200
    )


def test_a_unit_schedules_only_on_its_own_channels_and_only_its_own_content(client, world):
    units, ids = world
    b = units[UNIT_B]
    own_content = approved_item(client, b, title="Tin của báo")
    own_channel = rss_channel(client, b)
    # Another unit's channel, another unit's content: 404, nothing created.
    onto_theirs = schedule(client, b.headers["editor"], own_content, ids["channel"])
    assert onto_theirs.status_code == 404 and "Channel" in onto_theirs.get_json()["detail"]
    theirs = schedule(client, b.headers["editor"], ids["content"], own_channel)
    assert theirs.status_code == 404 and "Content" in theirs.get_json()["detail"]
    assert client.get("/api/v1/publications", headers=b.headers["editor"]).get_json()["total"] == 0
    assert schedule(client, b.headers["editor"], own_content, own_channel).status_code == 201
