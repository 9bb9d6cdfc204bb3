"""The results report page in Chromium: presets move the period, the charts are drawn,
every field is labelled, and the buttons download a DOCX and an XLSX that open."""

from __future__ import annotations

import io

import pytest
from docx import Document
from openpyxl import load_workbook

from tests.browser.conftest import login, screenshot
from tests.browser.test_pages import UNLABELLED
from tests.integration.reports_support import build_month

pytestmark = pytest.mark.browser


def test_report_page_presets_charts_and_downloads(live, browser_context):
    live.user("quan-tri", "admin", display_name="Quản trị viên")
    from publisher.db import db

    with live.app.app_context():
        build_month(db.session)
        db.session.commit()
    page = browser_context().new_page()
    login(page, "quan-tri")
    page.goto("/reports/results?from=2025-11-01&to=2025-11-30")
    assert page.evaluate(UNLABELLED) == []
    assert page.locator("svg.chart__svg").count() == 3
    assert page.locator('[data-key="published"]').inner_text() == "7"
    screenshot(page, "results-report")

    with page.expect_download() as docx_download:
        page.get_by_role("link", name="Tải báo cáo (.docx)").click()
    document = Document(docx_download.value.path())
    assert any(p.text == "BÁO CÁO" for p in document.paragraphs)
    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name="Tải bảng số liệu (.xlsx)").click()
    workbook = load_workbook(io.BytesIO(xlsx_download.value.path().read_bytes()))
    summary = {
        row[0]: row[1] for row in workbook["Tổng hợp"].iter_rows(min_row=2, values_only=True)
    }
    assert summary["Tin đã đăng trên các kênh"] == 7

    page.get_by_role("link", name="Chiến dịch: Chủ nhật Đỏ 2025").click()
    assert page.locator("#from").input_value() == "2025-11-01"
    assert page.locator('[data-key="published"]').inner_text() == "3"
    page.get_by_role("link", name="Năm nay").click()
    assert page.locator("#from").input_value().endswith("-01-01")
