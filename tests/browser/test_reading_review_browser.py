"""The reading warning in a real browser: highlighted for the editor and the approver, and
resolved with one click on "Giữ nguyên như đã viết"."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser


def test_the_approver_sees_the_highlights_and_keeps_the_reading(live, browser_context):
    live.user("bien-tap", "editor", display_name="Lò Thị Mai")
    live.user("lanh-dao", "approver", display_name="Giàng A Páo")

    editor = browser_context().new_page()
    login(editor, "bien-tap")
    editor.goto(live.url + "/content/new?kind=script")
    editor.get_by_label("Tiêu đề", exact=True).fill("Thông báo hiến máu")
    editor.get_by_label("Nội dung", exact=True).fill("Mời bà con đi hiến máu lúc 7h30.")
    editor.get_by_text("Hiệu chỉnh bản đọc trên loa").click()
    editor.get_by_label("Bản đọc trên loa", exact=True).fill(
        "Mời bà con đi hiến máu lúc 7h30 ở BVĐK."
    )
    editor.get_by_role("button", name="Lưu bản nháp").click()
    warning = editor.locator(".reading-review")
    expect(warning.get_by_role("heading")).to_have_text("Bản đọc có 2 chỗ cần xem lại")
    expect(warning.locator("p.reading-text mark")).to_have_text(["7h30", "BVĐK"])
    editor.get_by_role("button", name="Gửi duyệt").click()

    approver = browser_context().new_page()
    login(approver, "lanh-dao")
    approver.goto(live.url + "/approvals")
    warning = approver.locator(".reading-review")
    expect(warning.get_by_role("heading")).to_have_text("Bản đọc có 2 chỗ cần xem lại")
    screenshot(approver, "reading-review-approvals")
    warning.get_by_role("button", name="Giữ nguyên như đã viết").click()
    expect(approver.locator(".reading-review")).to_have_count(0)
    expect(approver.locator(".reading-kept")).to_contain_text("giữ nguyên như đã viết")
