"""Poster images: decoded for real, bounded, re-encoded without metadata, thumbnailed."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from content_library.models import Asset

ALLOWED_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
THUMBNAIL_SIZE = (320, 320)


class AssetRejected(ValueError):
    """The upload is not an acceptable poster; the message is for the uploader."""


@dataclass(frozen=True)
class ProcessedImage:
    data: bytes
    thumbnail: bytes
    mime: str
    width: int
    height: int
    sha256: str


def process_image(raw: bytes, *, max_bytes: int, max_pixels: int) -> ProcessedImage:
    """Decode, check and re-encode an upload; metadata (EXIF, GPS, ICC text) is dropped."""
    if not raw:
        raise AssetRejected("Tệp rỗng / the file is empty")
    if len(raw) > max_bytes:
        raise AssetRejected(
            f"Tệp quá lớn (tối đa {max_bytes // (1024 * 1024)} MB) / file exceeds {max_bytes} bytes"
        )
    try:
        with warnings.catch_warnings():
            # Pillow warns before it refuses; we refuse ourselves, on our own limit.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                fmt = probe.format
                width, height = probe.size
                if fmt not in ALLOWED_FORMATS:
                    raise AssetRejected(
                        "Chỉ nhận ảnh PNG, JPEG hoặc WebP / only PNG, JPEG or WebP images"
                    )
                if width * height > max_pixels or width > 20000 or height > 20000:
                    raise AssetRejected(
                        f"Ảnh quá lớn ({width}×{height} điểm ảnh) / image has too many pixels"
                    )
                probe.load()
                image = ImageOps.exif_transpose(probe)
    except AssetRejected:
        raise
    except Image.DecompressionBombError:
        raise AssetRejected(
            "Ảnh quá lớn (quá nhiều điểm ảnh) / image has too many pixels"
        ) from None
    except UnidentifiedImageError:
        raise AssetRejected("Không đọc được ảnh / the file is not a readable image") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise AssetRejected(f"Ảnh bị hỏng / the image is damaged ({exc})") from None
    mime = ALLOWED_FORMATS[fmt]
    data = _encode(image, fmt)
    thumb = image.copy()
    thumb.thumbnail(THUMBNAIL_SIZE)
    thumbnail = _encode(thumb, "PNG" if fmt == "PNG" else "JPEG")
    return ProcessedImage(
        data=data,
        thumbnail=thumbnail,
        mime=mime,
        width=image.width,
        height=image.height,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def store_image(
    session: Session,
    raw: bytes,
    filename: str | None,
    *,
    created_by: int | None,
    max_bytes: int,
    max_pixels: int,
) -> tuple[Asset, bool]:
    """Process an upload and store it once (by SHA-256); returns the asset and whether it is new.

    Raises :class:`AssetRejected` with a message for the uploader.
    """
    image = process_image(raw, max_bytes=max_bytes, max_pixels=max_pixels)
    existing = session.scalar(select(Asset).where(Asset.sha256 == image.sha256))
    if existing is not None:
        return existing, False
    name = (filename or "poster").replace("\\", "/").rsplit("/", 1)[-1][:150]
    stem = name.rsplit(".", 1)[0] or "poster"
    asset = Asset(
        sha256=image.sha256,
        mime=image.mime,
        filename=f"{stem}.{EXTENSIONS[image.mime]}",
        width=image.width,
        height=image.height,
        bytes=len(image.data),
        data=image.data,
        thumbnail=image.thumbnail,
        created_by=created_by,
    )
    session.add(asset)
    session.flush()
    return asset, True


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=88, optimize=True)
    elif fmt == "WEBP":
        image.save(out, "WEBP", quality=88)
    else:
        if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            image = image.convert("RGBA")
        image.save(out, "PNG", optimize=True)
    return out.getvalue()
