"""A realistic data set for walking every page: the shipped 2025 plan plus rows of each kind."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from PIL import Image

from tests.browser.support import LOCAL


@dataclass
class Seeded:
    article_id: int
    review_id: int
    publication_id: int
    failed_id: int
    channel_id: int
    campaign_id: int
    drive_id: int
    feed_source_id: int
    playbook_id: int


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (400, 560), "#b91c1c").save(out, "PNG")
    return out.getvalue()


def seed_pages(app: Any, editor_id: int, approver_id: int) -> Seeded:
    from content_library.assets import store_image
    from content_library.db import utcnow
    from content_library.models import Campaign, Drive
    from content_library.services import approve, create_content, edit_content, submit
    from publisher.auth.models import User
    from publisher.auth.services import create_token
    from publisher.db import db
    from publisher.delivery.channels import create_channel
    from publisher.delivery.publications import schedule
    from publisher.feedimport.models import FeedSource
    from publisher.loudspeaker.models import BroadcastConfirmation
    from publisher.planning.models import PlaybookRecord
    from publisher.seed import seed_reference

    settings = app.config["SETTINGS"]
    with app.app_context():
        session = db.session
        seed_reference(session, echo=lambda _line: None)
        now = utcnow()
        today = now.astimezone(LOCAL).date()
        campaign = Campaign(
            slug="mua-dong-am",
            name="Mùa đông ấm — Giọt hồng Lai Châu",
            description="Vận động hiến máu mùa đông.",
            starts_on=today - timedelta(days=30),
            ends_on=today + timedelta(days=60),
        )
        session.add(campaign)
        session.flush()
        past = Drive(
            campaign_id=campaign.id,
            name="Đợt hiến máu phường Tân Phong",
            starts_at=datetime.combine(today - timedelta(days=10), time(7, 30), LOCAL),
            ends_at=datetime.combine(today - timedelta(days=10), time(11, 30), LOCAL),
            location="Hội trường UBND phường Tân Phong",
            commune_code="03408",
            target_units=350,
            result_units=372,
            status="done",
        )
        coming = Drive(
            campaign_id=campaign.id,
            name="Đợt hiến máu xã Mường Kim",
            starts_at=datetime.combine(today + timedelta(days=12), time(7, 0), LOCAL),
            ends_at=datetime.combine(today + timedelta(days=12), time(11, 0), LOCAL),
            location="Nhà văn hoá xã Mường Kim",
            commune_code="03637",
            target_units=150,
            status="confirmed",
        )
        session.add_all([past, coming])
        key = settings.SECRET_KEY
        webhook = create_channel(
            session,
            kind="webhook",
            slug="doi-tac",
            name="Cổng đối tác",
            settings={"url": "http://127.0.0.1:9/hook", "secret": "receiver-secret-0123456789"},
            secret_key=key,
        )
        create_channel(
            session,
            kind="rss",
            slug="cong-tinh",
            name="Cổng thông tin tỉnh",
            settings={"title": "Hiến máu Lai Châu"},
            secret_key=key,
        )
        fanpage = create_channel(
            session,
            kind="fanpage",
            slug="fanpage",
            name="Fanpage Sở",
            settings={"page_id": "1234567890", "access_token": "EAAB-test"},
            secret_key=key,
        )
        fanpage.health_status = "needs_attention"
        fanpage.health_reason = "Mã truy cập đã hết hạn"
        loud = create_channel(
            session,
            kind="loudspeaker",
            slug="loa",
            name="Loa các xã",
            settings={"commune_codes": ["03408", "03388", "03637"]},
            secret_key=key,
        )
        asset, _ = store_image(
            session,
            _png(),
            "poster.png",
            created_by=editor_id,
            max_bytes=settings.ASSET_MAX_BYTES,
            max_pixels=settings.ASSET_MAX_PIXELS,
        )
        article = create_content(
            session,
            kind="article",
            title="Tiêu chuẩn người hiến máu",
            body="Người từ 18 đến 60 tuổi, nữ từ 42 kg, nam từ 45 kg.",
            summary="Ai có thể hiến máu?",
            author_id=editor_id,
            campaign_id=campaign.id,
            tags=["tiêu chuẩn"],
            asset_id=asset.id,
        )
        submit(article, editor_id)
        approve(session, article, approver_id)
        review = create_content(
            session,
            kind="script",
            title="Thông báo đợt hiến máu",
            body="Ngày 12/01/2025 có đợt hiến máu tại UBND xã.",
            author_id=editor_id,
            campaign_id=campaign.id,
        )
        submit(review, editor_id)
        approve(session, review, approver_id)
        edit_content(
            session, review, {"body": "Ngày 19/01/2025 có đợt hiến máu tại UBND xã."}, editor_id
        )
        submit(review, editor_id)
        create_content(
            session,
            kind="poster",
            title="Áp phích Chủ nhật Đỏ",
            body="",
            author_id=editor_id,
            asset_id=asset.id,
        )
        session.flush()
        delivered = schedule(
            session,
            content_id=article.id,
            channel_id=webhook.id,
            scheduled_at=now - timedelta(days=3),
        )
        delivered.status, delivered.published_at = "published", now - timedelta(days=3)
        failed = schedule(
            session,
            content_id=article.id,
            channel_id=fanpage.id,
            scheduled_at=now - timedelta(hours=5),
        )
        failed.status, failed.attempts = "failed", 5
        failed.last_error = "Trang từ chối bài đăng (mã 368)"
        schedule(
            session,
            content_id=article.id,
            channel_id=webhook.id,
            scheduled_at=now + timedelta(days=2),
        )
        aired = schedule(
            session,
            content_id=article.id,
            channel_id=loud.id,
            scheduled_at=datetime.combine(today, time(6), LOCAL),
            slot="morning",
        )
        aired.status, aired.published_at = "published", now
        session.flush()
        session.add(
            BroadcastConfirmation(
                commune_code="03408", air_date=today, publication_id=aired.id, confirmed_by=None
            )
        )
        source = FeedSource(
            url="https://baolaichau.vn/rss/xa-hoi.rss",
            name="Báo Lai Châu",
            last_status="error",
            last_error="Máy chủ trả lời 503",
            last_fetched_at=now - timedelta(hours=1),
        )
        session.add(source)
        create_token(session, "Cổng đối tác", session.get(User, editor_id))
        playbook = session.query(PlaybookRecord).first()
        session.commit()
        return Seeded(
            article.id,
            review.id,
            delivered.id,
            failed.id,
            webhook.id,
            campaign.id,
            coming.id,
            source.id,
            playbook.id if playbook else 0,
        )


def today_local() -> date:
    return datetime.now(LOCAL).date()
