"""The donor register in Chromium: a unit's admin checks a CSV (row errors, no names), fixes
it, imports it, filters the repeat donors and downloads the commendation proposal; erasing
asks for confirmation."""

from __future__ import annotations

import pytest
from docx import Document

from tests.browser.conftest import PASSWORD, login, screenshot
from tests.browser.test_pages import UNLABELLED

pytestmark = pytest.mark.browser

NAME = "Lò Thị Mai Hiến"
CSV_WITH_ERROR = (
    "Họ và tên,Chức vụ,Ngày hiến,Nơi hiến,Số chứng nhận\n"
    f"{NAME},Chuyên viên,12/03/2024,Bệnh viện tỉnh,CN-1\n"
    f"{NAME},Chuyên viên,31/02/2024,Nhà văn hoá,\n"
    "Vàng A Dính,Lái xe,05/05/2024,,\n"
)


def test_import_check_fix_import_and_download_the_commendation(live, browser_context):
    from publisher.auth.services import create_user
    from publisher.db import db
    from publisher.organisations.service import seed_organisations

    with live.app.app_context():
        seed_organisations(db.session)
        create_user(db.session, "xa-quan-tri", "admin", password=PASSWORD, organisation="xa-03408")
        create_user(db.session, "xa-bien-tap", "editor", password=PASSWORD, organisation="xa-03408")
        db.session.commit()
    page = browser_context().new_page()
    login(page, "xa-quan-tri")
    page.get_by_role("link", name="Người hiến máu").click()
    page.get_by_role("link", name="Nhập từ tệp CSV").click()
    assert page.evaluate(UNLABELLED) == []
    page.get_by_label("Hoặc dán nội dung CSV").fill(CSV_WITH_ERROR)
    page.get_by_role("button", name="Kiểm tra").click()
    errors = page.locator("#row-errors")
    assert errors.inner_text().strip() == "Dòng 3, cột ngay_hien: ngày không hợp lệ"
    assert NAME not in errors.inner_text()
    screenshot(page, "donors-import-errors")

    box = page.get_by_label("Hoặc dán nội dung CSV")
    box.fill(box.input_value().replace("31/02/2024", "28/02/2024"))
    page.get_by_role("button", name="Kiểm tra").click()
    assert "Không có lỗi" in page.locator("#result-title + p").inner_text()
    page.get_by_role("button", name="Nhập").click()
    page.wait_for_url("**/donors")
    assert "Đã nhập 3 lần hiến" in page.locator(".notice").first.inner_text()

    page.get_by_label("Từ ngày").fill("2024-01-01")
    page.get_by_label("Đến ngày").fill("2024-12-31")
    page.get_by_label("Số lần tối thiểu").fill("2")
    page.get_by_role("button", name="Lọc").click()
    rows = page.locator("table tbody tr")
    assert rows.count() == 1 and NAME in rows.first.inner_text()
    screenshot(page, "donors-list")
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải danh sách đề nghị biểu dương (DOCX)").click()
    document = Document(download.value.path())
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    assert NAME in cells and "Vàng A Dính" not in cells

    rows.first.get_by_role("link").click()
    assert page.evaluate(UNLABELLED) == []
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Xoá dữ liệu").click()
    assert page.get_by_label("Họ và tên").input_value() == NAME  # dismissed: nothing erased
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Xoá dữ liệu").click()
    page.wait_for_url("**/donors")
    assert "Đã xoá toàn bộ dữ liệu" in page.locator(".notice").first.inner_text()
    page.get_by_role("link", name="Nhật ký truy cập").click()
    log = page.locator("table").inner_text()
    assert "Xoá" in log and "Nhập tệp" in log and NAME not in log

    editor = browser_context().new_page()
    login(editor, "xa-bien-tap")
    assert editor.get_by_role("link", name="Người hiến máu").count() == 0
    assert editor.goto("/donors").status == 404
