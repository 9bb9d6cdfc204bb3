"""What a Zalo OA article is made of: fields cut to Zalo's limits, the cover, the body."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from channels.base import RenderedPost, fingerprint

MAX_TITLE = 150
MAX_AUTHOR = 50
MAX_DESCRIPTION = 300
MAX_IMAGE_BYTES = 1024 * 1024
COVER_MIMES = ("image/jpeg", "image/png")
ELLIPSIS = "…"

_PARAGRAPHS = re.compile(r"\n\s*\n")
_SPACE = re.compile(r"\s+")

FIELD_LABELS = {"title": "Tiêu đề", "author": "Tác giả", "description": "Mô tả"}


def cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, cut at a word boundary with "…"."""
    text = _SPACE.sub(" ", text or "").strip()
    if len(text) <= limit:
        return text
    room = text[: limit - 1]
    space = room.rfind(" ")
    if space >= limit // 2:
        room = room[:space]
    return room.rstrip(" ,.;:-–") + ELLIPSIS


@dataclass(frozen=True)
class Article:
    """The create body's parts; ``cuts`` names the fields shortened to fit."""

    title: str
    author: str
    description: str
    cover_url: str | None
    paragraphs: tuple[Mapping[str, Any], ...]
    cuts: tuple[str, ...]

    def body(self) -> dict[str, Any]:
        return {
            "type": "normal",
            "title": self.title,
            "author": self.author,
            "description": self.description,
            "cover": {"cover_type": "photo", "photo_url": self.cover_url, "status": "show"},
            "body": [dict(p) for p in self.paragraphs],
            "status": "show",
            "comment": "show",
        }

    def fingerprint(self) -> str:
        """What recognises this article among the OA's: its description and text."""
        return article_fingerprint(self.description, self.paragraphs)


def article_fingerprint(description: str, paragraphs: Any) -> str:
    texts = [
        str(p.get("content") or "")
        for p in (paragraphs or ())
        if isinstance(p, Mapping) and p.get("type") == "text"
    ]
    return fingerprint(" ".join([description or "", *texts]))


def cover_url(post: RenderedPost) -> str | None:
    """The poster's public URL, else the campaign's (or the site's) share image."""
    for item in post.media:
        if item.url:
            return item.url
    share = post.extra.get("share_image_url") if isinstance(post.extra, Mapping) else None
    return str(share) if share else None


def compose(post: RenderedPost, author: str) -> Article:
    """The article for ``post``; ``author`` is the channel's (the organisation's) name."""
    cuts: list[str] = []
    raw = {
        "title": post.title or "",
        "author": author or "",
        "description": post.summary or post.text or "",
    }
    limits = {"title": MAX_TITLE, "author": MAX_AUTHOR, "description": MAX_DESCRIPTION}
    fields: dict[str, str] = {}
    for name, value in raw.items():
        fields[name] = cut(value, limits[name])
        if len(_SPACE.sub(" ", value).strip()) > limits[name]:
            cuts.append(name)
    paragraphs: list[dict[str, Any]] = [
        {"type": "text", "content": _SPACE.sub(" ", chunk).strip()}
        for chunk in _PARAGRAPHS.split(post.text or "")
        if chunk.strip()
    ]
    for item in post.media:
        if item.url:
            paragraphs.append({"type": "image", "url": item.url, "caption": fields["title"]})
    if post.link:
        paragraphs.append({"type": "text", "content": f"Xem thêm: {post.link}"})
    return Article(
        title=fields["title"],
        author=fields["author"],
        description=fields["description"],
        cover_url=cover_url(post),
        paragraphs=tuple(paragraphs),
        cuts=tuple(cuts),
    )


def cut_warning(name: str, limit: int) -> str:
    return (
        f"{FIELD_LABELS[name]} dài quá {limit} ký tự mà Zalo cho phép: "
        "sẽ được cắt ở ranh giới từ và thêm dấu “…”."
    )


LIMITS = {"title": MAX_TITLE, "author": MAX_AUTHOR, "description": MAX_DESCRIPTION}
