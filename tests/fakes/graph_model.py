"""The Graph emulator's records (pages, tokens, posts, photos) and the helpers they share."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tests.fakes.graph_errors import GraphError

DEFAULT_SCOPES = ("pages_manage_posts", "pages_read_engagement", "pages_show_list")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
MAX_PHOTO_BYTES = 4 * 1024 * 1024
POST_FIELDS = frozenset(
    {
        "id",
        "message",
        "created_time",
        "updated_time",
        "permalink_url",
        "is_published",
        "from",
        "reactions",
        "comments",
        "shares",
    }
)
PHOTO_FIELDS = frozenset({"id", "name", "created_time", "link", "page_story_id"})
PAGE_FIELDS = frozenset({"id", "name"})
WRITE_SCOPE = "pages_manage_posts"
READ_SCOPE = "pages_read_engagement"


def graph_time(ts: float) -> str:
    """Graph's timestamp format, e.g. ``2025-06-14T02:00:00+0000``."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def appsecret_proof(app_secret: str, token: str) -> str:
    """The proof Graph expects: hex HMAC-SHA256 of the token keyed by the app secret."""
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def as_unix(value: datetime | float | int | None) -> int:
    """Seconds since the epoch from an aware datetime or a number; None and 0 mean never."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime; pass an aware one")
        return int(value.timestamp())
    return int(value)


@dataclass
class Page:
    id: str
    name: str
    app_secret: str | None = None


@dataclass
class Token:
    value: str
    page_id: str
    scopes: list[str]
    profile_id: str
    token_type: str = "PAGE"
    valid: bool = True
    invalid_subcode: int | None = None
    expires_at: int = 0
    data_access_expires_at: int = 0
    app_id: str = "1000000000000001"


@dataclass
class Photo:
    id: str
    page_id: str
    published: bool
    created_time: float
    caption: str = ""
    data: bytes | None = None
    filename: str | None = None
    mime: str | None = None
    url: str | None = None
    post_id: str | None = None
    attached_to: str | None = None


@dataclass
class Post:
    id: str
    page_id: str
    seq: int
    created_time: float
    message: str = ""
    link: str | None = None
    is_published: bool = True
    attached_media: list[str] = field(default_factory=list)
    photo_id: str | None = None
    # Engagement counts a test sets (GraphEmulator.set_engagement).
    reactions: int = 0
    comments: int = 0
    shares: int = 0

    @property
    def permalink_url(self) -> str:
        return f"https://www.facebook.com/{self.page_id}/posts/{self.id.split('_', 1)[1]}"

    def fields(self, names: Iterable[str]) -> dict:
        values = {
            "id": self.id,
            "message": self.message,
            "created_time": graph_time(self.created_time),
            "updated_time": graph_time(self.created_time),
            "permalink_url": self.permalink_url,
            "is_published": self.is_published,
            "from": {"id": self.page_id},
            # Edges asked with .summary(total_count): no items, only the summary.
            "reactions": {
                "data": [],
                "summary": {"total_count": self.reactions, "viewer_reaction": "NONE"},
            },
            "comments": {
                "data": [],
                "summary": {"order": "ranked", "total_count": self.comments, "can_comment": True},
            },
            "shares": {"count": self.shares},
        }
        # Graph leaves out a field that has no value rather than sending null or "";
        # a post nobody shared has no ``shares`` at all.
        return {
            n: values[n]
            for n in names
            if not (n == "message" and not self.message) and not (n == "shares" and not self.shares)
        }

    def snapshot(self) -> dict:
        """A copy for assertions in tests."""
        return {
            "id": self.id,
            "page_id": self.page_id,
            "message": self.message,
            "link": self.link,
            "created_time": datetime.fromtimestamp(self.created_time, UTC),
            "permalink_url": self.permalink_url,
            "is_published": self.is_published,
            "attached_media": list(self.attached_media),
            "photo_id": self.photo_id,
        }


def requested_fields(
    fields: str | None, default: Iterable[str], known: frozenset, node: str
) -> list:
    # "reactions.summary(total_count)" asks for the field "reactions" with a modifier.
    names = [
        f.strip().split(".", 1)[0].split("{", 1)[0]
        for f in _split_fields(fields or "")
        if f.strip()
    ] or list(default)
    for name in names:
        if name not in known:
            raise GraphError(
                100, f"(#100) Tried accessing nonexisting field ({name}) on node type ({node})"
            )
    return names


def _split_fields(fields: str) -> list[str]:
    """Split a fields list on commas outside parentheses and braces."""
    parts, depth, current = [], 0, ""
    for ch in fields:
        if ch in "({":
            depth += 1
        elif ch in ")}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return [*parts, current]


def missing_object(object_id: str, verb: str) -> GraphError:
    return GraphError(
        100,
        f"Unsupported {verb} request. Object with ID '{object_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation.",
        subcode=33,
        error_type="GraphMethodException",
    )


def encode_cursor(post: Post) -> str:
    raw = f"{post.created_time!r}:{post.seq}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, seq = raw.split(":")
        return float(created), int(seq)
    except (ValueError, UnicodeDecodeError) as exc:
        raise GraphError(100, "(#100) Invalid cursor") from exc
