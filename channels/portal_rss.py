"""The portal RSS channel: an RSS 2.0 feed per channel that provincial portals pull.

Nothing is sent anywhere: "publishing" makes an item part of the feed, and the
database decides which items the feed holds. This module renders the feed from
plain dataclasses, and offers the helpers the feed view needs for conditional GET.

Rendering rules (see the RSS checklist in the design notes):

* identical input gives identical bytes, so ETags are stable and ``lastBuildDate``
  comes from the newest item, never from the clock;
* XML escaping is done by :class:`xml.sax.saxutils.XMLGenerator`, HTML escaping by
  :func:`html.escape`, URL rewriting and the last sanitising pass by ``nh3``;
* characters that XML 1.0 forbids are removed from every text and attribute.
"""

from __future__ import annotations

import functools
import hashlib
import html
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit
from xml.sax.saxutils import XMLGenerator
from zoneinfo import ZoneInfo

import nh3

from channels.base import (
    Adapter,
    DeliveryResult,
    Preview,
    RenderedPost,
    SettingsInvalid,
)

GENERATOR = "campaign-publisher"
ATOM_NS = "http://www.w3.org/2005/Atom"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
ITEMS_LIMIT_DEFAULT = 50
ITEMS_LIMIT_MAX = 500

# XML 1.0 allows tab, LF, CR and everything from U+0020 except lone surrogates and
# U+FFFE/U+FFFF. C1 controls (U+007F-U+009F, bar NEL) are legal but "discouraged";
# in Vietnamese text they only ever come from mis-decoded Windows-1252, so they go too.
_NOT_XML_TEXT = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LINK_SCHEMES = frozenset({"http", "https"})
_HTML_URL_SCHEMES = frozenset({"http", "https", "mailto"})
_URL_ATTRIBUTES = frozenset({"href", "src"})


@dataclass(frozen=True)
class FeedChannel:
    """The feed as a whole; ``link`` is the public site, ``self_url`` the feed itself."""

    title: str
    link: str
    description: str
    self_url: str
    language: str = "vi"
    ttl_minutes: int | None = None


@dataclass(frozen=True)
class Enclosure:
    """A media file attached to an item (RSS allows one per item)."""

    url: str
    length: int
    mime: str


@dataclass(frozen=True)
class FeedItem:
    """One item: ``summary`` is plain text, ``content_html`` already sanitised HTML."""

    guid: str
    title: str
    link: str
    summary: str
    content_html: str
    published_at: datetime
    categories: tuple[str, ...] = ()
    enclosure: Enclosure | None = None
    image_url: str | None = None


def strip_invalid_xml_chars(text: str) -> str:
    """Remove the characters XML 1.0 cannot carry (control characters, lone surrogates)."""
    return _NOT_XML_TEXT.sub("", text or "")


def _defuse_markup(text: str) -> str:
    # Titles and categories are plain text, but readers disagree on whether an RSS
    # title is HTML: some render it as markup. Escaping the angle brackets keeps a
    # title such as "<script>…" inert in those readers and shown literally; "&" is
    # left alone because it is common in real titles and harmless on its own.
    return strip_invalid_xml_chars(text).replace("<", "&lt;").replace(">", "&gt;")


def _absolute_url(url: str, base: str, *, what: str) -> str:
    joined = urljoin(base, strip_invalid_xml_chars(url).strip())
    if urlsplit(joined).scheme not in _LINK_SCHEMES or not urlsplit(joined).netloc:
        raise ValueError(f"{what} must be an absolute http(s) URL, got {url!r}")
    return joined


def absolutize_html(html: str, base_url: str) -> str:
    """Make every ``href``/``src`` absolute against ``base_url``; drop ``javascript:`` and
    other non-web URLs.

    The fragment is re-serialised by nh3 with its default allowlist, which also makes
    this a last safety net against markup that escaped the content library's sanitiser.
    """

    def rewrite(tag: str, attribute: str, value: str) -> str | None:
        if attribute not in _URL_ATTRIBUTES:
            return value
        joined = urljoin(base_url, value.strip())
        if urlsplit(joined).scheme.lower() not in _HTML_URL_SCHEMES:
            return None
        return joined

    return nh3.clean(
        strip_invalid_xml_chars(html),
        url_schemes=set(_HTML_URL_SCHEMES),
        attribute_filter=rewrite,
    )


def etag_for(body: bytes) -> str:
    """A strong, quoted ETag for a response body."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def http_date(dt: datetime) -> str:
    """An HTTP-date (``Fri, 20 Dec 2024 00:30:00 GMT``) for ``Last-Modified`` and friends."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("http_date needs a timezone-aware datetime")
    return format_datetime(dt.astimezone(UTC).replace(microsecond=0), usegmt=True)


