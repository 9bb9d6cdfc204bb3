"""Posters as the Graph API takes them: JPEG or PNG under 4 MB."""

from __future__ import annotations

import io
from dataclasses import replace
from typing import Any

from PIL import Image

from channels.base import MediaFile
from channels.fanpage.message import MAX_PHOTO_BYTES, PHOTO_MIMES


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
