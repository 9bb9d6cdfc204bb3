"""Scheduling, channels, feed sources, campaigns and drives, the calendar, reports and the
admin pages, over HTTP as an editor or admin uses them."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.integration.ui_support import flashes, signed_in

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")

# The webhook channels here point at 127.0.0.1.
pytestmark = pytest.mark.settings(OUTBOUND_ALLOW_PRIVATE=True)


def _local(moment: datetime) -> str:
    return moment.astimezone(LOCAL).strftime("%Y-%m-%dT%H:%M")


def _approved(app) -> int:
    from publisher.db import db
    from tests.factories import approved_content

    with app.app_context():
        item = approved_content(db.session, title="Hiến máu cứu người")
        db.session.commit()
        return item.id


def _webhook(app) -> int:
    from publisher.db import db
    from tests.factories import webhook_channel

    with app.app_context():
        channel = webhook_channel(db.session, "http://127.0.0.1:9/hook")
        db.session.commit()
        return channel.id


def _row(app, model, row_id):
    from publisher.db import db

    with app.app_context():
        row = db.session.get(model, row_id)
        db.session.expunge(row)
        return row


def test_schedule_cancel_and_retry(app):
    from publisher.delivery.models import Publication

    editor, _ = signed_in(app, "editor")
    content_id, channel_id = _approved(app), _webhook(app)
    at = datetime.now(LOCAL).replace(second=0, microsecond=0) + timedelta(days=1)
    response = editor.post(
        "/publications",
        {
            "content_id": content_id,
            "channel_id": channel_id,
            "scheduled_at": _local(at),
            "priority": "normal",
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == "/publications/1"
    pub = _row(app, Publication, 1)
    assert pub.status == "scheduled" and pub.scheduled_at == at  # typed local, stored UTC
    page = editor.get("/publications/1").get_data(as_text=True)
    assert "Đã lên lịch" in page and at.strftime("%d/%m/%Y %H:%M") in page
    assert "Đã lên lịch" in editor.get(f"/calendar?view=week&date={at.date()}").get_data(
        as_text=True
    )

    editor.post("/publications/1/cancel")
    assert _row(app, Publication, 1).status == "cancelled"
    editor.post("/publications/1/retry")
    assert _row(app, Publication, 1).status == "scheduled"


def test_scheduling_unapproved_content_says_why(app):
    editor, _ = signed_in(app, "editor")
    channel_id = _webhook(app)
    editor.post("/content/new", {"kind": "article", "title": "Nháp", "body": "x"})
    response = editor.post(
        "/publications",
        {"content_id": 1, "channel_id": channel_id, "scheduled_at": "2031-01-05T08:00"},
    )
    page = editor.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nội dung chưa được phê duyệt" in " ".join(flashes(page))
    response = editor.post(
        "/publications", {"content_id": 1, "channel_id": channel_id, "scheduled_at": "ngày mai"}
    )
    page = editor.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thời điểm đăng không đúng dạng ngày giờ." in flashes(page)


def test_admin_configures_a_channel_and_secrets_stay_hidden(app):
    from publisher.delivery.crypto import decrypt_secrets
    from publisher.delivery.models import Channel

    admin, _ = signed_in(app, "admin")
    secret = "bi-mat-rat-dai-0123456789"
    response = admin.post(
        "/channels/new",
        {
            "kind": "webhook",
            "name": "Đối tác Zalo",
            "s_url": "khong-phai-url",
            "s_secret": secret,
            "enabled": "1",
        },
    )
    assert response.status_code == 422
    assert "Địa chỉ nhận (URL): must be an http(s) URL" in response.get_data(as_text=True)
    response = admin.post(
        "/channels/new",
        {
            "kind": "webhook",
            "name": "Đối tác Zalo",
            "s_url": "https://doitac.example/hook",
            "s_secret": secret,
            "enabled": "1",
            "daily_cap": "20",
        },
    )
    assert response.status_code == 302
    page = admin.get("/channels/1").get_data(as_text=True)
    assert secret not in page and "Đã lưu (ẩn)" in page and "20" in page
    assert secret not in admin.get("/channels/1/edit").get_data(as_text=True)
    # Saving with the secret left blank keeps it.
    admin.post(
        "/channels/1/edit",
        {
            "name": "Đối tác Zalo (mới)",
            "s_url": "https://doitac.example/v2",
            "s_secret": "",
            "enabled": "1",
        },
    )
    channel = _row(app, Channel, 1)
    assert channel.name == "Đối tác Zalo (mới)" and channel.settings["url"].endswith("/v2")
    assert (
        decrypt_secrets(app.config["SETTINGS"].SECRET_KEY, channel.secrets_encrypted)["secret"]
        == secret
    )
    response = admin.post("/channels/1/check")
    assert "Mã truy cập hợp lệ" in " ".join(
        flashes(admin.get("/channels/1").get_data(as_text=True))
    )


def test_loudspeaker_channel_with_communes_and_times(app):
    from publisher.delivery.models import Channel

    admin, _ = signed_in(app, "admin")
    form = {
        "kind": "loudspeaker",
        "name": "Loa các xã",
        "slug": "loa",
        "s_commune_codes": ["03408", "03388"],
        "s_slots_morning": "6:15",
        "s_slots_evening": "17:45",
        "enabled": "1",
    }
    assert admin.post("/channels/new", form).status_code == 302
    channel = _row(app, Channel, 1)
    assert channel.settings == {
        "commune_codes": ["03408", "03388"],
        "slots": {"morning": "06:15", "evening": "17:45"},
    }
    page = admin.get("/channels/1").get_data(as_text=True)
    assert "phường Tân Phong" in page and "06:15" in page


def test_feed_sources(app):
    from publisher.feedimport.models import FeedSource

    editor, _ = signed_in(app, "editor")
    response = editor.post("/feed-sources/new", {"url": "ftp://x", "interval_minutes": "60"})
    assert response.status_code == 422
    assert "http:// hoặc https://" in response.get_data(as_text=True)
    response = editor.post(
        "/feed-sources/new",
        {
            "url": "https://baolaichau.vn/rss.rss",
            "name": "Báo Lai Châu",
            "tags": "báo, tỉnh",
            "interval_minutes": "30",
            "enabled": "1",
        },
    )
    assert response.status_code == 302
    source = _row(app, FeedSource, 1)
    assert source.tags == ["báo", "tỉnh"] and source.enabled and source.interval_minutes == 30
    with app.app_context():
        from publisher.db import db

        db.session.get(FeedSource, 1).last_error = "Máy chủ trả lời 503"
        db.session.commit()
    assert "Máy chủ trả lời 503" in editor.get("/feed-sources").get_data(as_text=True)
    editor.post("/feed-sources/1/toggle")
    assert not _row(app, FeedSource, 1).enabled
    response = editor.post(
        "/feed-sources/new", {"url": "https://baolaichau.vn/rss.rss", "interval_minutes": "30"}
    )
    assert "đã có trong danh sách" in response.get_data(as_text=True)


def test_campaigns_and_drives(app):
    from content_library.models import Campaign, Drive

    # The drive took place ten days ago: the report charts only drives that have started.
    day = datetime.now(LOCAL).date() - timedelta(days=10)
    first, last = day - timedelta(days=13), day + timedelta(days=78)
    editor, _ = signed_in(app, "editor")
    response = editor.post(
        "/campaigns/new",
        {"name": "Hè hồng 2026", "starts_on": f"{first}", "ends_on": f"{first - timedelta(1)}"},
    )
    assert "Ngày kết thúc không được trước ngày bắt đầu." in response.get_data(as_text=True)
    editor.post(
        "/campaigns/new",
        {"name": "Hè hồng 2026", "starts_on": f"{first}", "ends_on": f"{last}"},
    )
    assert _row(app, Campaign, 1).slug == "he-hong-2026"
    response = editor.post(
        "/drives/new",
        {
            "name": "Đợt 1",
            "campaign_id": "1",
            "commune_code": "03408",
            "location": "UBND phường",
            "starts_at": f"{day}T07:30",
            "ends_at": f"{day}T07:00",
            "status": "planned",
        },
    )
    assert "Giờ kết thúc phải sau giờ bắt đầu." in response.get_data(as_text=True)
    editor.post(
        "/drives/new",
        {
            "name": "Đợt 1",
            "campaign_id": "1",
            "commune_code": "03408",
            "location": "UBND phường",
            "starts_at": f"{day}T07:30",
            "ends_at": f"{day}T11:30",
            "target_units": "300",
            "status": "planned",
        },
    )
    drive = _row(app, Drive, 1)
    assert drive.starts_at == datetime(day.year, day.month, day.day, 7, 30, tzinfo=LOCAL)
    editor.post(
        "/drives/1",
        {
            "name": "Đợt 1",
            "campaign_id": "1",
            "commune_code": "03408",
            "location": "UBND phường",
            "starts_at": f"{day}T07:30",
            "ends_at": f"{day}T11:30",
            "target_units": "300",
            "result_units": "321",
            "status": "done",
        },
    )
    # The result is a fact announced in thanks: an editor's figure waits for an approver,
    # while the status (a closed list) applies at once.
    assert _row(app, Drive, 1).result_units is None and _row(app, Drive, 1).status == "done"
    page = editor.get("/drives/1").get_data(as_text=True)
    assert "Thay đổi đang chờ duyệt" in page and "Duyệt thay đổi" not in page
    approver, _ = signed_in(app, "approver")
    assert "Duyệt thay đổi" in approver.get("/drives/1").get_data(as_text=True)
    approver.post("/drives/1/approve-change")
    assert _row(app, Drive, 1).result_units == 321
    page = editor.get(f"/calendar?date={day:%Y-%m}-01").get_data(as_text=True)
    assert f"Tháng {day.month} năm {day.year}" in page and "Đợt 1" in page
    page = editor.get("/reports").get_data(as_text=True)
    assert "107%" in page and page.count("<svg viewBox") >= 1
    assert "Hè hồng 2026" in editor.get("/campaigns/1").get_data(as_text=True)


def test_calendar_navigation(app):
    editor, _ = signed_in(app, "editor")
    page = editor.get("/calendar?view=week&date=2026-01-01").get_data(as_text=True)
    assert "Tuần 29/12 – 04/01/2026" in page
    assert "date=2025-12-22" in page and "date=2026-01-05" in page
    page = editor.get("/calendar?date=2026-02").get_data(as_text=True)
    assert "Tháng 2 năm 2026" in page and "date=2026-03-01" in page
    assert editor.get("/calendar?date=khong-phai-ngay").status_code == 200


def test_admin_users_and_tokens(app):
    from publisher.auth.models import ApiToken, User

    admin, admin_id = signed_in(app, "admin")
    response = admin.post(
        "/admin/users",
        {
            "username": "dai-xa",
            "role": "operator",
            "password": "mật-khẩu-dài",
            "password_again": "mật-khẩu-dài",
        },
    )
    assert "Cán bộ đài xã phải gắn với một xã/phường." in response.get_data(as_text=True)
    response = admin.post(
        "/admin/users",
        {
            "username": "dai-xa",
            "role": "operator",
            "commune_code": "03408",
            "display_name": "Lò Văn A",
            "password": "mật-khẩu-dài",
            "password_again": "mật-khẩu-dài",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        from publisher.db import db

        user = db.session.scalar(select(User).where(User.username == "dai-xa"))
        assert user.commune_code == "03408" and user.role == "operator"
        user_id = user.id
    admin.post(f"/admin/users/{user_id}/active")
    assert not _row(app, User, user_id).active
    admin.post(f"/admin/users/{admin_id}/active")
    assert _row(app, User, admin_id).active  # nobody locks themselves out

    response = admin.post("/admin/tokens", {"name": "Cổng đối tác", "user_id": str(admin_id)})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    raw = re.search(r'id="new-token"[^>]*value="(pub_[^"]+)"', response.get_data(as_text=True))
    assert raw is not None
    assert (
        admin.client.get(
            "/api/v1/content", headers={"Authorization": f"Bearer {raw.group(1)}"}
        ).status_code
        == 200
    )
    assert raw.group(1) not in admin.get("/admin/tokens").get_data(as_text=True)
    admin.post("/admin/tokens/1/revoke")
    assert _row(app, ApiToken, 1).revoked_at is not None


def test_dashboard_shows_what_needs_attention(app):
    from publisher.db import db
    from publisher.delivery.models import Channel, Publication
    from publisher.delivery.publications import schedule

    editor, _ = signed_in(app, "editor")
    content_id, channel_id = _approved(app), _webhook(app)
    with app.app_context():
        now = datetime.now(LOCAL)
        failed = schedule(
            db.session,
            content_id=content_id,
            channel_id=channel_id,
            scheduled_at=now - timedelta(hours=2),
        )
        failed.status, failed.last_error = "failed", "HTTP 400: chiến dịch không tồn tại"
        schedule(
            db.session,
            content_id=content_id,
            channel_id=channel_id,
            scheduled_at=now + timedelta(days=2),
        )
        channel = db.session.get(Channel, channel_id)
        channel.health_status, channel.health_reason = "needs_attention", "Khoá ký sai"
        db.session.commit()
        assert db.session.scalar(select(Publication.id).where(Publication.status == "failed"))
    page = editor.get("/").get_data(as_text=True)
    assert "HTTP 400: chiến dịch không tồn tại" in page
    assert "Khoá ký sai" in page and "Cần cấp quyền lại" in page
    assert "Đã lên lịch" in page