@functools.cache
def _vietnam() -> ZoneInfo:
    return ZoneInfo("Asia/Ho_Chi_Minh")


def rfc822_date(dt: datetime) -> str:
    """``pubDate`` form with a numeric zone in Vietnam time: ``Fri, 20 Dec 2024 07:30:00 +0700``."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("feed dates must be timezone-aware")
    return format_datetime(dt.astimezone(_vietnam()).replace(microsecond=0))


class _FeedWriter:
    """A thin indenting layer over XMLGenerator, which does all the escaping."""

    def __init__(self, out: io.BytesIO) -> None:
        self._xml = XMLGenerator(out, encoding="UTF-8", short_empty_elements=True)
        self._depth = 0

    def _newline(self) -> None:
        self._xml.ignorableWhitespace("\n" + "  " * self._depth)

    def start_document(self) -> None:
        self._xml.startDocument()

    def end_document(self) -> None:
        self._xml.ignorableWhitespace("\n")
        self._xml.endDocument()

    @contextmanager
    def element(self, name: str, attrs: Mapping[str, str] | None = None) -> Iterator[None]:
        if self._depth:
            self._newline()
        self._xml.startElement(name, _clean_attrs(attrs))
        self._depth += 1
        yield
        self._depth -= 1
        self._newline()
        self._xml.endElement(name)

    def leaf(self, name: str, text: str = "", attrs: Mapping[str, str] | None = None) -> None:
        self._newline()
        self._xml.startElement(name, _clean_attrs(attrs))
        if text:
            self._xml.characters(strip_invalid_xml_chars(text))
        self._xml.endElement(name)


def _clean_attrs(attrs: Mapping[str, str] | None) -> dict[str, str]:
    return {k: strip_invalid_xml_chars(v) for k, v in (attrs or {}).items()}


def _description_html(item: FeedItem, image_url: str | None) -> str:
    # The description is HTML by the RSS spec, so the plain summary is HTML-escaped
    # here (and XML-escaped again by the writer): "<" in a summary stays text.
    summary = html.escape(strip_invalid_xml_chars(item.summary or item.title), quote=False)
    if not image_url:
        return summary
    alt = html.escape(strip_invalid_xml_chars(item.title), quote=True)
    return f'<img src="{html.escape(image_url, quote=True)}" alt="{alt}"><br>{summary}'


def _ordered_items(items: Sequence[FeedItem]) -> list[FeedItem]:
    # Newest first whatever order the caller used, so equal input sets give equal
    # bytes; an item whose guid repeats (a correction published again) keeps only
    # its newest version, since a guid must name one item.
    for item in items:
        if item.published_at.tzinfo is None or item.published_at.utcoffset() is None:
            raise ValueError(f"item {item.guid!r}: published_at must be timezone-aware")
    ordered = sorted(items, key=lambda i: i.guid)
    ordered.sort(key=lambda i: i.published_at.astimezone(UTC), reverse=True)
    seen: set[str] = set()
    unique = []
    for item in ordered:
        if item.guid not in seen:
            seen.add(item.guid)
            unique.append(item)
    return unique


def _write_item(w: _FeedWriter, item: FeedItem, site: str) -> None:
    link = _absolute_url(item.link, site, what="item link")
    image_url = None
    if item.image_url:
        image_url = _absolute_url(item.image_url, site, what="item image")
    with w.element("item"):
        w.leaf("title", _defuse_markup(item.title))
        w.leaf("link", link)
        w.leaf("description", _description_html(item, image_url))
        w.leaf("content:encoded", absolutize_html(item.content_html, link))
        w.leaf("guid", item.guid, {"isPermaLink": "false"})
        w.leaf("pubDate", rfc822_date(item.published_at))
        for category in item.categories:
            if category.strip():
                w.leaf("category", _defuse_markup(category.strip()))
        if item.enclosure is not None:
            enclosure = item.enclosure
            w.leaf(
                "enclosure",
                attrs={
                    "url": _absolute_url(enclosure.url, site, what="enclosure"),
                    "length": str(max(0, int(enclosure.length))),
                    "type": enclosure.mime,
                },
            )


def render_feed(channel: FeedChannel, items: Sequence[FeedItem]) -> bytes:
    """The RSS 2.0 document (UTF-8 bytes) for ``channel`` holding ``items``.

    Items come out newest first; a repeated guid keeps its newest version. Raises
    ``ValueError`` for a naive date or a link that cannot be made absolute.
    """
    site = _absolute_url(channel.link, channel.link, what="channel link")
    self_url = _absolute_url(channel.self_url, site, what="feed self URL")
    ordered = _ordered_items(items)
    out = io.BytesIO()
    w = _FeedWriter(out)
    w.start_document()
    root_attrs = {"version": "2.0", "xmlns:atom": ATOM_NS, "xmlns:content": CONTENT_NS}
    with w.element("rss", root_attrs), w.element("channel"):
        w.leaf("title", _defuse_markup(channel.title))
        w.leaf("link", site)
        w.leaf("description", _defuse_markup(channel.description or channel.title))
        w.leaf("language", channel.language)
        if ordered:
            w.leaf("lastBuildDate", rfc822_date(ordered[0].published_at))
        w.leaf(
            "atom:link",
            attrs={"href": self_url, "rel": "self", "type": "application/rss+xml"},
        )
        w.leaf("generator", GENERATOR)
        if channel.ttl_minutes is not None:
            w.leaf("ttl", str(int(channel.ttl_minutes)))
        for item in ordered:
            _write_item(w, item, site)
    w.end_document()
    return out.getvalue()


def item_guid(post: RenderedPost) -> str:
    """The guid a post carries in the feed; stable across edits (corrections keep it)."""
    return str(post.extra.get("guid") or post.idempotency_key)


class PortalRssAdapter(Adapter):
    """An RSS feed: delivery only marks the item as part of the feed."""

    kind = "rss"
    label = "RSS cho cổng thông tin"
    short_label = "Cổng thông tin"
    settings_schema: ClassVar[dict[str, dict[str, Any]]] = {
        "title": {
            "label": "Tên nguồn tin RSS",
            "help": "Tên cổng thông tin thấy khi đọc nguồn tin.",
            "type": "string",
            "required": True,
            "max_length": 200,
            "description": "Tên của nguồn tin RSS",
        },
        "description": {
            "label": "Mô tả nguồn tin",
            "help": "Một câu giới thiệu ngắn về nguồn tin.",
            "type": "string",
            "required": False,
            "max_length": 1000,
            "description": "Mô tả ngắn của nguồn tin",
        },
        "items_limit": {
            "label": "Số tin tối đa trong nguồn",
            "help": "Từ 1 đến 500; bỏ trống để dùng mặc định của hệ thống.",
            "type": "integer",
            "required": False,
            "default": ITEMS_LIMIT_DEFAULT,  # the service's FEED_ITEMS when unset
            "minimum": 1,
            "maximum": ITEMS_LIMIT_MAX,
            "description": "Số tin tối đa trong nguồn tin (1–500)",
        },
    }
    # Publishing twice yields the same item under the same guid.
    idempotent = True
    can_withdraw = True
    can_lookup = True
    public_articles = True

    @classmethod
    def preview(cls, post: RenderedPost) -> Preview:
        """The feed item a portal reads: title, description and the article's address."""
        return Preview(
            heading=post.title,
            body=post.summary or post.text[:300],
            style="feed",
            link=post.link,
        )

    @classmethod
    def validate_settings(cls, settings: Mapping[str, Any]) -> dict[str, Any]:
        """Check the schema, then the range of ``items_limit`` (unset: FEED_ITEMS decides)."""
        if not isinstance(settings, Mapping):
            raise SettingsInvalid({"settings": "must be an object"})
        # Run every check before raising, so the form can show all problems at once.
        try:
            cleaned = super().validate_settings(settings)
            errors: dict[str, str] = {}
        except SettingsInvalid as exc:
            cleaned, errors = {}, dict(exc.errors)
        title = settings.get("title")
        if "title" not in errors and isinstance(title, str) and not title.strip():
            errors["title"] = "is required"
        limit = settings.get("items_limit")
        # Left unset, the service-wide FEED_ITEMS setting decides.
        if "items_limit" not in errors and limit not in (None, ""):
            if not 1 <= limit <= ITEMS_LIMIT_MAX:
                errors["items_limit"] = f"must be between 1 and {ITEMS_LIMIT_MAX}"
            cleaned["items_limit"] = limit
        if errors:
            raise SettingsInvalid(errors)
        return cleaned

    def publish(self, post: RenderedPost) -> DeliveryResult:
        """Nothing remote happens: the feed view lists published items from the database."""
        return DeliveryResult(external_id=item_guid(post), external_url=post.link)

    def lookup(self, post: RenderedPost, since: datetime) -> DeliveryResult | None:
        """An RSS item exists as soon as it is published, so the answer is always found."""
        return DeliveryResult(external_id=item_guid(post), external_url=post.link)

    def withdraw(self, external_id: str) -> None:
        """Nothing to do: the item leaves the feed once its publication is cancelled."""
