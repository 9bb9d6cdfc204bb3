"""A donor's consent with its signed PDF, a profile written on it, and scheduling refused on a
channel kind the consent does not cover. Driven through the pages only, in headless Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.browser.support import just_now, local_input, webhook_channel
from tests.integration.consents_support import pdf_bytes

pytestmark = pytest.mark.browser

PERSON = "Nguyễn Thị Hường"
TITLE = "Tấm gương: chị Hường và 30 lần hiến máu"


def rss_channel(app) -> int:
    from publisher.db import db
    from publisher.delivery.channels import create_channel

    with app.app_context():
        channel = create_channel(
            db.session,
            kind="rss",
            slug="cong-tinh",
            name="Cổng tỉnh",
            settings={"title": "Tin hiến máu", "description": "Tin"},
            secret_key=app.config["SETTINGS"].SECRET_KEY,
        )
        db.session.commit()
        return channel.id


def test_record_consent_write_profile_scheduling_refused_off_scope(live, browser_context, tmp_path):
    live.user("bien-tap", "editor", display_name="Lò Thị Mai")
    live.user("lanh-dao", "approver", display_name="Giàng A Páo")
    webhook_channel(live.app, "http://127.0.0.1:9/hook")
    rss_channel(live.app)
    form_pdf = tmp_path / "giay-dong-y.pdf"
    form_pdf.write_bytes(pdf_bytes(pages=2))

    # The editor records the consent from the navigation, with the signed form.
    editor = browser_context().new_page()
    login(editor, "bien-tap")
    editor.get_by_role("link", name="Giấy đồng ý").click()
    expect(editor.get_by_role("heading", level=1)).to_have_text("Giấy đồng ý nêu gương")
    editor.get_by_role("link", name="Ghi nhận đồng ý").click()
    editor.get_by_label("Họ tên người đồng ý").fill(PERSON)
    editor.get_by_label("Xã, phường").select_option(label="phường Tân Phong")
    editor.get_by_label("RSS cho cổng thông tin").check()
    editor.get_by_label("Ngày ký").fill(just_now().date().isoformat())
    editor.locator("#file").set_input_files(str(form_pdf))
    screenshot(editor, "consent-01-new")
    editor.get_by_role("button", name="Ghi nhận").click()
    expect(editor.locator(".notice--success")).to_contain_text("Đã ghi nhận giấy đồng ý")
    expect(editor.get_by_role("heading", level=1)).to_contain_text(PERSON)
    expect(editor.get_by_role("link", name=re.compile("Tải bản ký"))).to_contain_text("2 trang")
    screenshot(editor, "consent-02-detail")

    # Listed per person, marks or not.
    editor.get_by_role("link", name="Quay lại danh sách").click()
    editor.get_by_label("Tìm theo người").fill("huong")
    editor.get_by_role("button", name="Lọc").click()
    expect(editor.locator("table tbody tr")).to_have_count(1)

    # Writes a profile on that consent.
    editor.goto("/content/new")
    editor.get_by_label("Tấm gương").check()
    editor.get_by_label("Tiêu đề", exact=True).fill(TITLE)
    editor.get_by_label("Nội dung", exact=True).fill("Chị Hường đã hiến máu tình nguyện 30 lần.")
    editor.get_by_label("Họ tên", exact=True).fill(PERSON)
    editor.get_by_label("Giấy đồng ý", exact=True).select_option(index=1)
    screenshot(editor, "consent-03-profile")
    editor.get_by_role("button", name="Lưu bản nháp").click()
    expect(editor.get_by_role("heading", level=1)).to_have_text(TITLE)
    content_url = editor.url
    editor.get_by_role("button", name="Gửi duyệt").click()

    # The approver sees what the consent allows, and approves.
    approver = browser_context().new_page()
    login(approver, "lanh-dao")
    approver.goto("/approvals")
    review = approver.locator("article.review", has_text=TITLE)
    expect(review.locator(".consent-terms")).to_contain_text("RSS cho cổng thông tin")
    screenshot(approver, "consent-04-approval")
    review.get_by_role("button", name="Duyệt").click()
    expect(approver.locator(".notice--success")).to_contain_text("Đã duyệt")

    # Scheduling on the webhook (not in the consent's scope) is refused, in Vietnamese.
    editor.goto(content_url)
    editor.get_by_label("Kênh", exact=True).select_option(
        label="Cổng thông tin đối tác — Webhook (JSON có chữ ký)"
    )
    editor.get_by_label("Thời điểm đăng").fill(local_input(just_now()))
    editor.get_by_role("button", name="Lên lịch").click()
    refusal = editor.locator(".notice--error")
    expect(refusal).to_contain_text(
        "Giấy đồng ý không cho phép đăng trên kênh loại “Webhook (JSON có chữ ký)”"
    )
    expect(refusal).not_to_contain_text(PERSON)
    screenshot(editor, "consent-05-refused")

    # On the portal's RSS, which it covers, it is scheduled.
    editor.goto(content_url)
    editor.get_by_label("Kênh", exact=True).select_option(
        label="Cổng tỉnh — RSS cho cổng thông tin"
    )
    editor.get_by_label("Thời điểm đăng").fill(local_input(just_now()))
    editor.get_by_role("button", name="Lên lịch").click()
    expect(editor.locator(".notice--success")).to_contain_text("Đã lên lịch")
    assert not live.page_errors
