"""The message sent to the Page, and the checks Facebook would make on it anyway."""

from __future__ import annotations

import unicodedata

from channels.base import MediaFile, Permanent, RenderedPost

MAX_MESSAGE_CHARS = 63206
MAX_PHOTO_BYTES = 4 * 1024 * 1024
PHOTO_MIMES = frozenset({"image/jpeg", "image/png"})


def compose_message(post: RenderedPost) -> str:
    """The text sent to Facebook: title, a blank line, the text, and the link when posting media.

    Deterministic, so :meth:`FanpageAdapter.lookup` can find the post again by its fingerprint.
    """
    parts = [post.title.strip(), post.text.replace("\r\n", "\n").strip()]
    if post.media and post.link:
        # A photo post has no link preview, so the link travels in the caption.
        parts.append(post.link.strip())
    # Decomposed Vietnamese diacritics render badly on some phones; send the composed form.
    return unicodedata.normalize("NFC", "\n\n".join(p for p in parts if p))


def _check_post(post: RenderedPost, message: str) -> None:
    """Refuse, before any call, what Facebook would refuse anyway."""
    if not message and not post.link and not post.media:
        raise Permanent("Bài đăng không có nội dung.")
    if len(message) > MAX_MESSAGE_CHARS:
        raise Permanent(
            f"Bài đăng dài {len(message)} ký tự, vượt giới hạn {MAX_MESSAGE_CHARS} của Facebook."
        )
    for item in post.media:
        if item.mime not in PHOTO_MIMES:
            raise Permanent(f"Ảnh {item.filename} phải là JPEG hoặc PNG (đang là {item.mime}).")
        if not item.data or len(item.data) > MAX_PHOTO_BYTES:
            raise Permanent(f"Ảnh {item.filename} rỗng hoặc lớn hơn 4 MB.")


def _upload(item: MediaFile) -> tuple[str, bytes, str]:
    return (item.filename or "poster", item.data, item.mime)
