"""An editor writes, an approver approves, the editor schedules, the calendar shows it, it goes out.

Driven through the pages only, in headless Chromium, as a new editor would.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.browser.support import just_now, local_input, poster_png, webhook_channel
from tests.fakes.receiver import Receiver
from tests.servers import run_pipeline

pytestmark = pytest.mark.browser

TITLE = "Chủ nhật Đỏ 2025: mời bà con đi hiến máu"
SUMMARY = "Ngày 12/01/2025, Chủ nhật Đỏ về với phường Tân Phong."
BODY = (
    "Sáng Chủ nhật 12/01/2025, từ 7h30, tại Hội trường UBND phường Tân Phong diễn ra "
    "ngày hội hiến máu Chủ nhật Đỏ.\n\n"
    "Người từ 18 đến 60 tuổi, nữ nặng từ 42 kg, nam từ 45 kg, có thể hiến máu."
)


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


def test_write_approve_schedule_deliver(live, browser_context, receiver, tmp_path):
    live.user("bien-tap", "editor", display_name="Lò Thị Mai")
    live.user("lanh-dao", "approver", display_name="Giàng A Páo")
    webhook_channel(live.app, receiver.url)
    poster = poster_png(tmp_path / "chu-nhat-do.png")

    # The editor signs in and lands on the dashboard.
    editor = browser_context().new_page()
    login(editor, "bien-tap")
    expect(editor).to_have_url(re.compile(r"/$"))
    expect(editor.get_by_role("heading", level=1)).to_contain_text("Lò Thị Mai")
    screenshot(editor, "01-editor-dashboard")

    # Writes an article with a poster, seeing the poster before it uploads.
    editor.get_by_role("link", name="Thư viện nội dung").click()
    editor.get_by_role("link", name="Viết bài mới").click()
    editor.get_by_label("Tiêu đề", exact=True).fill(TITLE)
    editor.get_by_label("Tóm tắt", exact=True).fill(SUMMARY)
    editor.get_by_label("Nội dung", exact=True).fill(BODY)
    editor.get_by_label("Thẻ", exact=True).fill("chủ nhật đỏ, Tân Phong")
    editor.locator("#poster").set_input_files(str(poster))
    expect(editor.locator("#poster-preview")).to_be_visible()
    screenshot(editor, "02-editor-writes-article")
    editor.get_by_role("button", name="Lưu bản nháp").click()

    # The draft, with its previews per channel.
    expect(editor.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(editor.locator(".meta .badge").first).to_have_text("Bản nháp")
    card = editor.locator(".fb-card")
    expect(card).to_contain_text(TITLE)
    expect(card.locator("img")).to_be_visible()
    expect(editor.locator(".rss-item")).to_contain_text(SUMMARY)
    expect(editor.locator(".preview--reading .preview__fact").first).to_contain_text(
        re.compile(r"Thời lượng đọc: khoảng \d")
    )
    expect(editor.locator(".reading-text")).to_contain_text("mười hai tháng một")
    content_url = editor.url
    screenshot(editor, "03-editor-draft-previews")

    # Submits it; an editor has no approve button.
    editor.get_by_role("button", name="Gửi duyệt").click()
    expect(editor.locator(".notice--success")).to_contain_text("Đã gửi duyệt")
    expect(editor.locator(".meta .badge").first).to_have_text("Chờ duyệt")
    expect(editor.get_by_role("button", name=re.compile(r"^Duyệt"))).to_have_count(0)

    # The approver writes a note of their own and submits it too.
    approver = browser_context().new_page()
    login(approver, "lanh-dao")
    approver.goto("/content/new")
    approver.get_by_label("Tiêu đề", exact=True).fill("Lịch tiếp nhận máu tháng 1")
    approver.get_by_label("Nội dung", exact=True).fill("Bệnh viện tỉnh tiếp nhận máu mỗi sáng.")
    approver.get_by_role("button", name="Lưu bản nháp").click()
    approver.get_by_role("button", name="Gửi duyệt").click()

    # In the queue: nobody approves their own content.
    approver.get_by_role("link", name=re.compile("Chờ duyệt")).click()
    expect(approver.locator("article.review")).to_have_count(2)
    own = approver.locator("article.review", has_text="Lịch tiếp nhận máu tháng 1")
    expect(own.get_by_text("Bài của bạn")).to_be_visible()
    theirs = approver.locator("article.review", has_text=TITLE)
    expect(theirs.locator(".diff__text ins").first).to_contain_text("Chủ nhật Đỏ")
    screenshot(approver, "04-approver-queue")
    own.get_by_role("button", name="Duyệt").click()
    expect(approver.locator(".notice--error")).to_contain_text(
        "Không được tự duyệt nội dung của mình"
    )
    screenshot(approver, "05-approver-self-approval-refused")

    # Approves the editor's article.
    approver.locator("article.review", has_text=TITLE).get_by_role("button", name="Duyệt").click()
    expect(approver.locator(".notice--success")).to_contain_text("Đã duyệt")
    expect(approver.locator("article.review")).to_have_count(1)

    # The editor schedules it on the partner's channel, for now.
    editor.goto(content_url)
    expect(editor.locator(".meta .badge").first).to_have_text("Đã duyệt")
    editor.get_by_label("Kênh", exact=True).select_option(
        label="Cổng thông tin đối tác — Webhook (JSON có chữ ký)"
    )
    editor.get_by_label("Thời điểm đăng").fill(local_input(just_now()))
    editor.get_by_role("button", name="Lên lịch").click()
    expect(editor.locator(".notice--success")).to_contain_text("Đã lên lịch")
    expect(editor.locator(".meta .badge").first).to_have_text("Đã lên lịch")
    publication_url = editor.url

    # It is on the calendar, this month and this week.
    editor.get_by_role("link", name="Lịch").click()
    today = editor.locator(".cal-day--today")
    expect(today.locator(".cal-item--pub")).to_contain_text(TITLE)
    screenshot(editor, "06-calendar-month")
    editor.get_by_role("link", name="Tuần", exact=True).click()
    expect(editor.locator(".cal-day--today .cal-item--pub")).to_contain_text("Đã lên lịch")
    screenshot(editor, "07-calendar-week")

    # The dispatcher and a worker deliver it; the page says so.
    run_pipeline(live.app)  # what the embedded dispatcher and worker do
    editor.goto(publication_url)
    expect(editor.locator(".meta .badge").first).to_have_text("Đã đăng")
    expect(editor.locator("#h-attempts + .table-wrap")).to_contain_text("Đã đăng")
    screenshot(editor, "08-publication-delivered")
    assert len(receiver.requests) == 1
    assert receiver.requests[0]["body"]["title"] == TITLE

    # And the calendar shows it delivered.
    editor.goto("/calendar?view=week")
    expect(editor.locator(".cal-day--today .cal-item--ok")).to_contain_text("Đã đăng")
