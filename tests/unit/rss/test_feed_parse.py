"""parse_feed on the feed shapes newspapers and portals actually publish."""

from __future__ import annotations

import io
import unicodedata
from datetime import UTC, datetime

import feedparser
import pytest

from publisher.feedimport.parse import FeedParseError, parse_feed

BASE = "https://baolaichau.vn/rss/xa-hoi.rss"

RSS2 = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:media="http://search.yahoo.com/mrss/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Báo Lai Châu - Xã hội</title>
  <link>/xa-hoi</link>
  <description>Tin xã hội</description>
  <item>
    <title>Hơn 300 đơn vị máu trong ngày &lt;b&gt;Chủ nhật Đỏ&lt;/b&gt;</title>
    <link>/xa-hoi/hon-300-don-vi-mau-123.html</link>
    <guid isPermaLink="false">bao-lc-123</guid>
    <description><![CDATA[<a href="/x"><img src="/anh/thumb-123.jpg"></a>
      Sáng 20/12, tại Trung tâm Văn hóa tỉnh&hellip;]]></description>
    <content:encoded><![CDATA[
      <p style="color:red" onclick="alert(1)">Sáng 20/12 <a href="/tin/1">tin</a></p>
      <script>alert(2)</script><img src="anh/to.jpg" onerror="alert(3)">
      <a href="javascript:alert(4)">x</a>]]></content:encoded>
    <pubDate>Fri, 20 Dec 2024 07:30:00 +0700</pubDate>
    <dc:creator>Thu Hà</dc:creator>
    <media:thumbnail url="/anh/media-123.jpg"/>
  </item>
  <item>
    <title>Tin không có guid</title>
    <link>https://baolaichau.vn/xa-hoi/khong-guid.html</link>
    <description>Chỉ có mô tả &amp; không có nội dung đầy đủ.</description>
    <enclosure url="/anh/enc.png" type="image/png" length="100"/>
  </item>
  <item>
    <title>Không có guid lẫn liên kết</title>
    <description>Nội dung</description>
    <pubDate>Sat, 21 Dec 2024 08:00:00 GMT</pubDate>
  </item>
</channel>
</rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://vienhuyethoc.vn/">
  <title type="html">Viện Huyết học &amp;amp; Truyền máu TW</title>
  <link rel="alternate" href="/"/>
  <id>tag:vienhuyethoc.vn,2025:feed</id>
  <updated>2025-04-07T08:00:00+07:00</updated>
  <entry>
    <title type="html">&lt;em&gt;Ngày toàn dân hiến máu&lt;/em&gt; 7/4</title>
    <link rel="alternate" href="tin/7-4.html"/>
    <id>tag:vienhuyethoc.vn,2025:7-4</id>
    <updated>2025-04-07T08:00:00+07:00</updated>
    <author><name>Phòng Truyền thông</name></author>
    <summary type="text">Người hiến máu từ 18 đến 60 tuổi &lt;đủ sức khỏe&gt;.</summary>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">
      <p>Cân nặng tối thiểu 45 kg với nam, 42 kg với nữ. <img src="img/a.png"/></p>
    </div></content>
  </entry>
</feed>"""

RSS1 = """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://x.vn/"><title>RSS 1.0</title><link>https://x.vn/</link>
    <description>d</description></channel>
  <item rdf:about="https://x.vn/a"><title>Mục RSS 1.0</title><link>https://x.vn/a</link>
    <dc:date>2025-06-14T07:00:00+07:00</dc:date></item>
</rdf:RDF>"""

RSS091 = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="0.91"><channel><title>Cũ</title><link>https://cu.vn/</link>
<description>d</description><language>vi</language>
<item><title>Mục RSS 0.91</title><link>https://cu.vn/1</link>
<description>Tóm tắt</description></item>
</channel></rss>"""


def _parse(text: str, content_type: str | None = "application/rss+xml; charset=utf-8"):
    return parse_feed(text.encode("utf-8"), content_type=content_type, base_url=BASE)


def test_rss2_fields_are_plain_absolute_and_sanitised():
    feed = _parse(RSS2)
    assert feed.title == "Báo Lai Châu - Xã hội"
    assert feed.link == "https://baolaichau.vn/xa-hoi"
    first = feed.entries[0]
    assert first.guid == "bao-lc-123"
    assert first.title == "Hơn 300 đơn vị máu trong ngày Chủ nhật Đỏ"
    assert first.link == "https://baolaichau.vn/xa-hoi/hon-300-don-vi-mau-123.html"
    assert first.summary == "Sáng 20/12, tại Trung tâm Văn hóa tỉnh…"
    assert first.published_at == datetime(2024, 12, 20, 0, 30, tzinfo=UTC)
    assert first.author == "Thu Hà"
    assert first.image_url == "https://baolaichau.vn/anh/media-123.jpg"
    html = first.content_html
    for bad in ("<script", "onclick", "onerror", "javascript:", "style="):
        assert bad not in html
    assert 'href="https://baolaichau.vn/tin/1"' in html
    assert 'src="https://baolaichau.vn/rss/anh/to.jpg"' in html


def test_missing_guid_falls_back_to_link_then_to_a_stable_hash():
    entries = _parse(RSS2).entries
    assert entries[1].guid == "https://baolaichau.vn/xa-hoi/khong-guid.html"
    assert entries[1].published_at is None
    assert entries[1].image_url == "https://baolaichau.vn/anh/enc.png"
    assert entries[1].content_html == "<p>Chỉ có mô tả &amp; không có nội dung đầy đủ.</p>"
    assert entries[1].summary == "Chỉ có mô tả & không có nội dung đầy đủ."
    assert entries[2].link is None
    assert entries[2].guid.startswith("sha256:")
    assert _parse(RSS2).entries[2].guid == entries[2].guid


