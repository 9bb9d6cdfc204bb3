"""The poster image shipped with the poster template: drawn once with Pillow, stored as an Asset.

The drawing is deterministic (same Pillow, same bytes), so seeding again finds the
stored asset by its SHA-256 instead of adding a copy.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select
from sqlalchemy.orm import Session

from content_library.assets import EXTENSIONS, ProcessedImage, process_image
from content_library.models import Asset

FONT = (
    Path(__file__).resolve().parents[2]
    / "channels"
    / "loudspeaker"
    / "fonts"
    / "DejaVuSans-Bold.ttf"
)
SIZE = (1080, 1350)
RED = (200, 16, 46)
DARK_RED = (140, 8, 30)
WHITE = (255, 255, 255)
CREAM = (255, 244, 230)

LINES = (
    (120, "HIẾN MÁU", 118, WHITE),
    (250, "TÌNH NGUYỆN", 96, WHITE),
    (930, "Mỗi giọt máu cho đi", 62, CREAM),
    (1010, "một cuộc đời ở lại", 62, CREAM),
    (1150, "Từ đủ 18 đến 60 tuổi · Nữ từ 42 kg · Nam từ 45 kg", 34, WHITE),
    (1200, "Mang theo căn cước công dân", 34, WHITE),
)


def draw_poster() -> bytes:
    """A simple Vietnamese blood-donation poster, as PNG bytes."""
    image = Image.new("RGB", SIZE, RED)
    draw = ImageDraw.Draw(image)
    width, height = SIZE
    draw.rectangle((0, height - 230, width, height), fill=DARK_RED)
    _drop(draw, centre=(width // 2, 700), radius=165)
    for top, text, size, colour in LINES:
        font = ImageFont.truetype(str(FONT), size)
        draw.text((width // 2, top), text, font=font, fill=colour, anchor="mt")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _drop(draw: ImageDraw.ImageDraw, *, centre: tuple[int, int], radius: int) -> None:
    """A blood drop: a circle with a triangle on top, and a white cross inside."""
    x, y = centre
    draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=WHITE)
    draw.polygon(
        [
            (x - int(radius * 0.87), y - radius // 2),
            (x, y - int(radius * 1.9)),
            (x + int(radius * 0.87), y - radius // 2),
        ],
        fill=WHITE,
    )
    arm, thick = radius // 2, radius // 6
    draw.rectangle((x - thick, y - arm + 20, x + thick, y + arm + 20), fill=RED)
    draw.rectangle((x - arm, y - thick + 20, x + arm, y + thick + 20), fill=RED)


@functools.cache
def poster_image() -> ProcessedImage:
    """The poster as stored (re-encoded like any upload); drawn once per process (~1 s)."""
    return process_image(draw_poster(), max_bytes=10 * 1024 * 1024, max_pixels=40_000_000)


def ensure_poster_asset(session: Session) -> Asset:
    """The stored poster image, added the first time (found by SHA-256 afterwards)."""
    image = poster_image()
    existing = session.scalar(select(Asset).where(Asset.sha256 == image.sha256))
    if existing is not None:
        return existing
    asset = Asset(
        sha256=image.sha256,
        mime=image.mime,
        filename=f"ap-phich-hien-mau.{EXTENSIONS[image.mime]}",
        width=image.width,
        height=image.height,
        bytes=len(image.data),
        data=image.data,
        thumbnail=image.thumbnail,
        created_by=None,
    )
    session.add(asset)
    session.flush()
    return asset
