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
from sqlalchemy import select

from content_library.models import Asset
from publisher.db import db
from publisher.errors import ApiError
from publisher.media_paths import is_public, media_name

public = Blueprint("public", __name__)

_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


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
