"""Sample feed data for the RSS tests: real-looking Lai Châu campaign items."""

from __future__ import annotations

import dataclasses
import io
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from channels.portal_rss import Enclosure, FeedChannel, FeedItem

SITE = "https://hienmau.laichau.gov.vn/"
FEED_URL = "https://hienmau.laichau.gov.vn/feeds/cong-tinh.rss"
ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"


def channel(**changes: Any) -> FeedChannel:
    base = FeedChannel(
        title="Hiến máu tình nguyện Lai Châu",
        link=SITE,
        description="Tin về các đợt hiến máu tình nguyện trên địa bàn tỉnh Lai Châu",
        self_url=FEED_URL,
        ttl_minutes=30,
    )
    return dataclasses.replace(base, **changes)


def item(n: int = 1, **changes: Any) -> FeedItem:
    base = FeedItem(
        guid=f"urn:campaign-publisher:content:{n}",
        title=f"Chủ nhật Đỏ lần thứ {n}: mời bà con đến hiến máu",
        link=f"{SITE}articles/{n}-chu-nhat-do",
        summary="Đợt hiến máu tại Trung tâm Văn hóa tỉnh, từ 7 giờ 30 sáng.",
        content_html=(
            '<p>Mỗi giọt máu cho đi, một cuộc đời ở lại. <a href="/chien-dich/chu-nhat-do">'
            'Xem chiến dịch</a></p><p><img src="/media/poster-1.png" alt="Áp phích"></p>'
        ),
        published_at=datetime(2024, 12, 20, 0, 30, n, tzinfo=UTC),
        categories=("Chủ nhật Đỏ", "hien-mau"),
        enclosure=Enclosure(url="/media/poster-1.png", length=204_800, mime="image/png"),
        image_url="/media/poster-1.png",
    )
    return dataclasses.replace(base, **changes)


def parse_xml(data: bytes) -> ET.Element:
    """Our own output, parsed strictly: any XML error fails the test."""
    return ET.parse(io.BytesIO(data)).getroot()  # noqa: S314 - our own output, not untrusted


def text_nodes(root: ET.Element) -> list[str]:
    """Every text and attribute value in the document, as a reader would see it."""
    values: list[str] = []
    for element in root.iter():
        values.append(element.text or "")
        values.extend(element.attrib.values())
    return values


class _TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def html_tags(markup: str) -> list[tuple[str, dict[str, str | None]]]:
    """The elements an HTML renderer would create from ``markup``, with their attributes."""
    collector = _TagCollector()
    collector.feed(markup)
    collector.close()
    return collector.tags
