"""Public poster files: only posters of approved content, under URLs nobody can guess.

``/media/<media_key>/<name>`` (and ``/media/<media_key>/thumbnail/<name>``) serve a
poster once a version that uses it has been approved: that is when feeds, article
pages, Open Graph tags and channels may show it. Before that, and for any key that
names nothing, the answer is the same 404, so drafts can be neither read nor probed.
Editors see drafts' posters through the signed-in API (``/api/v1/assets/{id}/file``).
"""

from __future__ import annotations

import re

from flask import Blueprint, Response
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from content_library.models import Asset, ContentVersion
from content_library.search import slugify
from publisher.db import db
from publisher.errors import ApiError

public = Blueprint("public", __name__)

_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
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


def media_response(asset: Asset, *, thumbnail: bool = False, public: bool = True) -> Response:
    """The image bytes; ``public`` answers may be kept by shared caches, others may not."""
    data = asset.thumbnail if thumbnail else asset.data
    mime = (
        asset.mime
        if not thumbnail
        else ("image/png" if asset.mime == "image/png" else "image/jpeg")
    )
    response = Response(data, mimetype=mime)
    response.headers["Cache-Control"] = (
        "public, max-age=31536000, immutable" if public else "private, no-cache"
    )
    response.headers["ETag"] = f'"{asset.sha256}{"-t" if thumbnail else ""}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _approved_asset(media_key: str, name: str) -> Asset:
    asset = None
    if _KEY.fullmatch(media_key):
        asset = db.session.scalar(select(Asset).where(Asset.media_key == media_key))
    if (
        asset is None
        or name != media_name(asset.filename, asset.mime)
        or not is_public(db.session, asset.id)
    ):
        # One answer for "no such key" and "not approved": a draft cannot be probed.
        raise ApiError(404, "Không có ảnh này / no such image")
    return asset


@public.get("/media/<media_key>/<name>")
def media_file(media_key: str, name: str) -> Response:
    return media_response(_approved_asset(media_key, name))


@public.get("/media/<media_key>/thumbnail/<name>")
def media_thumbnail(media_key: str, name: str) -> Response:
    return media_response(_approved_asset(media_key, name), thumbnail=True)
