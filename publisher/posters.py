"""Simple campaign posters drawn with Pillow (demo data and planning templates)."""

from __future__ import annotations

import io
import textwrap
import unicodedata
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONTS = Path(__file__).resolve().parent.parent / "channels" / "loudspeaker" / "fonts"
SIZE = (1080, 1350)


@lru_cache(maxsize=16)
def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(FONTS / name), size)


def _wrapped(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int
) -> list[str]:
    for chars in range(40, 8, -1):
        lines = textwrap.wrap(text, chars)
        if all(draw.textlength(line, font=font) <= width for line in lines):
            return lines
    return textwrap.wrap(text, 8)


def draw_poster(
    title: str,
    subtitle: str,
    lines: list[str],
    background: str = "#b71c1c",
    accent: str = "#ffffff",
) -> bytes:
    """A portrait poster as PNG bytes: a drop of blood, the title, a subtitle, short lines."""
    image = Image.new("RGB", SIZE, background)
    draw = ImageDraw.Draw(image)
    margin = 90
    width = SIZE[0] - 2 * margin
    # A blood drop: a circle under a triangle.
    cx, cy, r = SIZE[0] // 2, 300, 110
    draw.ellipse((cx - r, cy - r + 60, cx + r, cy + r + 60), fill=accent)
    draw.polygon([(cx, cy - 170), (cx - r + 6, cy + 40), (cx + r - 6, cy + 40)], fill=accent)
    draw.text((cx, cy + 60), "+", font=_font(True, 120), fill=background, anchor="mm")
    y = 520
    for line in _wrapped(draw, title, _font(True, 72), width):
        draw.text((SIZE[0] // 2, y), line, font=_font(True, 72), fill=accent, anchor="ma")
        y += 88
    y += 10
    for line in _wrapped(draw, subtitle, _font(False, 40), width):
        draw.text((SIZE[0] // 2, y), line, font=_font(False, 40), fill=accent, anchor="ma")
        y += 52
    y += 30
    draw.line((margin, y, SIZE[0] - margin, y), fill=accent, width=4)
    y += 40
    for text in lines:
        for i, line in enumerate(_wrapped(draw, text, _font(False, 38), width - 50)):
            if i == 0:
                draw.ellipse((margin, y + 12, margin + 18, y + 30), fill=accent)
            draw.text((margin + 40, y), line, font=_font(False, 38), fill=accent)
            y += 50
        y += 14
    draw.text(
        (SIZE[0] // 2, SIZE[1] - 80),
        "Hiến máu tình nguyện – Lai Châu",
        font=_font(True, 34),
        fill=accent,
        anchor="ma",
    )
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


# Link previews (Open Graph: Facebook, Zalo) want 1.91:1; 1200×630 is the size both name.
SHARE_SIZE = (1200, 630)
PROVINCE = "Lai Châu"
# Part of the stored image's cache key: change it when the drawing changes.
SHARE_DRAWING_VERSION = "1"


def _fitted(
    draw: ImageDraw.ImageDraw, text: str, width: int, max_lines: int
) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest bold size (64 down to 30 pt) at which ``text`` fits; cut with … at worst."""
    for size in range(64, 29, -4):
        font = _font(True, size)
        lines = _wrapped(draw, text, font, width)
        if len(lines) <= max_lines:
            return font, lines
    lines = lines[:max_lines]
    last = lines[-1]
    while last and draw.textlength(last + "…", font=font) > width:
        last = last[:-1].rstrip()
    lines[-1] = last + "…"
    return font, lines


def draw_share_image(
    name: str,
    province: str = PROVINCE,
    background: str = "#b71c1c",
    accent: str = "#ffffff",
) -> bytes:
    """A 1200×630 PNG for link previews: a blood drop, the campaign's name, the province."""
    name = unicodedata.normalize("NFC", " ".join(name.split()))
    province = unicodedata.normalize("NFC", province)
    width, height = SHARE_SIZE
    image = Image.new("RGB", SHARE_SIZE, background)
    draw = ImageDraw.Draw(image)
    # The drop on the left third, as on the posters.
    cx, cy, r = 200, 300, 110
    draw.ellipse((cx - r, cy - r + 60, cx + r, cy + r + 60), fill=accent)
    draw.polygon([(cx, cy - 170), (cx - r + 6, cy + 40), (cx + r - 6, cy + 40)], fill=accent)
    draw.text((cx, cy + 60), "+", font=_font(True, 120), fill=background, anchor="mm")
    left, right = 390, width - 60
    draw.text((left, 70), "HIẾN MÁU TÌNH NGUYỆN", font=_font(True, 34), fill=accent)
    font, lines = _fitted(draw, name, right - left, max_lines=4)
    step = int(font.size * 1.25)
    y = 140 + max(0, (330 - step * len(lines)) // 2)
    for line in lines:
        draw.text((left, y), line, font=font, fill=accent)
        y += step
    draw.line((left, height - 130, right, height - 130), fill=accent, width=3)
    draw.text((left, height - 105), f"Tỉnh {province}", font=_font(True, 40), fill=accent)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
