"""The donor register's pages in Vietnamese, the commendation DOCX and the audit log page:
admins only (everyone else gets the 404 page), names never in errors."""

from __future__ import annotations

import io
import logging
import re
from datetime import date, timedelta

import pytest
from docx import Document
from sqlalchemy import select

from publisher.audit.models import AuditEvent
from publisher.db import db as database
from tests.integration.donors_support import (
    DEPARTMENT,
    OTHER_NAME,
    SECRET_NAME,
    UNIT_A,
    UNIT_B,
    add_donor,
    units,
)
from tests.integration.ui_support import PASSWORD, Person

PAGES = (
    "/donors",
    "/donors/new",
    "/donors/{id}",
    "/donors/{id}/export",
    "/donors/import",
    "/reports/commendations.docx",
    "/audit",
)


def _signed_in(app, username, role, org):
    from publisher.auth.services import create_user

    with app.app_context():
        create_user(
            database.session,
            username,
            role,
            password=PASSWORD,
            organisation=org,
            commune_code="03408" if role == "operator" else None,
        )
        database.session.commit()
    person = Person(app.test_client())
    assert person.login(username).status_code == 302
    return person


def test_an_admin_keeps_the_register_through_the_pages(app, client, caplog):
    caplog.set_level(logging.DEBUG)
    u = units(app)
    admin = _signed_in(app, "xa-quan-tri", "admin", UNIT_A)
    home = admin.get("/donors").get_data(as_text=True)
    assert "Người hiến máu" in home and "Nhật ký truy cập" in home

    future = (date.today() + timedelta(days=3)).isoformat()
    refused = admin.post(
        "/donors/new",
        {
            "full_name": SECRET_NAME,
            "donation_date": [future, "2024-01-05"],
            "donation_place": ["", ""],
        },
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Lần hiến thứ 1: Ngày hiến không được sau hôm nay." in page
    # The name is in its own input for fixing, never in a message.
    errors = " ".join(re.findall(r'class="field__error"[^>]*>(.*?)</', page, re.S))
    assert SECRET_NAME not in errors

    created = admin.post(
        "/donors/new",
        {
            "full_name": SECRET_NAME,
            "position": "Kế toán",
            "donation_date": ["2024-01-05", "2025-03-01", ""],
            "donation_place": ["Trạm y tế", "", ""],
            "donation_certificate": ["", "", ""],
        },
    )
    assert created.status_code == 302, created.get_data(as_text=True)[:400]
    donor_id = int(re.search(r"/donors/(\d+)", created.headers["Location"]).group(1))
    edit = admin.get(f"/donors/{donor_id}").get_data(as_text=True)
    assert SECRET_NAME in edit and "Trạm y tế" in edit and "Xoá dữ liệu" in edit
    saved = admin.post(
        f"/donors/{donor_id}",
        {"full_name": SECRET_NAME, "position": "Kế toán trưởng", "donation_date": ["2024-01-05"]},
    )
    assert saved.status_code == 302
    listed = admin.get("/donors?min_donations=1").get_data(as_text=True)
    assert "Kế toán trưởng" in listed
    exported = admin.get(f"/donors/{donor_id}/export")
    assert exported.headers["Content-Disposition"].startswith("attachment")
    assert exported.get_json()["position"] == "Kế toán trưởng"
    log = admin.get("/audit").get_data(as_text=True)
    assert "Xuất dữ liệu" in log and SECRET_NAME not in log

    assert admin.post(f"/donors/{donor_id}/delete").status_code == 302
    assert admin.get(f"/donors/{donor_id}").status_code == 404
    assert "Xoá" in admin.get(f"/audit?entity_id={donor_id}").get_data(as_text=True)
    assert all(SECRET_NAME not in r.getMessage() for r in caplog.records)
    assert u  # the units exist (the admin belongs to one)


@pytest.mark.parametrize(
    ("org", "role"),
    [(UNIT_A, "editor"), (UNIT_A, "approver"), (DEPARTMENT, "editor"), (UNIT_B, "admin")],
)
def test_everyone_else_gets_the_404_page_and_no_link(app, client, org, role):
    u = units(app)
    donor_id = add_donor(client, u[UNIT_A].headers["admin"])
    person = _signed_in(app, f"nguoi-{role}-{org}", role, org)
    for path in PAGES:
        url = path.replace("{id}", str(donor_id))
        response = person.get(url)
        if role == "admin" and "{id}" not in path and "commendations" not in path:
            assert response.status_code == 200, url  # B's own register and log
            assert SECRET_NAME not in response.get_data(as_text=True)
            continue
        if role == "admin" and "commendations" in path:
            # B's admin may have B's document, never A's.
            url = f"{path}?organisation_id={u[UNIT_A].org_id}"
            response = person.get(url)
        assert response.status_code == 404, (url, response.status_code)
        assert SECRET_NAME not in response.get_data(as_text=True)
    if role == "admin":
        # Naming A's organisation in B's filters shows an error, never A's register.
        filtered = person.get(f"/donors?organisation_id={u[UNIT_A].org_id}")
        assert SECRET_NAME not in filtered.get_data(as_text=True)
        assert "Không có đơn vị này" in filtered.get_data(as_text=True)
    forged = person.post(f"/donors/{donor_id}/delete")
    assert forged.status_code == 404
    assert (
        client.get(f"/api/v1/donors/{donor_id}", headers=u[UNIT_A].headers["admin"]).status_code
        == 200
    )
    nav = person.get("/").get_data(as_text=True)
    if role != "admin":
        assert "Người hiến máu" not in nav and "Nhật ký truy cập" not in nav


def test_signed_out_people_are_sent_to_the_login_page(app, client):
    units(app)
    for path in PAGES:
        response = client.get(path.replace("{id}", "1"), headers={"Accept": "text/html"})
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


def test_the_commendation_lists_the_repeat_donors_of_the_period_only(app, client):
    u = units(app)
    api = u[UNIT_A].headers["admin"]
    first, last = date(2024, 1, 1), date(2024, 12, 31)
    often = add_donor(
        client,
        api,
        name="Hoàng Văn Nhiều",
        position="Văn thư",
        donations=[{"date": "2024-01-01"}, {"date": "2024-06-14"}, {"date": "2024-12-31"}],
    )
    twice = add_donor(
        client,
        api,
        name="Lường Thị Hai",
        donations=[{"date": "2024-03-01"}, {"date": "2024-09-01"}],
    )
    add_donor(client, api, name="Quàng Văn Một", donations=[{"date": "2024-05-01"}])
    add_donor(
        client,
        api,
        name="Tòng Văn Ngoài",
        donations=[{"date": "2023-12-31"}, {"date": "2025-01-01"}],
    )
    add_donor(
        client,
        u[UNIT_B].headers["admin"],
        name=OTHER_NAME,
        donations=[{"date": "2024-02-02"}, {"date": "2024-03-03"}],
    )
    admin = _signed_in(app, "xa-quan-tri-2", "admin", UNIT_A)
    response = admin.get(f"/reports/commendations.docx?from={first}&to={last}&min_donations=2")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Content-Disposition"].startswith("attachment")
    document = Document(io.BytesIO(response.data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert (
        "TỜ TRÌNH" in text
        and "đề nghị biểu dương" in text
        and "DANH SÁCH ĐỀ NGHỊ BIỂU DƯƠNG" in text
    )
    list_table = document.tables[1]
    header = [c.text for c in list_table.rows[0].cells]
    assert header == ["STT", "Họ và tên", "Chức vụ", "Số lần hiến trong kỳ", "Lần hiến gần nhất"]
    rows = [[c.text for c in r.cells] for r in list_table.rows[1:]]
    assert rows == [
        ["1", "Hoàng Văn Nhiều", "Văn thư", "3", "31/12/2024"],
        ["2", "Lường Thị Hai", "Chuyên viên", "2", "01/09/2024"],
    ]
    whole = text + " ".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    for absent in ("Quàng Văn Một", "Tòng Văn Ngoài", OTHER_NAME):
        assert absent not in whole
    assert "Nơi nhận" in whole  # the signature block
    with app.app_context():
        from publisher.organisations.models import Organisation

        unit_name = database.session.get(Organisation, u[UNIT_A].org_id).name
    # Issued by the unit itself (it has no letterhead settings of its own yet), as a tờ trình.
    assert unit_name.upper() in document.tables[0].rows[0].cells[0].text
    assert "/TTr" in document.tables[0].rows[1].cells[0].text
    with app.app_context():
        entry = database.session.scalars(
            select(AuditEvent).where(
                AuditEvent.detail["document"].as_string() == "commendations.docx"
            )
        ).one()
        assert entry.detail["count"] == 2 and entry.detail["ids"] == [often, twice]
        assert "Hoàng" not in str(entry.detail)
    # The department's admins choose the organisation; a bad period is refused in Vietnamese.
    dept = _signed_in(app, "so-quan-tri", "admin", DEPARTMENT)
    ok = dept.get(f"/reports/commendations.docx?organisation_id={u[UNIT_A].org_id}&min_donations=2")
    assert ok.status_code == 200
    backwards = dept.get(
        f"/reports/commendations.docx?organisation_id={u[UNIT_A].org_id}&from=2024-05-01&to=2024-01-01"
    )
    assert backwards.status_code == 302
    assert "Từ ngày phải trước" in dept.get(backwards.headers["Location"]).get_data(as_text=True)


def test_the_import_page_checks_then_imports(app, client):
    units(app)
    admin = _signed_in(app, "xa-quan-tri-3", "admin", UNIT_A)
    bad = (
        "ho_ten,chuc_vu,ngay_hien\n"
        f"{SECRET_NAME},Chuyên viên,01/01/2024\n"
        f"{SECRET_NAME},Chuyên viên,32/01/2024\n"
    )
    checked = admin.post("/donors/import", {"csv": bad, "action": "check"})
    page = checked.get_data(as_text=True)
    assert checked.status_code == 200 and "Dòng 3, cột ngay_hien: ngày không hợp lệ" in page
    errors = re.search(r'id="row-errors">(.*?)</ul>', page, re.S).group(1)
    assert SECRET_NAME not in errors
    refused = admin.post("/donors/import", {"csv": bad, "action": "import"})
    assert refused.status_code == 422 and "chưa nhập dòng nào" in refused.get_data(as_text=True)
    fixed = bad.replace("32/01/2024", "02/01/2024")
    done = admin.post("/donors/import", {"csv": fixed, "action": "import"})
    assert done.status_code == 302
    assert "Đã nhập 2 lần hiến" in admin.get("/donors").get_data(as_text=True)


def test_a_nul_character_in_a_form_is_dropped_not_a_server_error(app, client):
    units(app)
    admin = _signed_in(app, "xa-quan-tri-4", "admin", UNIT_A)
    created = admin.post(
        "/donors/new",
        {"full_name": "Lò\x00 Văn Năm", "position": "x\x00", "donation_date": ["2024-02-02"]},
    )
    assert created.status_code == 302, created.get_data(as_text=True)[:300]
    assert "Lò Văn Năm" in admin.get(created.headers["Location"]).get_data(as_text=True)
