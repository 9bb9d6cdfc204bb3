"""Poster images: decoded for real, bounded, re-encoded without metadata, thumbnailed."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageMode, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from content_library.models import Asset

ALLOWED_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
THUMBNAIL_SIZE = (320, 320)
# A 4096×4096 RGBA poster decoded: 64 MiB. Pixel count alone is no bound on memory: the
# same pixels take four times the bytes with four bands, twice again at 16 bits a band.
DEFAULT_MAX_DECODED_BYTES = 4096 * 4096 * 4
_MIB = 1024 * 1024


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


def decoded_size(width: int, height: int, mode: str) -> int:
    """Bytes the decoded image takes: width × height × bands × bytes per band.

    Pillow keeps three-band pixels in four bytes, so three bands count as four.
    """
    spec = ImageMode.getmode(mode)
    bands = len(spec.bands)
    band_bytes = max(1, int(spec.typestr[-1]))
    return width * height * (4 if bands == 3 else bands) * band_bytes


def _check_decoded_size(width: int, height: int, mode: str, limit: int) -> None:
    size = decoded_size(width, height, mode)
    if size > limit:
        raise AssetRejected(
            f"Ảnh quá lớn để xử lý: {width}×{height} điểm ảnh, chế độ màu {mode}, cần "
            f"{size / _MIB:.0f} MB khi giải nén (tối đa {limit / _MIB:.0f} MB); hãy thu nhỏ "
            f"ảnh, ví dụ còn 4096×4096 điểm ảnh / image would take {size} bytes decoded "
            f"({width}x{height} {mode}), over the {limit}-byte limit"
        )


def process_image(
    raw: bytes,
    *,
    max_bytes: int,
    max_pixels: int,
    max_decoded_bytes: int = DEFAULT_MAX_DECODED_BYTES,
) -> ProcessedImage:
    """Decode, check and re-encode an upload; metadata (EXIF, GPS, ICC text) is dropped.

    Size limits are checked on the header (dimensions and mode) before any pixel is
    decoded, so a small file that would inflate past ``max_decoded_bytes`` costs nothing.
    """
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
                _check_decoded_size(width, height, probe.mode, max_decoded_bytes)
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
    thumbnail = _encode(_thumbnail(image), "PNG" if fmt == "PNG" else "JPEG")
    return ProcessedImage(
        data=data,
        thumbnail=thumbnail,
        mime=mime,
        width=image.width,
        height=image.height,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _thumbnail(image: Image.Image) -> Image.Image:
    """The image scaled to fit THUMBNAIL_SIZE, never enlarged; no full-size copy is made."""
    box_w, box_h = THUMBNAIL_SIZE
    if image.width <= box_w and image.height <= box_h:
        return image
    scale = min(box_w / image.width, box_h / image.height)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)


def store_image(
    session: Session,
    raw: bytes,
    filename: str | None,
    *,
    created_by: int | None,
    max_bytes: int,
    max_pixels: int,
    max_decoded_bytes: int = DEFAULT_MAX_DECODED_BYTES,
) -> tuple[Asset, bool]:
    """Process an upload and store it once (by SHA-256); returns the asset and whether it is new.

    Raises :class:`AssetRejected` with a message for the uploader.
    """
    image = process_image(
        raw, max_bytes=max_bytes, max_pixels=max_pixels, max_decoded_bytes=max_decoded_bytes
    )
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
