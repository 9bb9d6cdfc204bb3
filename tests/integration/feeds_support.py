"""Shared helpers for the feed tests: RSS channels, posters, and publishing for real."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

from flask import current_app
from PIL import Image
from sqlalchemy import update

from content_library.assets import store_image
from content_library.db import utcnow
from content_library.models import Campaign, Drive
from publisher.delivery.channels import create_channel
from publisher.delivery.models import Channel, Publication
from publisher.delivery.publications import schedule
from tests.factories import approved_content
from tests.servers import run_pipeline

BASE = "http://publisher.test"
NS = {"atom": "http://www.w3.org/2005/Atom", "content": "http://purl.org/rss/1.0/modules/content/"}


def rss_channel(session, slug: str = "cong-tinh", **settings: Any):
    values = {"title": "Tin hiến máu Lai Châu", "description": "Tin từ Sở VH-TT", **settings}
    return create_channel(
        session,
        kind="rss",
        slug=slug,
        name="Cổng tỉnh",
        settings=values,
        secret_key=current_app.config["SETTINGS"].SECRET_KEY,
    )


def poster(session, colour: tuple[int, int, int] = (200, 0, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), colour).save(buffer, "PNG")
    asset, _created = store_image(
        session,
        buffer.getvalue(),
        "poster.png",
        created_by=None,
        max_bytes=10_000_000,
        max_pixels=40_000_000,
    )
    return asset


def campaign(session, name: str = "Chủ nhật Đỏ", slug: str = "chu-nhat-do"):
    row = Campaign(slug=slug, name=name, starts_on=date(2024, 12, 1), ends_on=date(2026, 12, 31))
    session.add(row)
    session.flush()
    return row


def drive(session, campaign_id: int | None = None, **kw: Any):
    values: dict[str, Any] = {
        "name": "Ngày hội Chủ nhật Đỏ tại Tân Phong",
        # 7h30 to 11h30 in Lai Châu (UTC+7) on Friday 20/12/2030 (ahead, so it can be announced).
        "starts_at": datetime(2030, 12, 20, 0, 30, tzinfo=UTC),
        "ends_at": datetime(2030, 12, 20, 4, 30, tzinfo=UTC),
        "location": "Nhà Văn hóa tỉnh",
        "commune_code": "03408",
        "target_units": 1200,
        "status": "confirmed",
        "campaign_id": campaign_id,
    }
    values.update(kw)
    row = Drive(**values)
    session.add(row)
    session.flush()
    return row


def publish(app, session, items, channel, **kw: Any) -> list[int]:
    """Schedule each item on ``channel`` now and deliver through dispatcher and worker."""
    ids = []
    for item in items:
        pub = schedule(
            session,
            content_id=item.id,
            channel_id=channel.id,
            scheduled_at=utcnow() - timedelta(seconds=1),
            **kw,
        )
        ids.append(pub.id)
    session.commit()
    run_pipeline(app)
    session.expire_all()
    for pub_id in ids:
        assert session.get(Publication, pub_id).status == "published"
    return ids


def backdate(session, pub_ids: list[int], **delta: float) -> None:
    """Move publications (and the channels' last edit) into the past, a minute apart.

    HTTP dates count whole seconds: without this, a change made in the same second as
    the previous one would look "not modified" to a reader that only sends a date.
    """
    start = utcnow() - timedelta(**delta)
    session.execute(update(Channel).values(updated_at=start - timedelta(minutes=1)))
    for n, pub_id in enumerate(pub_ids):
        session.execute(
            update(Publication)
            .where(Publication.id == pub_id)
            .values(published_at=start + timedelta(minutes=n))
        )
    session.commit()


def article(session, title: str, **kw: Any):
    return approved_content(session, title=title, **kw)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def assert_inert(fragment: str) -> None:
    """As a browser would parse it: no script-capable element, handler or script URL."""
    parser = _Tags()
    parser.feed(fragment)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag not in {"script", "iframe", "svg", "object", "embed", "style", "math"}, tag
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert not (value or "").strip().lower().startswith(("javascript:", "data:")), value


def parse_xml(data: bytes) -> ET.Element:
    """Our own output, parsed strictly: any XML error fails the test."""
    return ET.parse(io.BytesIO(data)).getroot()  # noqa: S314 - our own output, not untrusted
