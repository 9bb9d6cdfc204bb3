"""The donor register over HTTP: who may read it (admins of the donor's organisation and the
department's), the repeat-donor filter, validation, erasure and export."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from publisher.audit.models import AuditEvent
from publisher.donors.models import Donation, Donor
from tests.integration.donors_support import (
    DEPARTMENT,
    OTHER_NAME,
    SECRET_NAME,
    UNIT_A,
    UNIT_B,
    add_donor,
    days_ago,
    read_only_headers,
    units,
)

ENDPOINTS = (
    ("GET", "/api/v1/donors"),
    ("POST", "/api/v1/donors"),
    ("GET", "/api/v1/donors/{id}"),
    ("PATCH", "/api/v1/donors/{id}"),
    ("DELETE", "/api/v1/donors/{id}"),
    ("GET", "/api/v1/donors/{id}/export"),
    ("POST", "/api/v1/donors/import"),
)


def _call(client, method, path, headers, donor_id):
    url = path.replace("{id}", str(donor_id))
    if method == "GET":
        return client.get(url, headers=headers)
    if path.endswith("/import"):
        return client.post(
            url, data="ho_ten,ngay_hien\nX,01/01/2024\n", content_type="text/csv", headers=headers
        )
    body = {"full_name": "Ai đó", "donations": []} if method == "POST" else {"position": "x"}
    return client.open(url, method=method, json=body, headers=headers)


def test_a_unit_admin_records_reads_changes_exports_and_erases(app, client, db):
    u = units(app)
    admin = u[UNIT_A].headers["admin"]
    donor_id = add_donor(client, admin)
    got = client.get(f"/api/v1/donors/{donor_id}", headers=admin).get_json()
    assert got["organisation_id"] == u[UNIT_A].org_id  # defaults to the caller's organisation
    assert got["full_name"] == SECRET_NAME and got["total_donations"] == 2

    changed = client.patch(
        f"/api/v1/donors/{donor_id}",
        json={"position": "Trưởng phòng", "add_donations": [{"date": days_ago(5)}]},
        headers=admin,
    )
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["position"] == "Trưởng phòng"
    assert [d["date"] for d in changed.get_json()["donations"]][-1] == days_ago(5)
    replaced = client.patch(
        f"/api/v1/donors/{donor_id}",
        json={"donations": [{"date": days_ago(5), "place": "Bệnh viện tỉnh"}]},
        headers=admin,
    )
    assert replaced.get_json()["donations"] == [
        {"date": days_ago(5), "place": "Bệnh viện tỉnh", "certificate_no": None}
    ]

    export = client.get(f"/api/v1/donors/{donor_id}/export", headers=admin)
    assert export.status_code == 200
    assert export.headers["Content-Disposition"].startswith("attachment;")
    data = export.get_json()
    assert data["full_name"] == SECRET_NAME and data["organisation"]["id"] == u[UNIT_A].org_id
    assert {e["action"] for e in data["audit"]} >= {"create", "read", "update"}

    assert client.delete(f"/api/v1/donors/{donor_id}", headers=admin).status_code == 204
    assert client.get(f"/api/v1/donors/{donor_id}", headers=admin).status_code == 404
    db.expire_all()
    assert db.get(Donor, donor_id) is None
    assert db.scalar(select(func.count()).select_from(Donation)) == 0
    entries = db.scalars(select(AuditEvent).where(AuditEvent.entity_id == donor_id)).all()
    assert {e.action for e in entries} >= {"create", "read", "update", "export", "delete"}
    assert all(SECRET_NAME not in str(e.detail) for e in entries)


def test_the_departments_admins_name_any_organisation_a_unit_admin_only_its_own(app, client):
    u = units(app)
    dept = u[DEPARTMENT].headers["admin"]
    donor_id = add_donor(client, dept, organisation_id=u[UNIT_B].org_id)
    assert client.get(f"/api/v1/donors/{donor_id}", headers=dept).status_code == 200
    assert (
        client.get(f"/api/v1/donors/{donor_id}", headers=u[UNIT_B].headers["admin"]).status_code
        == 200
    )

    unit_admin = u[UNIT_A].headers["admin"]
    body = {"full_name": SECRET_NAME, "donations": []}
    other = client.post(
        "/api/v1/donors", json={**body, "organisation_id": u[UNIT_B].org_id}, headers=unit_admin
    )
    missing = client.post(
        "/api/v1/donors", json={**body, "organisation_id": 999999}, headers=unit_admin
    )
    # Another unit and a missing one are answered alike: nothing is revealed.
    assert other.status_code == missing.status_code == 422
    assert other.get_json() == missing.get_json()
    assert SECRET_NAME not in other.get_data(as_text=True)
    listed = client.get(f"/api/v1/donors?organisation_id={u[UNIT_B].org_id}", headers=unit_admin)
    assert listed.status_code == 422


@pytest.mark.parametrize(
    ("slug", "role"),
    [
        (UNIT_A, "editor"),
        (UNIT_A, "approver"),
        (UNIT_A, "operator"),
        (DEPARTMENT, "editor"),
        (DEPARTMENT, "approver"),
        (UNIT_B, "admin"),
    ],
)
def test_everyone_but_the_right_admins_is_answered_404(app, client, slug, role, caplog):
    caplog.set_level(logging.DEBUG)
    u = units(app)
    donor_id = add_donor(client, u[UNIT_A].headers["admin"])
    headers = u[slug].headers[role]
    for method, path in ENDPOINTS:
        response = _call(client, method, path, headers, donor_id)
        if (slug, role) == (UNIT_B, "admin") and (method, path) in (
            ("GET", "/api/v1/donors"),
            ("POST", "/api/v1/donors"),
            ("POST", "/api/v1/donors/import"),
        ):
            # B's admin works with B's own register: A's donor is not in it.
            assert response.status_code in (200, 201), (method, path)
            assert SECRET_NAME not in response.get_data(as_text=True)
            continue
        assert response.status_code == 404, (method, path, response.status_code)
        assert response.mimetype == "application/problem+json"
        assert SECRET_NAME not in response.get_data(as_text=True)
    # Refused callers changed nothing.
    still = client.get(f"/api/v1/donors/{donor_id}", headers=u[UNIT_A].headers["admin"])
    assert still.get_json()["position"] == "Chuyên viên"
    assert all(SECRET_NAME not in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(("slug", "role"), [(UNIT_A, "editor"), (DEPARTMENT, "approver")])
def test_read_only_tokens_of_non_admins_get_404(app, client, slug, role):
    u = units(app)
    donor_id = add_donor(client, u[UNIT_A].headers["admin"])
    headers = read_only_headers(app, slug, role)
    for path in (
        "/api/v1/donors",
        f"/api/v1/donors/{donor_id}",
        f"/api/v1/donors/{donor_id}/export",
    ):
        assert client.get(path, headers=headers).status_code == 404, path
    # A read-only token's writes stop at the token (403 "read-only") before any donor is looked up.
    refused = client.delete(f"/api/v1/donors/{donor_id}", headers=headers)
    assert refused.status_code == 403 and SECRET_NAME not in refused.get_data(as_text=True)
    assert (
        client.get(f"/api/v1/donors/{donor_id}", headers=u[UNIT_A].headers["admin"]).status_code
        == 200
    )


def test_anonymous_callers_are_asked_to_authenticate(app, client):
    units(app)
    for method, path in ENDPOINTS:
        assert _call(client, method, path, {}, 1).status_code == 401, (method, path)


def test_repeat_donors_in_a_period(app, client):
    u = units(app)
    admin = u[UNIT_A].headers["admin"]
    first, last = date.today() - timedelta(days=300), date.today() - timedelta(days=10)

    def add(name, days):
        donations = [{"date": d.isoformat()} for d in days]
        return add_donor(client, admin, name=name, donations=donations)

    three = add("Bùi Văn Ba", [first, first + timedelta(days=100), last])  # bounds inclusive
    two_b = add("Cầm Thị Hai", [first + timedelta(days=1), last - timedelta(days=1)])
    two_a = add("Ánh Hai", [first + timedelta(days=2), last - timedelta(days=2)])
    outside = add("Đỗ Ngoài", [first - timedelta(days=1), last + timedelta(days=1), last])
    add("Một Lần", [first + timedelta(days=5)])
    listed = client.get(
        f"/api/v1/donors?min_donations=2&from={first}&to={last}", headers=admin
    ).get_json()
    assert [i["id"] for i in listed["items"]] == [three, two_a, two_b]
    assert [i["donations_in_period"] for i in listed["items"]] == [3, 2, 2]
    assert listed["total"] == 3
    everyone = client.get(f"/api/v1/donors?from={first}&to={last}", headers=admin).get_json()
    by_id = {i["id"]: i for i in everyone["items"]}
    assert by_id[outside]["donations_in_period"] == 1 and by_id[outside]["total_donations"] == 3
    assert everyone["total"] == 5
    paged = client.get("/api/v1/donors?per_page=2&page=3", headers=admin).get_json()
    assert len(paged["items"]) == 1 and paged["total"] == 5


def test_bad_input_is_refused_with_fields_never_names(app, client, caplog):
    caplog.set_level(logging.DEBUG)
    u = units(app)
    admin = u[UNIT_A].headers["admin"]
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    cases = [
        ({"full_name": SECRET_NAME, "donations": [{"date": tomorrow}]}, "donations.0.date"),
        (
            {"full_name": SECRET_NAME, "donations": [{"date": days_ago(3)}, {"date": days_ago(3)}]},
            "donations.1.date",
        ),
        ({"full_name": SECRET_NAME * 20}, "full_name"),
        ({"full_name": "   "}, "full_name"),
        ({"full_name": SECRET_NAME, "donations": [{"date": "31/02/2024"}]}, "donations.0.date"),
        ({"full_name": SECRET_NAME, "position": SECRET_NAME * 20}, "position"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/donors", json=body, headers=admin)
        assert response.status_code == 422, body
        assert response.mimetype == "application/problem+json"
        assert field in response.get_json()["errors"], response.get_json()
        assert SECRET_NAME not in response.get_data(as_text=True)
    donor_id = add_donor(client, admin)
    duplicate = client.patch(
        f"/api/v1/donors/{donor_id}",
        json={"add_donations": [{"date": days_ago(30)}]},
        headers=admin,
    )
    assert duplicate.status_code == 422
    assert "add_donations.0.date" in duplicate.get_json()["errors"]
    backwards = client.get(f"/api/v1/donors?from={days_ago(1)}&to={days_ago(9)}", headers=admin)
    assert backwards.status_code == 422 and "from" in backwards.get_json()["errors"]
    assert (
        client.get(f"/api/v1/donors/{donor_id}", headers=admin).get_json()["total_donations"] == 2
    )
    assert all(SECRET_NAME not in r.getMessage() for r in caplog.records)


def test_the_department_sees_every_unit_and_a_unit_only_its_own(app, client):
    u = units(app)
    a = add_donor(client, u[UNIT_A].headers["admin"])
    b = add_donor(client, u[UNIT_B].headers["admin"], name=OTHER_NAME)
    seen_by_dept = client.get("/api/v1/donors", headers=u[DEPARTMENT].headers["admin"]).get_json()
    assert {i["id"] for i in seen_by_dept["items"]} == {a, b}
    seen_by_a = client.get("/api/v1/donors", headers=u[UNIT_A].headers["admin"]).get_json()
    assert [i["id"] for i in seen_by_a["items"]] == [a]
    assert OTHER_NAME not in str(seen_by_a)
