"""Importing donations from CSV: the dry run's row errors (in Vietnamese, never a name),
all rows or none, donors matched by name and position, duplicates reported not doubled."""

from __future__ import annotations

import io
import logging

from sqlalchemy import func, select

from publisher.donors.models import Donation, Donor
from tests.integration.donors_support import SECRET_NAME, UNIT_A, UNIT_B, add_donor, units

GOOD = (
    "ho_ten,chuc_vu,ngay_hien,noi_hien,so_chung_nhan\n"
    f"{SECRET_NAME},Chuyên viên,12/03/2024,Bệnh viện tỉnh,CN-001\n"
    f"{SECRET_NAME},Chuyên viên,2024-09-01,Nhà văn hoá,\n"
    "Vàng A Dính,Lái xe,01/02/2025,,\n"
)


def _csv(client, headers, text, dry_run=False, encoding="utf-8"):
    path = "/api/v1/donors/import" + ("?dry_run=true" if dry_run else "")
    return client.post(path, data=text.encode(encoding), content_type="text/csv", headers=headers)


def _count(db, model):
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


def test_dry_run_lists_every_row_error_and_the_real_import_writes_nothing(app, client, db, caplog):
    caplog.set_level(logging.DEBUG)
    u = units(app)
    admin = u[UNIT_A].headers["admin"]
    bad = (
        "ho_ten,chuc_vu,ngay_hien,noi_hien,so_chung_nhan\n"
        f"{SECRET_NAME},Chuyên viên,12/03/2024,,\n"
        ",Chuyên viên,12/03/2024,,\n"
        f"{SECRET_NAME},Chuyên viên,31/02/2024,,\n"
        f"{SECRET_NAME},Chuyên viên,01/01/2099,,\n"
        f"{SECRET_NAME},Chuyên viên\n"
    )
    checked = _csv(client, admin, bad, dry_run=True)
    assert checked.status_code == 200
    result = checked.get_json()
    assert result["valid"] is False
    messages = [e["message"] for e in result["errors"]]
    assert messages == [
        "Dòng 3, cột ho_ten: không được để trống",
        "Dòng 4, cột ngay_hien: ngày không hợp lệ",
        "Dòng 5, cột ngay_hien: ngày hiến sau ngày hôm nay",
        "Dòng 6: số cột không khớp với dòng tiêu đề",
    ]
    real = _csv(client, admin, bad)
    assert real.status_code == 422 and real.mimetype == "application/problem+json"
    assert set(real.get_json()["errors"].values()) == set(messages)
    for response in (checked, real):
        errors_part = str(response.get_json().get("errors"))
        assert SECRET_NAME not in errors_part
    assert SECRET_NAME not in real.get_data(as_text=True)
    assert _count(db, Donor) == 0 and _count(db, Donation) == 0
    assert all(SECRET_NAME not in r.getMessage() for r in caplog.records)


def test_import_groups_rows_into_donors_matches_existing_and_skips_duplicates(app, client, db):
    u = units(app)
    admin = u[UNIT_A].headers["admin"]
    existing = add_donor(
        client, admin, name="Vàng A Dính", position="Lái xe", donations=[{"date": "2025-02-01"}]
    )
    dry = _csv(client, admin, GOOD, dry_run=True).get_json()
    assert dry["valid"] and dry["donors_created"] == 1 and dry["donors_matched"] == 0
    assert dry["donations_created"] == 2 and len(dry["duplicates"]) == 1
    assert dry["duplicates"][0]["row"] == 4
    assert _count(db, Donor) == 1  # the dry run wrote nothing

    done = _csv(client, admin, GOOD)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["donations_created"] == 2
    donors = client.get("/api/v1/donors", headers=admin).get_json()["items"]
    by_name = {d["full_name"]: d for d in donors}
    assert by_name[SECRET_NAME]["total_donations"] == 2
    assert by_name[SECRET_NAME]["donations"][0]["certificate_no"] == "CN-001"
    matched = by_name["Vàng A Dính"]
    assert matched["id"] == existing and matched["total_donations"] == 1
    # The same file again doubles nothing: every row is a duplicate now.
    again = _csv(client, admin, GOOD).get_json()
    assert again["donations_created"] == 0 and len(again["duplicates"]) == 3
    assert _count(db, Donation) == 3
    # Another unit's register is separate: the same names there are new donors.
    other = _csv(client, u[UNIT_B].headers["admin"], GOOD).get_json()
    assert other["donors_created"] == 2 and other["donations_created"] == 3


def test_accented_headers_bom_semicolons_and_multipart(app, client):
    u = units(app)
    admin = u[UNIT_A].headers["admin"]
    accented = "\ufeffHọ và tên;Chức vụ;Ngày hiến;Nơi hiến;Số chứng nhận\nLò Văn Tư;;05/05/2024;;\n"
    result = _csv(client, admin, accented, dry_run=True).get_json()
    assert result["valid"] and result["donations_created"] == 1
    upload = client.post(
        "/api/v1/donors/import",
        data={"file": (io.BytesIO(GOOD.encode()), "nguoi-hien.csv")},
        content_type="multipart/form-data",
        headers=admin,
    )
    assert upload.status_code == 200 and upload.get_json()["donations_created"] == 3


def test_unreadable_files_are_refused_clearly(app, client):
    u = units(app)
    admin = u[UNIT_A].headers["admin"]
    cases = [
        ("ho_ten,ngay_hien\n".encode("utf-16"), "UTF-8"),
        (b"ten,ngay\nA,01/01/2024\n", "Thiếu cột ho_ten, ngay_hien"),
        (b"ho_ten,ngay_hien\n", "không có dòng dữ liệu"),
        (b"ho_ten,ngay_hien\n" + b"A,01/01/2024\n" * 6000, "quá nhiều dòng"),
        (b"ho_ten,ngay_hien\n" + b"A" * 1_100_000, "quá lớn"),
    ]
    for data, words in cases:
        response = client.post(
            "/api/v1/donors/import", data=data, content_type="text/csv", headers=admin
        )
        assert response.status_code in (413, 422), words
        assert words in response.get_json()["detail"], response.get_json()
    wrong_type = client.post(
        "/api/v1/donors/import", data="x", content_type="text/plain", headers=admin
    )
    assert wrong_type.status_code == 415
