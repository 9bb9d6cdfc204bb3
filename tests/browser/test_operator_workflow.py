"""A commune operator signs in, lands on the commune page, downloads the bulletin, confirms it.

The commune page (/communes/<code>) is the loudspeaker engineer's; this drives it from the
login page the UI provides, and checks the editors' dashboard sees the confirmation.
"""

from __future__ import annotations

import re
import zipfile
from datetime import datetime, time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.browser.support import LOCAL

pytestmark = pytest.mark.browser

TAN_PHONG = "03408"  # phường Tân Phong
NOTICE = "Thông báo hiến máu Chủ nhật Đỏ"


def _released_today(app) -> int:
    """A loudspeaker item released into today's bulletin of phường Tân Phong."""
    from content_library.db import utcnow
    from publisher.db import db
    from publisher.delivery.channels import create_channel
    from publisher.delivery.publications import schedule
    from tests.factories import approved_content

    with app.app_context():
        channel = create_channel(
            db.session,
            kind="loudspeaker",
            slug="loa-tan-phong",
            name="Loa phường Tân Phong",
            settings={"commune_codes": [TAN_PHONG]},
            secret_key=app.config["SETTINGS"].SECRET_KEY,
        )
        item = approved_content(
            db.session,
            kind="script",
            title=NOTICE,
            body="Sáng Chủ nhật 12/01/2025, mời bà con đến hiến máu.",
        )
        today = datetime.now(LOCAL).date()
        pub = schedule(
            db.session,
            content_id=item.id,
            channel_id=channel.id,
            scheduled_at=datetime.combine(today, time(6, 0), LOCAL),
            slot="morning",
            release_hour=app.config["SETTINGS"].BULLETIN_RELEASE_HOUR,
        )
        pub.status = "published"  # as the worker leaves a released item
        pub.published_at = utcnow()
        pub.external_id = f"loudspeaker-{pub.id}"
        db.session.commit()
        return pub.id


def test_operator_downloads_and_confirms(live, browser_context, tmp_path):
    live.user("dai-tan-phong", "operator", commune_code=TAN_PHONG, display_name="Vàng Thị Dung")
    live.user("bien-tap", "editor")
    pub_id = _released_today(live.app)

    # Before: the editors' dashboard lists the commune as not having confirmed.
    editor = browser_context().new_page()
    login(editor, "bien-tap")
    silent = editor.locator(
        "section", has=editor.get_by_role("heading", name="Xã chưa xác nhận phát loa")
    )
    expect(silent).to_contain_text("phường Tân Phong")

    # The operator signs in on a phone and lands on the commune's page.
    phone = browser_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    ).new_page()
    login(phone, "dai-tan-phong")
    expect(phone).to_have_url(re.compile(rf"/communes/{TAN_PHONG}$"))
    expect(phone.get_by_text(NOTICE).first).to_be_visible()
    screenshot(phone, "10-operator-commune-page")

    # Downloads today's bulletin (Word) and gets a real document.
    with phone.expect_download() as download:
        phone.get_by_role("link", name="DOCX").first.click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.endswith(".docx")
    with zipfile.ZipFile(saved) as docx:
        assert "word/document.xml" in docx.namelist()

    # Confirms the morning session was broadcast.
    phone.get_by_role("button", name=re.compile(r"^Đã phát")).first.click()
    expect(phone.get_by_text(re.compile("✓ Đã phát")).first).to_be_visible()
    screenshot(phone, "11-operator-confirmed")

    from sqlalchemy import select

    from publisher.db import db
    from publisher.loudspeaker.models import BroadcastConfirmation

    with live.app.app_context():
        rows = db.session.scalars(select(BroadcastConfirmation)).all()
        assert [(r.commune_code, r.publication_id) for r in rows] == [(TAN_PHONG, pub_id)]

    # After: the dashboard no longer lists the commune.
    editor.reload()
    expect(silent).not_to_contain_text("phường Tân Phong")
    expect(silent).to_contain_text("Tất cả các xã đã xác nhận")


def test_operator_cannot_open_editor_pages(live, browser_context):
    live.user("dai-tan-phong", "operator", commune_code=TAN_PHONG)
    page = browser_context().new_page()
    login(page, "dai-tan-phong")
    response = page.goto("/content")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Bạn không có quyền truy cập trang này"
    )
    expect(page.get_by_role("link", name="Về trang của xã")).to_have_attribute(
        "href", f"/communes/{TAN_PHONG}"
    )
    screenshot(page, "12-operator-forbidden")
