"""The feed we render, element by element, against the RSS checklist."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import pytest

from channels.portal_rss import (
    Enclosure,
    etag_for,
    http_date,
    render_feed,
    rfc822_date,
)
from tests.unit.rss.samples import (
    ATOM,
    CONTENT,
    FEED_URL,
    SITE,
    channel,
    html_tags,
    item,
    parse_xml,
    text_nodes,
)


def _channel_el(data: bytes):
    root = parse_xml(data)
    assert root.tag == "rss"
    assert root.get("version") == "2.0"
    (chan,) = root.findall("channel")
    return chan


def test_document_is_utf8_rss2_with_atom_and_content_namespaces():
    data = render_feed(channel(), [item()])
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    head = data.split(b">", 2)[1]
    assert b'xmlns:atom="http://www.w3.org/2005/Atom"' in head
    assert b'xmlns:content="http://purl.org/rss/1.0/modules/content/"' in head
    assert "Chủ nhật Đỏ".encode() in data  # raw UTF-8, not character references


def test_channel_elements():
    chan = _channel_el(render_feed(channel(), [item(1), item(2)]))
    assert chan.findtext("title") == "Hiến máu tình nguyện Lai Châu"
    assert chan.findtext("link") == SITE
    assert chan.findtext("description").startswith("Tin về các đợt hiến máu")
    assert chan.findtext("language") == "vi"
    assert chan.findtext("generator") == "campaign-publisher"
    assert chan.findtext("ttl") == "30"
    (self_link,) = chan.findall(f"{ATOM}link")
    assert self_link.attrib == {"href": FEED_URL, "rel": "self", "type": "application/rss+xml"}


def test_ttl_is_optional():
    chan = _channel_el(render_feed(channel(ttl_minutes=None), [item()]))
    assert chan.find("ttl") is None


def test_last_build_date_is_the_newest_item_not_now():
    older = item(1, published_at=datetime(2024, 12, 1, 1, 0, tzinfo=UTC))
    newest = item(2, published_at=datetime(2025, 4, 7, 0, 0, tzinfo=UTC))
    chan = _channel_el(render_feed(channel(), [older, newest]))
    assert chan.findtext("lastBuildDate") == "Mon, 07 Apr 2025 07:00:00 +0700"


def test_empty_feed_has_no_last_build_date_and_is_stable():
    first = render_feed(channel(), [])
    chan = _channel_el(first)
    assert chan.find("lastBuildDate") is None
    assert chan.findall("item") == []
    assert render_feed(channel(), []) == first


def test_item_elements():
    chan = _channel_el(render_feed(channel(), [item(7)]))
    (el,) = chan.findall("item")
    assert el.findtext("title") == "Chủ nhật Đỏ lần thứ 7: mời bà con đến hiến máu"
    assert el.findtext("link") == f"{SITE}articles/7-chu-nhat-do"
    guid = el.find("guid")
    assert guid.text == "urn:campaign-publisher:content:7"
    assert guid.attrib == {"isPermaLink": "false"}
    assert el.findtext("pubDate") == "Fri, 20 Dec 2024 07:30:07 +0700"
    assert [c.text for c in el.findall("category")] == ["Chủ nhật Đỏ", "hien-mau"]
    content = el.findtext(f"{CONTENT}encoded")
    assert "Mỗi giọt máu cho đi" in content
    assert f'href="{SITE}chien-dich/chu-nhat-do"' in content
    assert f'src="{SITE}media/poster-1.png"' in content


def test_description_is_the_summary_with_one_absolute_image():
    chan = _channel_el(render_feed(channel(), [item()]))
    description = chan.find("item").findtext("description")
    assert description.count("<img ") == 1
    assert f'<img src="{SITE}media/poster-1.png"' in description
    assert description.endswith("Đợt hiến máu tại Trung tâm Văn hóa tỉnh, từ 7 giờ 30 sáng.")


def test_description_without_image_is_plain_summary_escaped_as_html():
    data = render_feed(channel(), [item(image_url=None, summary="Nhóm máu A & B <O>")])
    description = _channel_el(data).find("item").findtext("description")
    assert description == "Nhóm máu A &amp; B &lt;O&gt;"


def test_exactly_one_enclosure_with_absolute_url_length_and_type():
    chan = _channel_el(render_feed(channel(), [item()]))
    (enclosure,) = chan.find("item").findall("enclosure")
    assert enclosure.attrib == {
        "url": f"{SITE}media/poster-1.png",
        "length": "204800",
        "type": "image/png",
    }


def test_item_without_enclosure_has_none():
    chan = _channel_el(render_feed(channel(), [item(enclosure=None)]))
    assert chan.find("item").find("enclosure") is None


def test_pub_dates_carry_a_numeric_vietnam_zone():
    summer = item(2, published_at=datetime(2025, 6, 14, 1, 0, tzinfo=UTC))
    other_zone = item(
        3, published_at=datetime(2025, 4, 7, 9, 0, tzinfo=timezone(timedelta(hours=9)))
    )
    chan = _channel_el(render_feed(channel(), [item(1), summer, other_zone]))
    for el in chan.findall("item"):
        text = el.findtext("pubDate")
        assert text.endswith(" +0700")
        parsed = parsedate_to_datetime(text)
        assert parsed.utcoffset() == timedelta(hours=7)
    assert rfc822_date(datetime(2025, 4, 7, 9, 0, tzinfo=timezone(timedelta(hours=9)))) == (
        "Mon, 07 Apr 2025 07:00:00 +0700"
    )


def test_items_come_newest_first_whatever_the_input_order():
    items = [item(n, published_at=datetime(2025, 1, n, tzinfo=UTC)) for n in (3, 1, 2)]
    data = render_feed(channel(), items)
    guids = [el.findtext("guid") for el in _channel_el(data).findall("item")]
    assert guids == [f"urn:campaign-publisher:content:{n}" for n in (3, 2, 1)]
    assert render_feed(channel(), list(reversed(items))) == data


def test_identical_input_gives_identical_bytes():
    items = [item(n) for n in range(1, 6)]
    assert render_feed(channel(), items) == render_feed(channel(), items)


def test_repeated_guid_keeps_the_newest_version_only():
    original = item(1, title="Bản cũ", published_at=datetime(2025, 1, 1, tzinfo=UTC))
    corrected = item(1, title="Bản đính chính", published_at=datetime(2025, 1, 2, tzinfo=UTC))
    chan = _channel_el(render_feed(channel(), [original, corrected, item(2)]))
    guids = [el.findtext("guid") for el in chan.findall("item")]
    assert len(guids) == len(set(guids)) == 2
    titles = [el.findtext("title") for el in chan.findall("item")]
    assert "Bản đính chính" in titles
    assert "Bản cũ" not in titles


def test_every_url_is_absolute():
    relative = item(1, link="/articles/1-x", image_url="media/a.png")
    relative = dataclasses.replace(relative, enclosure=Enclosure("/media/a.mp3", 10, "audio/mpeg"))
    chan = _channel_el(render_feed(channel(), [relative]))
    el = chan.find("item")
    urls = [el.findtext("link"), el.find("enclosure").get("url"), chan.findtext("link")]
    urls.append(chan.find(f"{ATOM}link").get("href"))
    for url in urls:
        parts = urlsplit(url)
        assert parts.scheme == "https"
        assert parts.netloc == "hienmau.laichau.gov.vn"


def test_xss_payloads_come_out_inert():
    evil = item(
        1,
        title='<script>alert("tiêu đề")</script><img src=x onerror=alert(1)>',
        summary="<script>alert(2)</script>",
        content_html=(
            '<p onclick="alert(3)">Chào</p><script>alert(4)</script>'
            '<a href="javascript:alert(5)">bấm</a><img src="x" onerror="alert(6)">'
            '<iframe src="https://evil.example/"></iframe>'
        ),
        categories=("<script>alert(7)</script>",),
        image_url='https://cdn.example.vn/a.png" onerror="alert(8)',
    )
    root = parse_xml(render_feed(channel(title="<b>Kênh</b><script>x</script>"), [evil]))
    for value in text_nodes(root):
        # What a reader that renders the node as HTML would build from it.
        tags = html_tags(value)
        assert not {name for name, _ in tags} & {"script", "iframe", "b"}, value
        for _, attrs in tags:
            assert not [name for name in attrs if name.startswith("on")], value
            assert not [v for v in attrs.values() if "javascript:" in (v or "")], value
        assert "<script" not in value.lower()
    el = root.find("channel/item")
    assert el.findtext("title").startswith("&lt;script&gt;alert")
    assert el.findtext("category") == "&lt;script&gt;alert(7)&lt;/script&gt;"


def test_characters_illegal_in_xml_are_removed():
    dirty = "Hiến\x00 máu\x01\x08\x0b\x0c\x1f\x7f\x9b\ud800\ufffe tình nguyện"
    data = render_feed(
        channel(title=dirty),
        [item(title=dirty, summary=dirty, content_html=f"<p>{dirty}</p>", categories=(dirty,))],
    )
    root = parse_xml(data)  # a strict parser would refuse any of them
    el = root.find("channel/item")
    assert el.findtext("title") == "Hiến máu tình nguyện"
    assert root.findtext("channel/title") == "Hiến máu tình nguyện"
    assert el.findtext("category") == "Hiến máu tình nguyện"
    for bad in ("\x00", "\x01", "\x0b", "\x1f", "\x7f", "\x9b", "\ufffe"):
        assert bad.encode("utf-8", "surrogatepass") not in data


def test_cdata_terminator_in_content_does_not_break_the_document():
    tricky = item(content_html="<p>a]]>b ]]&gt; <![CDATA[c]]></p>", summary="x ]]> y")
    el = parse_xml(render_feed(channel(), [tricky])).find("channel/item")
    assert "a]]&gt;b ]]&gt;" in el.findtext(f"{CONTENT}encoded")
    assert el.findtext("description").endswith("x ]]&gt; y")


@pytest.mark.parametrize(
    "change",
    [
        {"published_at": datetime(2024, 12, 20, 7, 30)},
        {"link": "javascript:alert(1)"},
        {"image_url": "data:image/png;base64,AAAA"},
    ],
)
def test_invalid_items_are_refused(change):
    with pytest.raises(ValueError):
        render_feed(channel(), [item(**change)])


def test_channel_urls_must_be_absolute():
    with pytest.raises(ValueError):
        render_feed(channel(link="/relative"), [])


def test_etag_is_strong_quoted_and_follows_the_body():
    body = render_feed(channel(), [item()])
    tag = etag_for(body)
    assert tag.startswith('"') and tag.endswith('"') and not tag.startswith("W/")
    assert etag_for(body) == tag
    assert etag_for(body + b" ") != tag


def test_http_date_is_gmt():
    vietnam = timezone(timedelta(hours=7))
    assert http_date(datetime(2024, 12, 20, 7, 30, 0, 123, tzinfo=vietnam)) == (
        "Fri, 20 Dec 2024 00:30:00 GMT"
    )
    with pytest.raises(ValueError):
        http_date(datetime(2024, 12, 20, 7, 30))
