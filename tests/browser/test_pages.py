"""Every page an admin can open: it answers, every form field has a label, nothing is
fetched from elsewhere, and it looks right on a desktop and on a phone (screenshots)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from channels.registry import kinds
from tests.browser.conftest import login, screenshot
from tests.browser.pages_data import seed_pages

pytestmark = pytest.mark.browser

UNLABELLED = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => !['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type))
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.name || el.id || el.outerHTML.slice(0, 80))"""


def _pages(s) -> list[str]:
    return [
        "/",
        "/content",
        "/content?q=tieu+chuan",
        "/content/new",
        "/content/new?kind=poster",
        f"/content/{s.article_id}",
        f"/content/{s.article_id}/edit",
        f"/content/{s.review_id}",
        "/approvals",
        "/calendar",
        "/calendar?view=week",
        "/campaigns",
        "/campaigns/new",
        f"/campaigns/{s.campaign_id}",
        f"/campaigns/{s.campaign_id}/edit",
        f"/campaigns/{s.campaign_id}/plan",
        f"/campaigns/{s.campaign_id}/plan?playbook_id={s.playbook_id}",
        "/drives",
        "/drives?when=all",
        "/drives/new",
        f"/drives/{s.drive_id}",
        "/publications",
        "/publications?status=failed",
        "/publications/new",
        f"/publications/{s.publication_id}",
        f"/publications/{s.failed_id}",
        "/channels",
        "/channels/new",
        # Every registered kind's form, drawn from its adapter's settings schema.
        *[f"/channels/new?kind={kind}" for kind in kinds()],
        f"/channels/{s.channel_id}",
        f"/channels/{s.channel_id}/edit",
        "/feed-sources",
        "/feed-sources/new",
        f"/feed-sources/{s.feed_source_id}/edit",
        "/reports",
        "/reports/results",
        "/guidance",
        "/guidance/new",
        "/guidance/matrix",
        "/consents",
        "/consents?person=huong",
        "/consents/new",
        "/content/new?kind=profile",
        "/admin/users",
        "/admin/tokens",
        "/communes/03408",
        "/logout",
    ]


def test_every_page_answers_with_labelled_fields(live, browser_context):
    editor_id = live.user("bien-tap", "editor", display_name="Lò Thị Mai")
    approver_id = live.user("lanh-dao", "approver")
    live.user("quan-tri", "admin", display_name="Quản trị viên")
    seeded = seed_pages(live.app, editor_id, approver_id)
    page = browser_context().new_page()
    login(page, "quan-tri")
    problems = {}
    for path in _pages(seeded):
        response = page.goto(path)
        assert response is not None and response.status == 200, (path, response and response.status)
        assert page.locator("html").get_attribute("lang") == "vi", path
        missing = page.evaluate(UNLABELLED)
        if missing:
            problems[path] = missing
        title = page.title()
        assert title and "Traceback" not in page.content(), path
    assert problems == {}, f"form fields without a label: {problems}"
    page.goto("/login")  # the login page, signed out in a fresh profile
    anonymous = browser_context().new_page()
    anonymous.goto("/login")
    assert anonymous.evaluate(UNLABELLED) == []


def test_screens_on_desktop_and_phone(live, browser_context):
    editor_id = live.user("bien-tap", "editor", display_name="Lò Thị Mai")
    approver_id = live.user("lanh-dao", "approver", display_name="Giàng A Páo")
    live.user("quan-tri", "admin", display_name="Quản trị viên")
    s = seed_pages(live.app, editor_id, approver_id)

    desk = browser_context().new_page()
    login(desk, "quan-tri")
    expect(desk.locator("#h-failures ~ .list")).to_contain_text("Trang từ chối bài đăng")
    expect(desk.locator("#h-channels ~ .list")).to_contain_text("Fanpage Sở")
    screenshot(desk, "30-dashboard-with-data")
    desk.goto("/approvals")
    expect(desk.locator(".diff__text del")).to_contain_text("12")
    expect(desk.locator(".diff__text ins")).to_contain_text("19")
    screenshot(desk, "31-approvals-diff")
    desk.goto("/reports")
    expect(desk.locator("svg.chart__svg")).to_have_count(3)
    screenshot(desk, "32-reports")
    desk.goto(f"/campaigns/{s.campaign_id}/plan?playbook_id={s.playbook_id}")
    screenshot(desk, "33-plan-preview")
    desk.goto(f"/publications/{s.failed_id}")
    expect(desk.locator(".meta .badge").first).to_have_text("Lỗi")
    screenshot(desk, "34-publication-failed")
    desk.goto("/channels")
    screenshot(desk, "35-channels")
    desk.goto("/channels/new?kind=loudspeaker")
    screenshot(desk, "36-channel-form-loudspeaker")
    desk.goto("/feed-sources")
    expect(desk.get_by_text("Máy chủ trả lời 503")).to_be_visible()
    screenshot(desk, "37-feed-sources")
    desk.goto("/admin/users")
    screenshot(desk, "38-users")

    phone = browser_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    ).new_page()
    phone.goto("/login")
    screenshot(phone, "40-phone-login")
    login(phone, "bien-tap")
    screenshot(phone, "41-phone-dashboard")
    phone.goto(f"/content/{s.article_id}")
    screenshot(phone, "42-phone-content")
    phone.goto("/calendar")
    screenshot(phone, "43-phone-calendar")
    phone.goto("/publications")
    screenshot(phone, "44-phone-publications")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"


def test_plan_preview_then_apply(live, browser_context):
    editor_id = live.user("bien-tap", "editor")
    approver_id = live.user("lanh-dao", "approver")
    s = seed_pages(live.app, editor_id, approver_id)
    page = browser_context().new_page()
    login(page, "bien-tap")
    page.goto(f"/campaigns/{s.campaign_id}")
    page.get_by_role("link", name="Lập kế hoạch đăng").click()
    page.get_by_label("Kịch bản").select_option(index=1)
    page.get_by_role("button", name="Xem trước").click()
    expect(
        page.get_by_role("heading", name=re.compile(r"^Xem trước: \d+ lượt đăng mới"))
    ).to_be_visible()
    apply = page.get_by_role("button", name=re.compile(r"^Áp dụng kế hoạch"))
    if apply.count() == 0:
        pytest.fail("the plan proposed nothing new: " + page.locator("main").inner_text()[:2000])
    page.on("dialog", lambda dialog: dialog.accept())
    apply.click()
    expect(page.locator(".notice--success")).to_contain_text("Đã áp dụng kế hoạch")
    expect(
        page.get_by_role("heading", name=re.compile(r"^Xem trước: 0 lượt đăng mới"))
    ).to_be_visible()
    screenshot(page, "39-plan-applied")
