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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any, ClassVar, Protocol


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
class Preview:
    """How a post will look on a channel, shown to editors and approvers before it goes out.

    Plain text throughout (the page escapes it). ``style`` hints at the look (``"social"``
    for a feed post, ``"article"``, ``"feed"`` for a feed item, ``"reading"`` for words read
    aloud); ``facts`` are Vietnamese label/value pairs (length, reading time); ``warnings``
    are Vietnamese sentences on what the channel will cut or refuse.
    """

    heading: str
    body: str
    style: str = "social"
    image_url: str | None = None
    link: str | None = None
    facts: tuple[tuple[str, str], ...] = ()
    warnings: tuple[str, ...] = ()


class CredentialStore(Protocol):
    """Where an adapter renews credentials that rotate (single-use refresh tokens).

    ``rotate(renew)`` takes a lock on the channel that every process respects, reads the
    channel's current settings afresh from storage (secrets decrypted), and calls
    ``renew(current)``. ``renew`` returns the settings that change (e.g. a new token pair),
    or an empty mapping when nothing needs renewing (another process already did); they are
    committed to storage before the lock is released and before ``rotate`` returns the
    whole new settings. Whatever ``renew`` raises propagates and nothing is saved.
    """

    def rotate(
        self, renew: Callable[[Mapping[str, Any]], Mapping[str, Any]]
    ) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class ChannelConfig:
    """What an adapter knows of its channel: settings with secrets decrypted, plus options.

    ``options`` carry the service's settings an adapter needs (timeouts, the public base
    URL, its own ``service_settings``); ``store`` is set where the service can persist
    rotated credentials (see :class:`CredentialStore`).
    """

    channel_id: int
    slug: str
    name: str
    settings: Mapping[str, Any]
    options: Mapping[str, Any] = field(default_factory=dict)
    store: CredentialStore | None = field(default=None, compare=False, repr=False)


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

    An adapter declares everything particular to its kind, so the service holds no
    branch on a kind's name: the settings form and API schema, labels, capabilities,
    default planning rules, how media and posts are shaped, and which service settings
    it reads.

    ``settings_schema`` maps each setting to ``{"type": "string"|"list"|"object"|
    "integer"|"boolean", "required": bool, "secret": bool, "label": str (Vietnamese),
    "help": str (Vietnamese), "description": str}``, optionally ``"max_length"``,
    ``"outbound": True`` (a URL the service will call: the address policy applies) and
    ``"widget"`` (``"communes"``: commune codes picked from the province's list;
    ``"slots"``: named session times). Secrets are never returned by the API and are
    stored encrypted.
    """

    kind: ClassVar[str] = ""
    # The kind's Vietnamese name in lists and forms, and its short form in calendars.
    label: ClassVar[str] = ""
    short_label: ClassVar[str] = ""
    settings_schema: ClassVar[dict[str, dict[str, Any]]] = {}
    # Service settings the adapter reads, passed in ``config.options``:
    # option name -> (environment variable, default).
    service_settings: ClassVar[Mapping[str, tuple[str, str]]] = {}

    # Capabilities.
    # True when sending the same post twice is harmless (the receiver dedupes by key),
    # so an unknown outcome may be resolved by sending again.
    idempotent: ClassVar[bool] = False
    # Can remove a delivered post; ``withdraw_is_remote`` when that is a call to the
    # channel (a job does it and records the outcome) rather than the service's own record.
    can_withdraw: ClassVar[bool] = False
    withdraw_is_remote: ClassVar[bool] = False
    # Can find a post made by an attempt whose outcome is unknown (reconcile).
    can_lookup: ClassVar[bool] = False
    # Has credentials worth checking periodically (``check``).
    can_check: ClassVar[bool] = False
    # Takes posters (images); ``prepare_media`` converts them to what the channel accepts.
    takes_media: ClassVar[bool] = True
    # A poster sent here must carry its image (a post of a poster with no picture is refused).
    poster_needs_image: ClassVar[bool] = False
    # Link previews of its posts show the campaign's image, so plans prepare one.
    wants_share_image: ClassVar[bool] = False

    # Planning.
    # Quiet hours (local, may cross midnight), daily cap and named session times a new
    # channel of this kind has until someone changes them.
    default_quiet_hours: ClassVar[tuple[time, time] | None] = None
    default_daily_cap: ClassVar[int | None] = None
    default_slots: ClassVar[Mapping[str, time]] = {}
    # Delivered in named daily sessions with repeats, released ahead of the day (bulletins).
    scheduled_in_slots: ClassVar[bool] = False
    # Addresses communes (its settings' ``commune_codes``): commune steps reach it only there.
    serves_communes: ClassVar[bool] = False
    # Its posts are articles of the service's own public feeds and pages (reports count them).
    public_articles: ClassVar[bool] = False
    # Settings of a throwaway channel whose deliveries call out to nothing (the service's own
    # record is the delivery), or None; a worker warms up by delivering through one.
    offline_settings: ClassVar[Mapping[str, Any] | None] = None

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

    @classmethod
    def prepare_media(cls, item: MediaFile) -> MediaFile:
        """The poster as this channel takes it (format, size); deterministic across attempts."""
        return item

    @classmethod
    def shape_post(cls, post: RenderedPost) -> RenderedPost:
        """Kind-specific finishing of a rendered post (fields in ``extra``); pure."""
        return post

    @classmethod
    def preview(cls, post: RenderedPost) -> Preview | None:
        """How ``post`` will look on this kind of channel; None when there is nothing to show."""
        return None

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """The kind as the API and UI show it: labels, capabilities, settings without internals."""
        return {
            "kind": cls.kind,
            "label": cls.label,
            "short_label": cls.short_label or cls.label,
            "capabilities": {
                "withdraw": cls.can_withdraw,
                "reconcile": cls.can_lookup,
                "credential_check": cls.can_check,
                "media": cls.takes_media,
            },
            "settings": {
                name: {
                    "type": spec.get("type", "string"),
                    "required": bool(spec.get("required")),
                    "secret": bool(spec.get("secret")),
                    "label": spec.get("label", name),
                    "help": spec.get("help", spec.get("description", "")),
                }
                for name, spec in cls.settings_schema.items()
            },
        }

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

    def engagement(self, external_id: str) -> Mapping[str, int] | None:
        """What the channel counts on a delivered post now (``reactions``, ``comments``,
        ``shares``, ``views`` ...); None where the channel reports nothing."""
        return None


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
