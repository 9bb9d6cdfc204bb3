"""A known month of publications, confirmations and engagement for the results report tests.

November 2025 (local): what the report must count is written out in ``EXPECTED``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app

from content_library.models import Campaign, Drive
from publisher.delivery.channels import create_channel
from publisher.delivery.publications import schedule
from publisher.loudspeaker.models import BroadcastConfirmation
from publisher.reports.models import EngagementReading
from tests.factories import approved_content

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
FIRST, LAST = date(2025, 11, 1), date(2025, 11, 30)
TAN_PHONG, DOAN_KET = "03408", "03388"
QUERY = {"from": FIRST.isoformat(), "to": LAST.isoformat()}


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime.combine(date(2025, month, day), time(hour, minute), LOCAL)


def _channel(session, kind: str, slug: str, name: str, settings: dict[str, Any]):
    return create_channel(
        session,
        kind=kind,
        slug=slug,
        name=name,
        settings=settings,
        secret_key=current_app.config["SETTINGS"].SECRET_KEY,
    )


def _pub(session, channel, title, *, when, status="published", campaign=None, **kw):
    item = approved_content(
        session,
        kind="script" if channel.kind == "loudspeaker" else "article",
        title=title,
        campaign_id=campaign,
    )
    scheduled_at = kw.pop("scheduled_at", when)
    pub = schedule(
        session,
        content_id=item.id,
        channel_id=channel.id,
        scheduled_at=scheduled_at,
        expires_at=scheduled_at + timedelta(days=30),
        drive_id=kw.pop("drive_id", None),
    )
    pub.status = status
    if status in ("published", "cancelled"):
        pub.published_at = when
        pub.external_id = kw.pop("external_id", f"{channel.kind}-{pub.id}")
    for key, value in kw.items():
        setattr(pub, key, value)
    session.flush()
    return pub


def build_month(session) -> dict[str, int]:
    """The month's rows; returns the ids the tests name."""
    red = Campaign(slug="cn-do-2025", name="Chủ nhật Đỏ 2025", starts_on=FIRST, ends_on=LAST)
    other = Campaign(slug="khac-2025", name="Chiến dịch khác", starts_on=FIRST, ends_on=LAST)
    session.add_all([red, other])
    session.flush()
    drive = Drive(
        campaign_id=red.id,
        name="Hiến máu phường Tân Phong",
        starts_at=at(15, 7),
        ends_at=at(15, 11),
        location="Nhà văn hóa phường Tân Phong",
        commune_code=TAN_PHONG,
        status="confirmed",
    )
    quiet_drive = Drive(
        campaign_id=other.id,
        name="Hiến máu xã không tuyên truyền",
        starts_at=at(25, 7),
        ends_at=at(25, 11),
        location="Trạm y tế",
        commune_code=DOAN_KET,
        status="planned",
    )
    session.add_all([drive, quiet_drive])
    session.flush()
    page = _channel(
        session, "fanpage", "trang-fb", "Trang Hội CTĐ", {"page_id": "1001", "access_token": "t"}
    )
    portal = _channel(session, "rss", "cong-tinh", "Cổng thông tin tỉnh", {"title": "Tin hiến máu"})
    loud = _channel(
        session, "loudspeaker", "loa-tp", "Loa hai phường", {"commune_codes": [TAN_PHONG, DOAN_KET]}
    )
    ids = {"campaign": red.id, "other_campaign": other.id, "drive": drive.id}
    ids["fb_before"] = _pub(
        session,
        page,
        "Mời hiến máu ngày 15/11",
        when=at(10, 9),
        campaign=red.id,
        drive_id=drive.id,
        external_url="https://www.facebook.com/1001/posts/1",
    ).id
    ids["fb_after"] = _pub(
        session,
        page,
        "Cảm ơn người hiến máu",
        when=at(16, 9),
        campaign=red.id,
        drive_id=drive.id,
        external_url="https://www.facebook.com/1001/posts/2",
    ).id
    ids["fb_withdrawn"] = _pub(
        session,
        page,
        "Tin đã gỡ",
        when=at(11, 9),
        status="cancelled",
        withdrawn_at=at(11, 10),
        external_url="https://www.facebook.com/1001/posts/3",
    ).id
    ids["rss_before"] = _pub(
        session,
        portal,
        "Lịch hiến máu tháng 11",
        when=at(12, 8),
        drive_id=drive.id,
        external_url="http://publisher.test/tin/1",
    ).id
    ids["rss_other"] = _pub(
        session, portal, "Tin chiến dịch khác", when=at(20, 8), campaign=other.id
    ).id
    ids["hook_december"] = _pub(session, portal, "Tin tháng 12", when=at(2, 8, month=12)).id
    ids["loud_morning"] = _pub(
        session, loud, "Thông báo hiến máu", when=at(13, 18), scheduled_at=at(14, 6)
    ).id
    ids["loud_evening"] = _pub(
        session, loud, "Nhắc lịch hiến máu", when=at(14, 18), scheduled_at=at(15, 17, 30)
    ).id
    ids["failed"] = _pub(
        session,
        page,
        "Tin lỗi",
        when=at(18, 9),
        status="failed",
        last_error="Facebook từ chối: ảnh quá lớn",
    ).id
    ids["expired"] = _pub(session, page, "Tin hết hạn", when=at(19, 9), status="expired").id
    for pub_id, day in ((ids["loud_morning"], 14), (ids["loud_evening"], 15)):
        session.add(
            BroadcastConfirmation(
                commune_code=TAN_PHONG,
                air_date=date(2025, 11, day),
                publication_id=pub_id,
                confirmed_at=at(day, 19),
            )
        )
    session.add_all(
        [
            EngagementReading(
                publication_id=ids["fb_before"], read_at=at(11, 9), figures={"reactions": 1}
            ),
            EngagementReading(
                publication_id=ids["fb_before"],
                read_at=at(20, 9),
                figures={"reactions": 12, "comments": 3, "shares": 2},
            ),
            EngagementReading(
                publication_id=ids["fb_after"],
                read_at=at(20, 9),
                figures={"reactions": 5, "comments": 0, "shares": 0},
            ),
        ]
    )
    session.flush()
    return ids


# What the report must say for the whole month (no campaign, no unit).
EXPECTED_SUMMARY = {
    "published": 7,
    "channels": 3,
    "feed_articles": 2,
    "broadcasts_scheduled": 4,
    "broadcasts_aired": 2,
    "silent_communes": 1,
    "drives_covered": 1,
    "failed": 1,
    "expired": 1,
    "engagement_reactions": 17,
    "engagement_comments": 3,
    "engagement_shares": 2,
}
