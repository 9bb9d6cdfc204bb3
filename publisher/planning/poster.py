"""The poster image shipped with the poster template, stored once as an Asset.

The drawing is deterministic (same Pillow, same bytes), so seeding again finds the
stored asset by its SHA-256 instead of adding a copy.
"""

from __future__ import annotations

import functools

from flask import current_app
from sqlalchemy.orm import Session

from content_library.assets import store_image
from content_library.models import Asset
from publisher.posters import draw_poster


@functools.cache
def _drawing() -> bytes:
    """Drawn once per process (about a second of Pillow work)."""
    return draw_poster(
        "Hiến máu tình nguyện",
        "Mỗi giọt máu cho đi, một cuộc đời ở lại",
        [
            "Từ đủ 18 đến 60 tuổi, khỏe mạnh",
            "Nữ từ 42 kg, nam từ 45 kg trở lên",
            "Mang theo căn cước công dân",
        ],
    )


def ensure_poster_asset(session: Session) -> Asset:
    """The stored poster image, added the first time (found by SHA-256 afterwards)."""
    settings = current_app.config["SETTINGS"]
    asset, _created = store_image(
        session,
        _drawing(),
        "ap-phich-hien-mau.png",
        created_by=None,
        max_bytes=settings.ASSET_MAX_BYTES,
        max_pixels=settings.ASSET_MAX_PIXELS,
        max_decoded_bytes=settings.ASSET_MAX_DECODED_BYTES,
    )
    return asset
