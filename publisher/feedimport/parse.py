"""Turn a fetched feed (RSS 0.9x/1.0/2.0 or Atom) into entries we can import.

feedparser does the format work, encoding detection and a first sanitising
pass; everything that reaches our database then goes through the content
library's allowlist sanitiser, gets absolute URLs, and is NFC-normalised.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from channels.portal_rss import absolutize_html, strip_invalid_xml_chars
from content_library.sanitize import (
    html_to_text,
    looks_like_html,
    nfc,
    plain_to_html,
    sanitize_html,
)

SUMMARY_MAX_CHARS = 500
TITLE_FALLBACK_CHARS = 120
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# feedparser raises its bozo flag for these, yet the feed itself parsed fine.
_HARMLESS_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


class FeedParseError(Exception):
    """The body is not a feed we can read: ``message_vi`` for editors, ``detail_en`` for logs."""

    def __init__(self, message_vi: str, detail_en: str) -> None:
        super().__init__(message_vi)
        self.message_vi = message_vi
        self.detail_en = detail_en


@dataclass(frozen=True)
class ImportedEntry:
    """One article from a feed: plain ``title``/``summary``, sanitised ``content_html``."""

    guid: str
    link: str | None
    title: str
    summary: str
    content_html: str
    published_at: datetime | None
    author: str | None
    image_url: str | None


@dataclass(frozen=True)
class ParsedFeed:
    """The feed's own title and site link, and its entries in document order."""

    title: str
    link: str | None
    entries: list[ImportedEntry] = field(default_factory=list)


def parse_feed(body: bytes, *, content_type: str | None = None, base_url: str) -> ParsedFeed:
    """Parse ``body`` fetched from ``base_url``; raise :class:`FeedParseError` if unreadable.

    Broken XML that still yields entries is accepted (feedparser's loose parser
    recovers many real feeds); broken XML with no entries is an error.
    """
    if not body or not body.strip():
        raise FeedParseError("Nguồn tin trống", f"empty body from {base_url}")
    headers = {"content-location": base_url}
    declared = _content_type_for(body, content_type)
    if declared:
        headers["content-type"] = declared
    # A BytesIO, never the bytes themselves: feedparser treats a bare string as a
    # possible file name or URL and would open it.
    result = feedparser.parse(io.BytesIO(body), response_headers=headers)
    entries = result.get("entries") or []
    if not entries:
        problem = result.get("bozo_exception") if result.get("bozo") else None
        if problem is not None and not isinstance(problem, _HARMLESS_BOZO):
            raise FeedParseError(
                "Nguồn tin bị lỗi định dạng, không đọc được bài nào",
                f"malformed feed from {base_url}: {problem}",
            )
        if not result.get("version"):
            raise FeedParseError(
                "Địa chỉ này không phải nguồn tin RSS hoặc Atom",
                f"no RSS/Atom document at {base_url}",
            )
    feed = result.get("feed") or {}
    return ParsedFeed(
        title=_plain(feed.get("title_detail")) or "",
        link=_web_url(feed.get("link"), base_url),
        entries=[_entry(e, base_url) for e in entries],
    )


def _content_type_for(body: bytes, content_type: str | None) -> str | None:
    # Servers often declare the wrong charset (ISO-8859-1 in the header or the XML
    # prolog for a UTF-8 body). Non-ASCII text in a legacy single-byte encoding is
    # almost never valid UTF-8, so a body that decodes as UTF-8 and is not plain
    # ASCII is UTF-8: say so, and feedparser's RFC 3023 rules let the header win.
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return content_type
    if body.isascii() or b"\x00" in body:
        return content_type
    return f"{media_type or 'application/xml'}; charset=utf-8"


def _clean(text: str) -> str:
    return nfc(strip_invalid_xml_chars(text))


def _one_line(text: str) -> str:
    return " ".join(_clean(text).split())


def _without_markup(text: str) -> str:
    # Unescaping can reveal markup that was entity-encoded once more ("&lt;b&gt;"),
    # so strip until nothing tag-like is left; plain text must never carry tags.
    for _ in range(5):
        if not looks_like_html(text):
            return text
        text = html_to_text(text)
    return text.replace("<", "").replace(">", "")


