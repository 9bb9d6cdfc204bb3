"""Rendering a publication for its channel: the frozen version, plus links and media.

The channel's adapter prepares the media and shapes the post; its kind's extension adds
what needs the database. Nothing here knows a kind by name.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from channels.base import MediaFile, RenderedPost
from channels.registry import adapter_class
from content_library.models import ARTICLE_KINDS, Asset
from content_library.sanitize import html_to_text
from content_library.search import slugify
from publisher.delivery.models import Publication
from publisher.extensions import extension_for
from publisher.media_paths import media_path
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
    kind = pub.channel.kind
    adapter = adapter_class(kind)
    if adapter.takes_media:
        # Converted to what the channel accepts (format, size), the same bytes every attempt.
        media = tuple(adapter.prepare_media(item) for item in media)
    link = None
    if pub.content.kind in ARTICLE_KINDS:
        link = base + article_path(pub.content_id, title)
    extra: dict[str, Any] = {
        "guid": rss_guid(pub.content_id),
        "content_id": pub.content_id,
        "version": version.number,
        "channel_kind": kind,
        "slot": pub.slot,
        "repeats": pub.repeats,
        "drive_id": pub.drive_id,
    }
    # What the kind adds from the database (e.g. the words a bulletin reads).
    extra.update(extension_for(kind).post_extra(session, pub, text))
    if not media and adapter.wants_share_image:
        # The image a link preview shows for a post without a poster, for channels that
        # take images by URL (the campaign's, else the site's).
        extra["share_image_url"] = share_image_url(session, pub, base)
    post = RenderedPost(
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
    return adapter.shape_post(post)


def share_image_url(session: Session, pub: Publication, base: str) -> str:
    """The public URL of the campaign image of the publication's item (else its drive's)."""
    from content_library.models import Campaign, Drive
    from publisher.rss.share_images import share_image

    campaign_id = pub.content.campaign_id
    if campaign_id is None and pub.drive_id is not None:
        drive = session.get(Drive, pub.drive_id)
        campaign_id = drive.campaign_id if drive is not None else None
    campaign = session.get(Campaign, campaign_id) if campaign_id is not None else None
    return share_image(base, campaign).url
