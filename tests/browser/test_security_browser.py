"""In the browser: forged forms are refused, logins are rate limited, headers are sent,
and words typed by people are shown as words, never run as code."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, login, screenshot

pytestmark = pytest.mark.browser

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)


def test_forged_form_is_refused_with_a_vietnamese_page(live, browser_context):
    live.user("bien-tap", "editor")
    page = browser_context().new_page()
    login(page, "bien-tap")
    page.goto("/content/new")
    page.get_by_label("Tiêu đề", exact=True).fill("Bài viết giả mạo")
    page.get_by_label("Nội dung", exact=True).fill("Nội dung")
    page.locator("main form.form input[name=csrf_token]").evaluate("el => el.value = 'gia-mao'")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Lưu bản nháp").click()
    assert answer.value.status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text("Yêu cầu không hợp lệ")
    expect(page.locator(".error-page")).to_contain_text("Biểu mẫu đã hết hạn")
    screenshot(page, "20-csrf-refused")
    page.goto("/content")
    expect(page.get_by_text("Bài viết giả mạo")).to_have_count(0)


def test_login_is_rate_limited_per_address(live, browser_context):
    live.user("bien-tap", "editor")
    page = browser_context().new_page()
    limit = live.app.config["SETTINGS"].LOGIN_RATE_LIMIT
    for attempt in range(limit):
        page.goto("/login")
        page.get_by_label("Tên đăng nhập").fill(f"khach-{attempt}")
        page.get_by_label("Mật khẩu").fill("sai-mat-khau")
        page.get_by_role("button", name="Đăng nhập").click()
        expect(page.locator(".notice--error")).to_contain_text("không đúng")
    # Over the limit: refused even with the right password.
    page.goto("/login")
    page.get_by_label("Tên đăng nhập").fill("bien-tap")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Đăng nhập").click()
    assert answer.value.status == 429
    assert int(answer.value.headers["retry-after"]) > 0
    expect(page.get_by_role("heading", level=1)).to_have_text("Quá nhiều lần thử")
    expect(page.locator(".error-page")).to_contain_text("Hãy thử lại sau khoảng")
    screenshot(page, "21-login-rate-limited")


def test_security_headers_on_pages(live, browser_context):
    live.user("quan-tri", "admin")
    page = browser_context().new_page()
    response = page.goto("/login")
    assert response is not None
    headers = response.headers
    assert headers["content-security-policy"] == CSP
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert "camera=()" in headers["permissions-policy"]
    cookie = next(c for c in page.context.cookies() if c["name"] == "session")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax"
    login(page, "quan-tri")
    for path in ("/", "/admin/users", "/does-not-exist"):
        response = page.goto(path)
        assert response is not None
        assert response.headers["content-security-policy"] == CSP, path


def test_what_people_type_is_shown_not_run(live, browser_context):
    live.user("bien-tap", "editor")
    page = browser_context().new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    login(page, "bien-tap")
    page.goto("/content/new")
    title = "<script>alert('tiêu đề')</script> Hiến máu"
    page.get_by_label("Tiêu đề", exact=True).fill(title)
    page.get_by_label("Tóm tắt", exact=True).fill("<img src=x onerror=alert('tóm tắt')>")
    page.get_by_label("Nội dung", exact=True).fill(
        "<p>Đoạn một</p><img src=x onerror=alert('nội dung')><script>alert('b')</script>"
    )
    page.get_by_label("Thẻ", exact=True).fill("<b>thẻ</b>")
    page.get_by_role("button", name="Lưu bản nháp").click()
    # A title is plain text: the markup typed into it is removed when saved.
    shown = "Hiến máu"
    expect(page.get_by_role("heading", level=1)).to_have_text(shown)
    expect(page.locator(".prose")).to_contain_text("Đoạn một")
    assert page.locator(".prose script, .prose img[onerror]").count() == 0
    page.goto("/content")
    expect(page.get_by_role("link", name=shown, exact=True)).to_be_visible()
    page.get_by_role("link", name=shown, exact=True).click()
    page.get_by_role("button", name="Gửi duyệt").click()
    page.goto("/approvals")
    expect(page.locator(".diff__text").first).to_contain_text(shown)
    assert dialogs == []
