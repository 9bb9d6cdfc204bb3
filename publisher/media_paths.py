"""Where an approved poster is served: its public path, and whether it may be shown yet.

The paths are made here, below the web layer, because rendering a post, a feed item or an
article names them; :mod:`publisher.public` serves them.
"""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from content_library.models import Asset, ContentVersion
from content_library.search import slugify

EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


def is_public(session: Session, asset_id: int) -> bool:
    """True when an approved version uses the poster."""
    return bool(
        session.scalar(
            select(
                exists().where(
                    ContentVersion.asset_id == asset_id, ContentVersion.status == "approved"
                )
            )
        )
    )


def media_name(filename: str, mime: str) -> str:
    """The last part of the public URL: the file's name in ASCII, e.g. ``ap-phich-7-4.png``."""
    stem = filename.rsplit(".", 1)[0]
    slug = slugify(stem, max_length=60) if any(c.isalnum() for c in stem) else "poster"
    return f"{slug}.{EXTENSIONS.get(mime, 'img')}"


def media_path_for(media_key: str, filename: str, mime: str, *, thumbnail: bool = False) -> str:
    """The public path from the columns alone (for queries that skip the image bytes)."""
    middle = "/thumbnail" if thumbnail else ""
    return f"/media/{media_key}{middle}/{media_name(filename, mime)}"


def media_path(asset: Asset, *, thumbnail: bool = False) -> str:
    """The public path of a poster; it answers only once the poster is approved."""
    return media_path_for(asset.media_key, asset.filename, asset.mime, thumbnail=thumbnail)
