"""Our feed read back by feedparser (what portals and aggregators use) and by our importer.

feedparser's bozo flag only reports broken XML and silently drops a date it cannot
parse, so each property is checked explicitly.
"""

from __future__ import annotations

import calendar
import io
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import feedparser
import pytest

from channels.portal_rss import render_feed
from content_library.sanitize import html_to_text
from publisher.feedimport.parse import parse_feed
from tests.unit.rss.samples import FEED_URL, SITE, channel, html_tags, item

ITEMS = [
    item(1),
    item(2, published_at=datetime(2025, 4, 7, 1, 0, tzinfo=UTC), enclosure=None),
    item(
        3,
        title="Ngày Thế giới tôn vinh người hiến máu 14/6 & lễ trao thưởng",
        published_at=datetime(2025, 6, 14, 0, 0, tzinfo=UTC),
        categories=("Ngày Thế giới tôn vinh người hiến máu 14/6",),
        image_url=None,
    ),
]


@pytest.fixture(scope="module")
def parsed():
    data = render_feed(channel(), ITEMS)
    headers = {"content-location": FEED_URL, "content-type": "application/rss+xml; charset=utf-8"}
    return feedparser.parse(io.BytesIO(data), response_headers=headers)


def test_feedparser_reads_a_clean_rss2_feed(parsed):
    assert parsed.bozo is False, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert parsed.encoding.lower() == "utf-8"
    assert parsed.feed.title == "Hiến máu tình nguyện Lai Châu"
    assert parsed.feed.link == SITE
    assert parsed.feed.language == "vi"
    assert parsed.feed.ttl == "30"
    self_links = [link for link in parsed.feed.links if link.rel == "self"]
    assert [(link.href, link.type) for link in self_links] == [(FEED_URL, "application/rss+xml")]
    assert parsed.feed.updated == "Sat, 14 Jun 2025 07:00:00 +0700"


def test_titles_links_and_guids_survive(parsed):
    by_guid = {entry.id: entry for entry in parsed.entries}
    assert len(by_guid) == len(parsed.entries) == len(ITEMS)
    for source in ITEMS:
        entry = by_guid[source.guid]
        assert entry.title == source.title
        assert entry.link == source.link
        assert entry.guidislink is False


def test_every_date_parses_with_its_zone(parsed):
    by_guid = {entry.id: entry for entry in parsed.entries}
    for source in ITEMS:
        entry = by_guid[source.guid]
        assert entry.published.endswith("+0700")
        assert parsedate_to_datetime(entry.published).utcoffset() == timedelta(hours=7)
        assert entry.published_parsed is not None, "feedparser dropped the date"
        as_utc = datetime.fromtimestamp(calendar.timegm(entry.published_parsed), UTC)
        assert as_utc == source.published_at


def test_content_summary_categories_and_enclosure(parsed):
    by_guid = {entry.id: entry for entry in parsed.entries}
    first = by_guid[ITEMS[0].guid]
    (content,) = first.content
    assert content.type == "text/html"
    assert "Mỗi giọt máu cho đi, một cuộc đời ở lại." in html_to_text(content.value)
    assert html_to_text(first.summary).endswith("từ 7 giờ 30 sáng.")
    assert [tag.term for tag in first.tags] == ["Chủ nhật Đỏ", "hien-mau"]
    assert [link.href for link in first.enclosures] == [f"{SITE}media/poster-1.png"]
    assert by_guid[ITEMS[1].guid].enclosures == []


def test_every_url_in_entries_is_absolute(parsed):
    for entry in parsed.entries:
        urls = [entry.link] + [link.href for link in entry.links]
        for markup in [entry.summary] + [c.value for c in entry.content]:
            for _, attrs in html_tags(markup):
                urls += [attrs[name] for name in ("href", "src") if attrs.get(name)]
        for url in urls:
            assert urlsplit(url).scheme == "https", url


def test_xss_payloads_stay_inert_through_feedparser():
    evil = item(
        1,
        title="<script>alert(1)</script> Hiến máu",
        summary="<script>alert(2)</script>",
        content_html='<script>alert(3)</script><p onmouseover="alert(4)">Nội dung</p>',
        categories=("<script>alert(5)</script>",),
    )
    result = feedparser.parse(io.BytesIO(render_feed(channel(), [evil])))
    entry = result.entries[0]
    for value in [entry.title, entry.summary, entry.content[0].value, entry.tags[0].term]:
        assert "<script" not in value.lower()
        assert "onmouseover" not in value.lower()
    assert html_to_text(entry.title) == "<script>alert(1)</script> Hiến máu"


def test_cdata_terminator_round_trips():
    tricky = item(content_html="<p>a ]]> b</p>")
    result = feedparser.parse(io.BytesIO(render_feed(channel(), [tricky])))
    assert result.bozo is False
    assert html_to_text(result.entries[0].content[0].value) == "a ]]> b"


def test_our_importer_reads_our_feed_back():
    data = render_feed(channel(), ITEMS)
    feed = parse_feed(data, content_type="application/rss+xml; charset=utf-8", base_url=FEED_URL)
    assert feed.title == "Hiến máu tình nguyện Lai Châu"
    assert feed.link == SITE
    by_guid = {entry.guid: entry for entry in feed.entries}
    for source in ITEMS:
        entry = by_guid[source.guid]
        assert entry.title == source.title
        assert entry.link == source.link
        assert entry.published_at == source.published_at
        assert entry.summary == source.summary
        assert "Mỗi giọt máu cho đi" in entry.content_html
    assert by_guid[ITEMS[0].guid].image_url == f"{SITE}media/poster-1.png"
