"""GET /api/v1/audit: every read and change of a donor has its entry; the department's admins
read all of it, a unit's admins their own organisation's entries, everyone else gets 404."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from publisher.audit import record
from publisher.auth.models import User
from publisher.db import db as database
from publisher.times import local_date
from tests.integration.donors_support import (
    DEPARTMENT,
    OTHER_NAME,
    SECRET_NAME,
    UNIT_A,
    UNIT_B,
    add_donor,
    read_only_headers,
    units,
)


def _entries(client, headers, query=""):
    response = client.get(f"/api/v1/audit{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def test_every_read_and_change_is_logged_without_personal_data(app, client):
    u = units(app)
    admin = u[UNIT_A].headers["admin"]
    donor_id = add_donor(client, admin)
    client.get("/api/v1/donors", headers=admin)
    client.get(f"/api/v1/donors/{donor_id}", headers=admin)
    client.patch(f"/api/v1/donors/{donor_id}", json={"position": "Phó phòng"}, headers=admin)
    client.get(f"/api/v1/donors/{donor_id}/export", headers=admin)
    client.post(
        "/api/v1/donors/import",
        data="ho_ten,ngay_hien\nLò Văn Tư,01/02/2024\n",
        content_type="text/csv",
        headers=admin,
    )
    client.delete(f"/api/v1/donors/{donor_id}", headers=admin)
    entries = _entries(client, admin)
    actions = [e["action"] for e in reversed(entries)]
    assert actions == ["create", "list", "read", "update", "export", "import", "delete"]
    for entry in entries:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", entry["at"])
        assert entry["actor"].startswith(f"{UNIT_A}-admin")
        assert entry["organisation_id"] == u[UNIT_A].org_id and entry["entity"] == "donor"
    listed = next(e for e in entries if e["action"] == "list")
    assert listed["detail"]["ids"] == [donor_id] and listed["entity_id"] is None
    assert next(e for e in entries if e["action"] == "update")["detail"]["fields"] == ["position"]
    whole = client.get("/api/v1/audit", headers=admin).get_data(as_text=True)
    assert SECRET_NAME not in whole and "Lò Văn Tư" not in whole
    # Filters: one row, one action, a period.
    about = _entries(client, admin, f"?entity=donor&entity_id={donor_id}")
    assert {e["entity_id"] for e in about} == {donor_id} and len(about) == 5
    assert [e["action"] for e in _entries(client, admin, "?action=export")] == ["export"]
    today = local_date(datetime.now(UTC))  # the filters are local days, as the page shows
    assert len(_entries(client, admin, f"?from={today - timedelta(days=1)}&to={today}")) == 7
    assert _entries(client, admin, f"?from={today + timedelta(days=2)}") == []
    backwards = client.get(
        f"/api/v1/audit?from={today}&to={today - timedelta(days=3)}", headers=admin
    )
    assert backwards.status_code == 422


def test_a_unit_sees_its_own_entries_and_the_department_all(app, client):
    u = units(app)
    a_id = add_donor(client, u[UNIT_A].headers["admin"])
    b_id = add_donor(client, u[UNIT_B].headers["admin"], name=OTHER_NAME)
    dept = u[DEPARTMENT].headers["admin"]
    # The department reads A's register: A's admins see that it did.
    client.get(f"/api/v1/donors?organisation_id={u[UNIT_A].org_id}", headers=dept)
    client.get(f"/api/v1/donors/{a_id}", headers=dept)
    seen_by_a = _entries(client, u[UNIT_A].headers["admin"])
    assert {e["organisation_id"] for e in seen_by_a} == {u[UNIT_A].org_id}
    assert b_id not in {e["entity_id"] for e in seen_by_a}
    dept_reads = [e for e in seen_by_a if e["actor"].startswith(DEPARTMENT)]
    assert {e["action"] for e in dept_reads} == {"list", "read"}
    seen_by_b = _entries(client, u[UNIT_B].headers["admin"], f"?entity_id={a_id}")
    assert seen_by_b == []
    everything = _entries(client, dept)
    assert {e["organisation_id"] for e in everything} == {u[UNIT_A].org_id, u[UNIT_B].org_id}


def test_consent_entries_are_listed_too(app, client):
    u = units(app)
    with app.app_context():
        actor = database.session.query(User).filter(User.username.like(f"{UNIT_A}-editor%")).one()
        record(database.session, actor, "create", "consent", 7, u[UNIT_A].org_id, {"scope": 2})
        database.session.commit()
    entries = _entries(client, u[UNIT_A].headers["admin"], "?entity=consent")
    assert [(e["entity"], e["entity_id"], e["action"]) for e in entries] == [
        ("consent", 7, "create")
    ]


@pytest.mark.parametrize(
    ("slug", "role"),
    [(UNIT_A, "editor"), (UNIT_A, "approver"), (UNIT_A, "operator"), (DEPARTMENT, "editor")],
)
def test_everyone_else_is_answered_404(app, client, slug, role):
    u = units(app)
    add_donor(client, u[UNIT_A].headers["admin"])
    response = client.get("/api/v1/audit", headers=u[slug].headers[role])
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    ro = client.get("/api/v1/audit", headers=read_only_headers(app, slug, role))
    assert ro.status_code == 404
    assert client.get("/api/v1/audit").status_code == 401
