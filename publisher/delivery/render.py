"""Rendering a publication for its channel: the frozen version, plus links and media."""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace
from typing import Any

from flask import current_app
from PIL import Image
from sqlalchemy.orm import Session

from channels.base import MediaFile, RenderedPost
from channels.fanpage import MAX_PHOTO_BYTES, PHOTO_MIMES
from channels.registry import adapter_class
from content_library.models import Asset
from content_library.sanitize import html_to_text
from content_library.search import slugify
from publisher.delivery.models import Publication
from publisher.public import media_path
from publisher.tags import tag_uri


def idempotency_key(publication_id: int) -> str:
    """Stable across attempts, unique across installations (salted with SECRET_KEY)."""
    secret = current_app.config["SETTINGS"].SECRET_KEY
    digest = hashlib.sha256(f"{secret}|publication|{publication_id}".encode()).hexdigest()[:20]
    return f"pub-{publication_id}-{digest}"


def article_path(content_id: int, title: str) -> str:
    return f"/articles/{content_id}-{slugify(title)}"


def rss_guid(content_id: int) -> str:
    """One guid per content item, so a correction (a new version) keeps its guid."""
    return tag_uri(current_app.config["SETTINGS"].PUBLIC_BASE_URL, f"content-{content_id}")


def words_for(pub: Publication) -> tuple[str, str, str]:
    """Title, sanitised HTML body and summary: planned content carries its rendered words."""
    context: dict[str, Any] = pub.render_context or {}
    version = pub.version
    title = context.get("title") or version.title
    body = context.get("body_html") or version.body_html
    summary = context.get("summary") if "summary" in context else version.summary
    return title, body, summary or ""


def render(session: Session, pub: Publication) -> RenderedPost:
    base = current_app.config["SETTINGS"].PUBLIC_BASE_URL
    title, body_html, summary = words_for(pub)
    text = html_to_text(body_html)
    media: tuple[MediaFile, ...] = ()
    version = pub.version
    if version.asset_id is not None:
        asset = session.get(Asset, version.asset_id)
        if asset is not None:
            media = (
                MediaFile(
                    filename=asset.filename,
                    mime=asset.mime,
                    data=asset.data,
                    url=base + media_path(asset),
                    width=asset.width,
                    height=asset.height,
                ),
            )
    if pub.channel.kind == "fanpage":
        media = tuple(photo_for_graph(item) for item in media)
    link = None
    if pub.content.kind in ("article", "poster"):
        link = base + article_path(pub.content_id, title)
    extra: dict[str, Any] = {
        "guid": rss_guid(pub.content_id),
        "content_id": pub.content_id,
        "version": version.number,
        "channel_kind": pub.channel.kind,
        "slot": pub.slot,
        "repeats": pub.repeats,
        "drive_id": pub.drive_id,
    }
    if pub.channel.kind == "loudspeaker":
        extra["reading_text"] = reading_text_for(pub, text)
    if not media and adapter_class(pub.channel.kind).wants_share_image:
        # The image a link preview shows for a post without a poster, for channels that
        # take images by URL (the campaign's, else the site's).
        extra["share_image_url"] = share_image_url(session, pub, base)
    return RenderedPost(
        publication_id=pub.id,
        idempotency_key=idempotency_key(pub.id),
        title=title,
        text=text,
        html=body_html,
        summary=summary or text[:300],
        link=link,
        media=media,
        # The frozen version's, like the words: an unapproved edit changes no channel.
        language=version.language,
        priority=pub.priority,
        tags=tuple(version.tags or ()),
        scheduled_at=pub.scheduled_at,
        expires_at=pub.expires_at,
        extra=extra,
    )


def share_image_url(session: Session, pub: Publication, base: str) -> str:
    """The public URL of the campaign image of the publication's item (else its drive's)."""
    from content_library.models import Campaign, Drive
    from publisher.feeds.share_images import share_image

    campaign_id = pub.content.campaign_id
    if campaign_id is None and pub.drive_id is not None:
        drive = session.get(Drive, pub.drive_id)
        campaign_id = drive.campaign_id if drive is not None else None
    campaign = session.get(Campaign, campaign_id) if campaign_id is not None else None
    return share_image(base, campaign).url


def photo_for_graph(item: MediaFile) -> MediaFile:
    """The poster as the Graph API takes it: JPEG or PNG under 4 MB.

    Posters may be uploaded as WebP (or as large as ASSET_MAX_BYTES), which Facebook refuses.
    Transparency keeps PNG when PNG fits; otherwise JPEG, at falling quality and then smaller
    sizes until it fits. Deterministic, so every attempt uploads the same bytes.
    """
    if item.mime in PHOTO_MIMES and 0 < len(item.data) <= MAX_PHOTO_BYTES:
        return item
    with Image.open(io.BytesIO(item.data)) as source:
        source.load()
        image = source.convert("RGBA") if _has_alpha(source) else source.convert("RGB")
    stem = (item.filename or "poster").rsplit(".", 1)[0] or "poster"
    if image.mode == "RGBA":
        data = _encode(image, "PNG")
        if len(data) <= MAX_PHOTO_BYTES:
            return _converted(item, f"{stem}.png", "image/png", data, image)
        flat = Image.new("RGB", image.size, "white")
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    for _ in range(12):
        for quality in (90, 80, 70):
            data = _encode(image, "JPEG", quality=quality)
            if len(data) <= MAX_PHOTO_BYTES:
                return _converted(item, f"{stem}.jpg", "image/jpeg", data, image)
        image = image.resize((max(1, image.width * 3 // 4), max(1, image.height * 3 // 4)))
    raise ValueError(f"cannot bring poster {item.filename} under {MAX_PHOTO_BYTES} bytes")


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def _encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, optimize=True, **options)
    return out.getvalue()


def _converted(item: MediaFile, name: str, mime: str, data: bytes, image: Image.Image) -> MediaFile:
    # The public URL still serves the original file, so it does not describe these bytes.
    return replace(
        item, filename=name, mime=mime, data=data, url=None, width=image.width, height=image.height
    )


def reading_text_for(pub: Publication, text: str) -> str:
    """The editor's correction wins; otherwise the text spelled out for reading aloud."""
    if pub.version.reading_text and not (pub.render_context or {}).get("body_html"):
        return pub.version.reading_text
    from publisher.loudspeaker.reading import spell_out_text

    return spell_out_text(text)