def _plain(detail: Any) -> str:
    """Plain one-line text from a feedparser text construct, HTML or not."""
    if not detail or not detail.get("value"):
        return ""
    value = detail["value"]
    if detail.get("type") in _HTML_TYPES:
        value = html_to_text(value)
    return _one_line(_without_markup(value))


def _web_url(url: str | None, base: str) -> str | None:
    if not url:
        return None
    joined = urljoin(base, url.strip())
    parts = urlsplit(joined)
    return joined if parts.scheme in ("http", "https") and parts.netloc else None


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(" ,.;:")
    return (cut or text[:limit]) + "…"


def _html_of(detail: Any) -> str:
    """A text construct as HTML: HTML stays, plain text is escaped into paragraphs."""
    value = _clean(detail.get("value") or "")
    if detail.get("type") in _HTML_TYPES:
        # The sanitiser treats tag-less input as plain text and would escape its
        # entities a second time; a wrapper keeps it on the HTML path.
        return value if looks_like_html(value) else f"<p>{value}</p>"
    return plain_to_html(value)


def _content_detail(entry: Any) -> Any:
    contents = entry.get("content") or []
    for detail in contents:
        if detail.get("type") in _HTML_TYPES and detail.get("value"):
            return detail
    for detail in contents:
        if detail.get("value"):
            return detail
    return entry.get("summary_detail")


def _published(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed: time.struct_time | None = entry.get(key)
        if parsed:
            try:
                return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
            except (OverflowError, ValueError, OSError):
                continue
    return None


class _FirstImage(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.src: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img" and self.src is None:
            self.src = dict(attrs).get("src")


def _image(entry: Any, content_html: str, base: str) -> str | None:
    candidates: list[str | None] = []
    for media in entry.get("media_content") or []:
        if media.get("medium") == "image" or str(media.get("type", "")).startswith("image/"):
            candidates.append(media.get("url"))
    candidates += [m.get("url") for m in entry.get("media_thumbnail") or []]
    candidates += [
        link.get("href")
        for link in entry.get("links") or []
        if link.get("rel") == "enclosure" and str(link.get("type", "")).startswith("image/")
    ]
    finder = _FirstImage()
    finder.feed(content_html)
    finder.close()
    candidates.append(finder.src)
    for candidate in candidates:
        url = _web_url(candidate, base)
        if url:
            return url
    return None


def _guid(entry: Any, link: str | None, title: str) -> str:
    guid = _one_line(entry.get("id") or "")
    if guid:
        return guid
    if link:
        return link
    dated = entry.get("published") or entry.get("updated") or ""
    digest = hashlib.sha256(f"{title}\n{dated}".encode()).hexdigest()[:32]
    return f"sha256:{digest}"


def _entry(entry: Any, feed_base: str) -> ImportedEntry:
    # xml:base on the entry, where present, is what its relative URLs are relative to.
    base = (entry.get("title_detail") or {}).get("base") or feed_base
    link = _web_url(entry.get("link"), base)
    content_detail = _content_detail(entry)
    content_html = ""
    if content_detail and content_detail.get("value"):
        content_html = absolutize_html(
            sanitize_html(_html_of(content_detail)), content_detail.get("base") or base
        )
    summary_detail = entry.get("summary_detail")
    if summary_detail and summary_detail is not content_detail:
        summary = _plain(summary_detail)
    else:
        summary = _one_line(_without_markup(html_to_text(content_html)))
    summary = _truncate(summary, SUMMARY_MAX_CHARS)
    title = _plain(entry.get("title_detail")) or _truncate(summary, TITLE_FALLBACK_CHARS)
    author_detail = entry.get("author_detail") or {}
    author = _one_line(_without_markup(author_detail.get("name") or entry.get("author") or ""))
    return ImportedEntry(
        guid=_guid(entry, link, title),
        link=link,
        title=title,
        summary=summary,
        content_html=content_html,
        published_at=_published(entry),
        author=author or None,
        image_url=_image(entry, content_html, base),
    )
