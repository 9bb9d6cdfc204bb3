"""The adapter protocol every delivery channel implements.

Adapters are pure code: no Flask, no database. The delivery pipeline hands them
plain dataclasses and gets back a :class:`DeliveryResult` or one of the typed
errors below, which decide what happens to the publication:

=================  ===========================================================
``Transient``      try again later on the backoff schedule
``RateLimited``    try again after ``retry_after`` seconds; the channel pauses
``Permanent``      give up; ``str(error)`` is shown to the editor
``ChannelBroken``  credentials or configuration are unusable; the channel is
                   flagged and its pending publications are held
``Unknown``        the call may or may not have taken effect; never blindly
                   retried, the publication is reconciled through ``lookup``
=================  ===========================================================
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar


class ChannelError(Exception):
    """Base of the errors an adapter raises; ``excerpt`` keeps part of the answer."""

    error_class: ClassVar[str] = "error"

    def __init__(self, message: str, *, excerpt: str = "", code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.excerpt = excerpt[:2000]
        self.code = code


class Transient(ChannelError):
    """A temporary failure; the same call may succeed later."""

    error_class = "transient"


class RateLimited(ChannelError):
    """The channel asks us to slow down for ``retry_after`` seconds."""

    error_class = "rate_limited"

    def __init__(self, message: str, *, retry_after: float, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = max(0.0, float(retry_after))


class Permanent(ChannelError):
    """The call will never succeed as it is; a person must change something."""

    error_class = "permanent"


class ChannelBroken(ChannelError):
    """Credentials or configuration are unusable; hold everything for this channel."""

    error_class = "channel_broken"


class Unknown(ChannelError):
    """The outcome at the channel is not known (timeout after sending, dropped connection)."""

    error_class = "unknown"


class NotSupported(ChannelError):
    """The adapter cannot do this (e.g. withdraw a post, look one up)."""

    error_class = "not_supported"


class SettingsInvalid(ValueError):
    """Channel settings failed validation; ``errors`` maps field name to message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


@dataclass(frozen=True)
class MediaFile:
    """An image (poster) to attach, already decoded and checked by the content library."""

    filename: str
    mime: str
    data: bytes
    url: str | None = None
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class RenderedPost:
    """One publication rendered for a channel."""

    publication_id: int
    idempotency_key: str
    title: str
    text: str
    html: str = ""
    summary: str = ""
    link: str | None = None
    media: tuple[MediaFile, ...] = ()
    language: str = "vi"
    priority: str = "normal"
    tags: tuple[str, ...] = ()
    scheduled_at: datetime | None = None
    expires_at: datetime | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChannelConfig:
    """What an adapter knows of its channel: settings with secrets decrypted, plus options."""

    channel_id: int
    slug: str
    name: str
    settings: Mapping[str, Any]
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeliveryResult:
    """A successful delivery (or a reconciled one)."""

    external_id: str | None
    external_url: str | None = None
    excerpt: str = ""
    # Seconds the channel should rest before its next call (usage headers near the limit).
    throttle_seconds: float = 0.0


@dataclass(frozen=True)
class HealthReport:
    """The outcome of a credentials check."""

    status: (
        str  # "ok" | "expiring" (valid, lapses soon: flagged, still posting) | "needs_attention"
    )
    reason: str = ""
    expires_at: datetime | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


class Adapter:
    """Base class of channel adapters.

    ``settings_schema`` maps each setting to ``{"type": "string"|"list"|"object",
    "required": bool, "secret": bool, "description": str}``; secrets are never
    returned by the API and are stored encrypted.
    """

    kind: ClassVar[str] = ""
    label: ClassVar[str] = ""
    settings_schema: ClassVar[dict[str, dict[str, Any]]] = {}
    # True when sending the same post twice is harmless (the receiver dedupes by key),
    # so an unknown outcome may be resolved by sending again.
    idempotent: ClassVar[bool] = False
    can_withdraw: ClassVar[bool] = False
    can_lookup: ClassVar[bool] = False

    def __init__(self, config: ChannelConfig, session: Any | None = None) -> None:
        self.config = config
        self.session = session

    @classmethod
    def validate_settings(cls, settings: Mapping[str, Any]) -> dict[str, Any]:
        """Check settings against ``settings_schema``; return the cleaned mapping."""
        if not isinstance(settings, Mapping):
            raise SettingsInvalid({"settings": "must be an object"})
        errors: dict[str, str] = {}
        cleaned: dict[str, Any] = {}
        for name, spec in cls.settings_schema.items():
            value = settings.get(name)
            if value is None or value == "":
                if spec.get("required"):
                    errors[name] = "is required"
                continue
            expected = spec.get("type", "string")
            types = {"string": str, "list": list, "object": dict, "integer": int, "boolean": bool}
            if not isinstance(value, types[expected]) or (
                expected == "integer" and isinstance(value, bool)
            ):
                errors[name] = f"must be a {expected}"
                continue
            if expected == "string":
                value = value.strip()
                if len(value) > spec.get("max_length", 2000):
                    errors[name] = "is too long"
                    continue
            cleaned[name] = value
        unknown = set(settings) - set(cls.settings_schema)
        for name in sorted(unknown):
            errors[name] = "is not a setting of this channel"
        if errors:
            raise SettingsInvalid(errors)
        return cleaned

    @classmethod
    def secret_fields(cls) -> set[str]:
        return {k for k, v in cls.settings_schema.items() if v.get("secret")}

    @classmethod
    def http_session(cls, options: dict[str, Any] | None = None) -> Any:
        """An HTTP session the caller may keep and pass to every adapter of one channel.

        ``options`` are the channel's run-time options (the same as ``config.options``), so
        a session can carry policies such as the outbound address guard.

        Reusing it lets consecutive deliveries share connections (keep-alive). None, the
        default, means the adapter opens its own connections for each instance.
        """
        return None

    def publish(self, post: RenderedPost) -> DeliveryResult:
        raise NotImplementedError

    def lookup(self, post: RenderedPost, since: datetime) -> DeliveryResult | None:
        """Find a post made by an earlier attempt whose outcome is unknown; None if absent."""
        raise NotSupported(f"{self.kind} cannot look up earlier deliveries")

    def withdraw(self, external_id: str) -> None:
        """Remove a delivered post where the channel allows it."""
        raise NotSupported(f"{self.kind} cannot withdraw a delivered post")

    def check(self) -> HealthReport:
        """Check credentials now."""
        return HealthReport(status="ok", reason="")


_SPACE = re.compile(r"\s+")


def fingerprint(text: str) -> str:
    """A stable hash of a message, blind to Unicode form, case and whitespace."""
    normal = unicodedata.normalize("NFC", text or "").casefold()
    normal = _SPACE.sub(" ", normal).strip()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:32]


_TAG = re.compile(r"<[^>]*>?")
EXCERPT_CHARS = 200


def clean_excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A channel's answer as editors may see it: plain text, one line, at most ``limit`` chars.

    Markup is removed (also what entities would turn back into markup), and control and
    format characters (line breaks, bidi overrides) become spaces: the answer comes from
    a server we do not control and ends up on editors' pages and in logs.
    """
    plain = _TAG.sub(" ", html.unescape(_TAG.sub(" ", text or "")))
    plain = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") or ch in "<>" else ch
        for ch in unicodedata.normalize("NFC", plain)
    )
    plain = _SPACE.sub(" ", plain).strip()
    if len(plain) <= limit:
        return plain
    return plain[: limit - 1].rstrip() + "…"