def test_atom_with_xml_base_and_html_titles():
    feed = _parse(ATOM, "application/atom+xml")
    assert feed.title == "Viện Huyết học & Truyền máu TW"
    assert feed.link == "https://vienhuyethoc.vn/"
    (entry,) = feed.entries
    assert entry.guid == "tag:vienhuyethoc.vn,2025:7-4"
    assert entry.title == "Ngày toàn dân hiến máu 7/4"
    assert entry.link == "https://vienhuyethoc.vn/tin/7-4.html"
    assert entry.published_at == datetime(2025, 4, 7, 1, 0, tzinfo=UTC)
    assert entry.author == "Phòng Truyền thông"
    assert entry.summary == "Người hiến máu từ 18 đến 60 tuổi <đủ sức khỏe>."
    assert "Cân nặng tối thiểu 45 kg" in entry.content_html
    assert entry.image_url == "https://vienhuyethoc.vn/img/a.png"


@pytest.mark.parametrize(("text", "title"), [(RSS1, "Mục RSS 1.0"), (RSS091, "Mục RSS 0.91")])
def test_older_rss_versions(text, title):
    (entry,) = _parse(text, "application/xml").entries
    assert entry.title == title
    assert entry.link.startswith("https://")


def test_rss1_dates_are_aware_utc():
    (entry,) = _parse(RSS1, "application/rdf+xml").entries
    assert entry.published_at == datetime(2025, 6, 14, 0, 0, tzinfo=UTC)
    assert entry.published_at.tzinfo is UTC


def test_everything_comes_out_nfc():
    decomposed = unicodedata.normalize("NFD", RSS2)
    assert decomposed != RSS2
    entry = _parse(decomposed).entries[0]
    for value in (entry.title, entry.summary, entry.content_html, entry.author):
        assert unicodedata.is_normalized("NFC", value)
    assert entry.title == "Hơn 300 đơn vị máu trong ngày Chủ nhật Đỏ"


def test_entity_encoded_script_in_a_title_leaves_no_markup():
    text = RSS091.replace(
        "Mục RSS 0.91", "&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;Tin"
    )
    (entry,) = _parse(text).entries
    assert "<" not in entry.title
    assert entry.title.endswith("Tin")


def test_a_wrong_encoding_in_the_prolog_is_corrected():
    text = RSS2.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')
    feed = parse_feed(text.encode("utf-8"), content_type="text/xml", base_url=BASE)
    assert feed.title == "Báo Lai Châu - Xã hội"
    assert feed.entries[0].author == "Thu Hà"


def test_a_windows_1252_declaration_on_a_utf8_body_is_corrected():
    # Every byte of this UTF-8 text is defined in Windows-1252, so decoding it as
    # declared "succeeds" and feedparser alone returns mojibake ("Viá»‡t").
    text = RSS091.replace("UTF-8", "windows-1252").replace("Mục RSS 0.91", "Hội hiến máu Việt Nam")
    body = text.encode("utf-8")
    body.decode("cp1252")
    declared = "application/rss+xml; charset=windows-1252"
    raw = feedparser.parse(io.BytesIO(body), response_headers={"content-type": declared})
    assert raw.entries[0].title != "Hội hiến máu Việt Nam"
    (entry,) = parse_feed(body, content_type=declared, base_url=BASE).entries
    assert entry.title == "Hội hiến máu Việt Nam"


def test_a_legacy_encoding_declared_as_utf8_in_the_header_still_decodes():
    text = (
        RSS091.replace("UTF-8", "ISO-8859-1")
        .replace("Cũ", "Tin")
        .replace("Mục RSS 0.91", "Hà Giang, Cà Mau, Phú Yên")
        .replace("Tóm tắt", "Tóm")
    )
    body = text.encode("iso-8859-1")  # every character above exists in Latin-1
    (entry,) = parse_feed(body, content_type="text/xml; charset=utf-8", base_url=BASE).entries
    assert entry.title == "Hà Giang, Cà Mau, Phú Yên"


def test_broken_xml_with_entries_is_kept():
    broken = RSS2.replace("<title>Tin không có guid</title>", "<title>Tin &nbsp; lỗi <b></title>")
    feed = _parse(broken)
    assert len(feed.entries) == 3
    assert feed.entries[0].guid == "bao-lc-123"


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</titl',
        b"<html><head><title>404</title></head><body><p>Kh\xc3\xb4ng t\xc3\xacm th\xe1\xba\xa5y",
        b"",
        b"   \n",
    ],
)
def test_unreadable_bodies_raise_a_vietnamese_error(body):
    with pytest.raises(FeedParseError) as caught:
        parse_feed(body, content_type="text/html", base_url=BASE)
    assert caught.value.message_vi
    assert unicodedata.is_normalized("NFC", caught.value.message_vi)
    assert caught.value.detail_en


def test_well_formed_xml_that_is_not_a_feed_is_refused():
    with pytest.raises(FeedParseError, match="không phải nguồn tin"):
        parse_feed(b"<?xml version='1.0'?><note><to>A</to></note>", base_url=BASE)


def test_a_valid_feed_with_no_items_is_empty_not_an_error():
    empty = RSS091.split("<item>")[0] + "</channel></rss>"
    feed = _parse(empty)
    assert feed.title == "Cũ"
    assert feed.entries == []


def test_long_summaries_are_cut_at_a_word():
    long = RSS091.replace("Tóm tắt", "hiến máu " * 200)
    (entry,) = _parse(long).entries
    assert len(entry.summary) <= 501
    assert entry.summary.endswith("…")
    assert entry.summary[:-1].split()[-1] in {"hiến", "máu"}
