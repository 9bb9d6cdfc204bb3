"""Public, unauthenticated routes: poster files (feeds, articles and scripts add their own)."""

from __future__ import annotations

from flask import Blueprint, Response

from content_library.models import Asset
from publisher.db import db
from publisher.errors import not_found

public = Blueprint("public", __name__)


def _asset(asset_id: int) -> Asset:
    asset = db.session.get(Asset, asset_id)
    if asset is None:
        raise not_found("Asset", asset_id)
    return asset


@public.get("/media/<int:asset_id>")
def asset_file(asset_id: int) -> Response:
    from publisher.api.content import asset_response

    return asset_response(_asset(asset_id))


@public.get("/media/<int:asset_id>/thumbnail")
def asset_thumbnail(asset_id: int) -> Response:
    from publisher.api.content import asset_response

    return asset_response(_asset(asset_id), thumbnail=True)
