"""What a content version will look like on each channel, from the channels' own rules."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app, url_for

from channels.base import MediaFile, RenderedPost
from channels.fanpage import MAX_MESSAGE_CHARS, compose_message
from channels.loudspeaker import reading_seconds
from content_library.models import ContentItem, ContentVersion
from content_library.sanitize import html_to_text
from publisher.delivery.render import article_path
from publisher.loudspeaker.reading import abbreviations, spell_out_text


@dataclass(frozen=True)
class FanpagePreview:
    message: str
    link: str | None
    link_host: str
    image_url: str | None
    characters: int
    too_long: bool


@dataclass(frozen=True)
class RssPreview:
    title: str
    summary: str
    link: str | None


@dataclass(frozen=True)
class ReadingPreview:
    text: str
    seconds: int
    corrected: bool


@dataclass(frozen=True)
class VariantPreview:
    code: str
    name: str
    text: str
    seconds: int


@dataclass(frozen=True)
class ChannelPreviews:
    fanpage: FanpagePreview
    rss: RssPreview
    reading: ReadingPreview
    variants: tuple[VariantPreview, ...]


def previews(item: ContentItem, version: ContentVersion) -> ChannelPreviews:
    """The Fanpage post, the RSS item and the loudspeaker reading of ``version``."""
    settings = current_app.config["SETTINGS"]
    text = html_to_text(version.body_html)
    link = None
    if item.kind in ("article", "poster"):
        link = settings.PUBLIC_BASE_URL + article_path(item.id, version.title)
    media: tuple[MediaFile, ...] = ()
    image_url = None
    if version.asset is not None:
        asset = version.asset
        media = (
            MediaFile(
                filename=asset.filename,
                mime=asset.mime,
                data=b"",
                width=asset.width,
                height=asset.height,
            ),
        )
        # A draft's poster is not public yet: the preview shows it to the signed-in editor.
        image_url = url_for("api.content_asset_thumbnail", id=asset.id)
    post = RenderedPost(
        publication_id=0,
        idempotency_key="preview",
        title=version.title,
        text=text,
        html=version.body_html,
        summary=version.summary,
        link=link,
        media=media,
        language=version.language,
    )
    message = compose_message(post)
    fanpage = FanpagePreview(
        message=message,
        link=link if not media else None,
        link_host=urlsplit(link).netloc if link else "",
        image_url=image_url,
        characters=len(message),
        too_long=len(message) > MAX_MESSAGE_CHARS,
    )
    rss = RssPreview(title=version.title, summary=version.summary or text[:300], link=link)
    rate = settings.READING_RATE
    # As bulletins read it (publisher.delivery.render.reading_text_for): the body, spelled
    # out, unless the editor corrected the reading version; the title is the item's heading.
    reading_text = version.reading_text or spell_out_text(text)
    reading = ReadingPreview(
        text=reading_text,
        seconds=reading_seconds(reading_text, rate, abbreviations()),
        corrected=bool(version.reading_text),
    )
    variants = tuple(
        VariantPreview(
            code=code,
            name=str(entry.get("name") or code),
            text=str(entry.get("text") or ""),
            seconds=reading_seconds(str(entry.get("text") or ""), rate, {}),
        )
        for code, entry in sorted((version.variants or {}).items())
        if isinstance(entry, dict)
    )
    return ChannelPreviews(fanpage=fanpage, rss=rss, reading=reading, variants=variants)
