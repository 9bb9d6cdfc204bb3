"""What a content version will look like on each kind of channel, asked of the adapters.

Each registered adapter gives its :class:`channels.base.Preview` of the post the version
would become; what a kind adds from the database (the loudspeaker's reading text) comes from
its extension, exactly as at delivery.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import SimpleNamespace

from flask import current_app, url_for

from channels.base import MediaFile, Preview, RenderedPost
from channels.loudspeaker import reading_seconds
from channels.registry import adapters
from content_library.models import ARTICLE_KINDS, ContentItem, ContentVersion
from content_library.sanitize import html_to_text
from publisher.db import db
from publisher.delivery.render import article_path
from publisher.extensions import extension_for


@dataclass(frozen=True)
class KindPreview:
    kind: str
    label: str
    preview: Preview


@dataclass(frozen=True)
class VariantPreview:
    code: str
    name: str
    text: str
    seconds: int


@dataclass(frozen=True)
class ChannelPreviews:
    kinds: tuple[KindPreview, ...]
    variants: tuple[VariantPreview, ...]


def _post(item: ContentItem, version: ContentVersion) -> RenderedPost:
    settings = current_app.config["SETTINGS"]
    text = html_to_text(version.body_html)
    link = None
    if item.kind in ARTICLE_KINDS:
        link = settings.PUBLIC_BASE_URL + article_path(item.id, version.title)
    media: tuple[MediaFile, ...] = ()
    if version.asset is not None:
        asset = version.asset
        # A draft's poster is not public yet: the preview shows it to the signed-in editor.
        media = (
            MediaFile(
                filename=asset.filename,
                mime=asset.mime,
                data=b"",
                url=url_for("api.content_asset_thumbnail", id=asset.id),
                width=asset.width,
                height=asset.height,
            ),
        )
    return RenderedPost(
        publication_id=0,
        idempotency_key="preview",
        title=version.title,
        text=text,
        html=version.body_html,
        summary=version.summary,
        link=link,
        media=media,
        language=version.language,
        tags=tuple(version.tags or ()),
    )


def previews(item: ContentItem, version: ContentVersion) -> ChannelPreviews:
    """Every registered kind's preview of ``version`` (kinds with nothing to show left out)."""
    post = _post(item, version)
    # What a publication of this version, not planned from a template, would carry.
    unplanned = SimpleNamespace(version=version, render_context=None)
    shown = []
    for cls in adapters():
        extension = extension_for(cls.kind)
        extra = extension.post_extra(db.session, unplanned, post.text)  # type: ignore[arg-type]
        preview = cls.preview(replace(post, extra=extra))
        if preview is not None:
            shown.append(KindPreview(cls.kind, cls.label, preview))
    rate = current_app.config["SETTINGS"].READING_RATE
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
    return ChannelPreviews(kinds=tuple(shown), variants=variants)
