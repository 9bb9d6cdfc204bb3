"""Channel configuration and health: settings split into plain and secret, adapters built."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import case, or_, select, update
from sqlalchemy.orm import Session

from channels.base import Adapter, ChannelConfig, HealthReport, SettingsInvalid
from channels.outbound import PRIVATE_REFUSED, private_destination
from channels.registry import adapter_class, kinds
from content_library.db import utcnow
from publisher.delivery.credentials import credential_store
from publisher.delivery.crypto import (
    SecretsUnreadable,
    decrypt_secrets,
    encrypt_secrets,
    reencrypt_secrets,
)
from publisher.delivery.models import Channel, Publication


class ChannelInvalid(ValueError):
    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


def _allow_private(allow_private: bool | None) -> bool:
    if allow_private is not None:
        return allow_private
    return bool(current_app.config["SETTINGS"].OUTBOUND_ALLOW_PRIVATE)


def _split(
    kind: str, settings: Mapping[str, Any], *, allow_private: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    cls = adapter_class(kind)
    try:
        cleaned = cls.validate_settings(settings)
    except SettingsInvalid as exc:
        raise ChannelInvalid({f"settings.{k}": v for k, v in exc.errors.items()}) from None
    if not allow_private:
        # Settings the adapter marks "outbound" are URLs the service will call: the same
        # address policy as feed sources, told at once (the adapter checks again per call).
        refused = {
            f"settings.{name}": PRIVATE_REFUSED
            for name, spec in cls.settings_schema.items()
            if spec.get("outbound")
            and isinstance(cleaned.get(name), str)
            and private_destination(urlsplit(cleaned[name]).hostname or "")
        }
        if refused:
            raise ChannelInvalid(refused)
    secret_names = cls.secret_fields()
    plain = {k: v for k, v in cleaned.items() if k not in secret_names}
    secret = {k: v for k, v in cleaned.items() if k in secret_names}
    return plain, secret


def create_channel(
    session: Session,
    *,
    kind: str,
    slug: str,
    name: str,
    settings: Mapping[str, Any],
    enabled: bool = True,
    rules: Mapping[str, Any] | None = None,
    secret_key: str,
    allow_private: bool | None = None,
) -> Channel:
    """A new channel; ``allow_private`` None means the service's OUTBOUND_ALLOW_PRIVATE."""
    if kind not in kinds():
        raise ChannelInvalid({"kind": "must be one of " + ", ".join(kinds())})
    if session.scalar(select(Channel).where(Channel.slug == slug)) is not None:
        raise ChannelInvalid({"slug": "is already used by another channel"})
    plain, secret = _split(kind, settings, allow_private=_allow_private(allow_private))
    channel = Channel(
        kind=kind,
        slug=slug,
        name=name,
        settings=plain,
        enabled=enabled,
        rules=dict(rules or {}),
        secrets_encrypted=encrypt_secrets(secret_key, secret),
    )
    session.add(channel)
    session.flush()
    return channel


def update_channel(
    session: Session,
    channel: Channel,
    changes: Mapping[str, Any],
    *,
    secret_key: str,
    allow_private: bool | None = None,
) -> Channel:
    """Apply changes; settings merge, so omitted (write-only) secrets are kept."""
    if "settings" in changes:
        current = {**channel.settings, **decrypt_secrets(secret_key, channel.secrets_encrypted)}
        merged = {**current, **changes["settings"]}
        merged = {k: v for k, v in merged.items() if v is not None}
        plain, secret = _split(channel.kind, merged, allow_private=_allow_private(allow_private))
        channel.settings = plain
        channel.secrets_encrypted = encrypt_secrets(secret_key, secret)
        if channel.health_status in ("needs_attention", "expiring"):
            # New credentials: give the channel another chance; held publications resume.
            channel.health_status = "ok"
            channel.health_reason = ""
        # Check the new credentials at the dispatcher's next tick, not a day later.
        channel.health_checked_at = None
    for name in ("name", "enabled", "rules"):
        if name in changes:
            setattr(channel, name, changes[name])
    session.flush()
    return channel


def _options(kind: str) -> dict[str, Any]:
    """The service's settings an adapter of ``kind`` sees: common ones and its own."""
    settings = current_app.config["SETTINGS"]
    options = {
        "timeout": settings.CHANNEL_TIMEOUT_SECONDS,
        "public_base_url": settings.PUBLIC_BASE_URL,
        "allow_private": settings.OUTBOUND_ALLOW_PRIVATE,
    }
    for option, (env, default) in adapter_class(kind).service_settings.items():
        options[option] = settings.channel_setting(env, default)
    return options


def channel_config(channel: Channel) -> ChannelConfig:
    settings = current_app.config["SETTINGS"]
    secrets = decrypt_secrets(settings.SECRET_KEY, channel.secrets_encrypted)
    return ChannelConfig(
        channel_id=channel.id,
        slug=channel.slug,
        name=channel.name,
        settings={**channel.settings, **secrets},
        options=_options(channel.kind),
        store=credential_store(channel.id),
    )


def adapter_for(channel: Channel) -> Adapter:
    return adapter_class(channel.kind)(channel_config(channel))


# What each channel's deliveries need that does not change between them: its settings
# with the secrets decrypted, and the HTTP session its adapter may reuse. Keyed by
# everything the configuration is made of, the stored ciphertext included, so a rotated
# secret (a new ciphertext: Fernet draws a fresh IV) or any edit makes a new entry at
# once; nothing has to be told to invalidate it. Per process: a forking worker's horse
# starts from the parent's (empty) copy, a ``--no-fork`` or embedded worker keeps it.
_PREPARED: dict[tuple[Any, ...], tuple[ChannelConfig, Any]] = {}
_PREPARED_LOCK = threading.Lock()
PREPARED_MAX = 256


def delivery_adapter(channel: Channel) -> Adapter:
    """The channel's adapter for a delivery; secrets decrypted once per channel per process.

    Where the adapter offers a reusable HTTP session (``http_session()``), it is kept with
    the entry, so consecutive deliveries to a channel reuse its connections. Callers must
    not close that session: ``adapter.close()`` only closes sessions an adapter made itself.
    """
    settings = current_app.config["SETTINGS"]
    options = _options(channel.kind)
    key = (
        settings.SECRET_KEY,
        channel.id,
        channel.kind,
        channel.slug,
        channel.name,
        channel.secrets_encrypted,
        json.dumps(channel.settings, sort_keys=True, default=str),
        tuple(sorted(options.items())),
    )
    cls = adapter_class(channel.kind)
    with _PREPARED_LOCK:
        entry = _PREPARED.get(key)
    if entry is None:
        secrets = decrypt_secrets(settings.SECRET_KEY, channel.secrets_encrypted)
        config = ChannelConfig(
            channel_id=channel.id,
            slug=channel.slug,
            name=channel.name,
            settings={**channel.settings, **secrets},
            options=options,
            store=credential_store(channel.id),
        )
        entry = (config, cls.http_session(options))
        with _PREPARED_LOCK:
            if len(_PREPARED) >= PREPARED_MAX:
                _forget(_PREPARED)
            _PREPARED[key] = entry
    config, http = entry
    return cls(config, http) if http is not None else cls(config)


def forget_prepared() -> None:
    """Drop every prepared channel and close their HTTP sessions."""
    with _PREPARED_LOCK:
        _forget(_PREPARED)


def _forget(prepared: dict[tuple[Any, ...], tuple[ChannelConfig, Any]]) -> None:
    entries = list(prepared.values())
    prepared.clear()
    for _config, http in entries:
        if http is not None:
            http.close()


def health(channel: Channel, now: datetime | None = None) -> dict[str, Any]:
    """What the API shows: ok, paused (until), or needs_attention (reason)."""
    now = now or utcnow()
    if channel.health_status in ("needs_attention", "expiring"):
        status = "needs_attention"
    elif not channel.enabled or (channel.paused_until and channel.paused_until > now):
        status = "paused"
    else:
        status = "ok"
    reason = channel.health_reason or ""
    if not channel.enabled and not reason:
        reason = "Kênh đang tắt / channel disabled"
    return {
        "status": status,
        "reason": reason if status != "ok" else "",
        "until": channel.paused_until.isoformat().replace("+00:00", "Z")
        if status == "paused" and channel.paused_until and channel.enabled
        else None,
        "checked_at": channel.health_checked_at.isoformat().replace("+00:00", "Z")
        if channel.health_checked_at
        else None,
        "token_expires_at": channel.token_expires_at.isoformat().replace("+00:00", "Z")
        if channel.token_expires_at
        else None,
    }


def pause_channel(session: Session, channel_id: int, seconds: float, reason: str) -> None:
    """Rest the channel; never shortens an existing pause.

    One conditional UPDATE, so workers pausing the same channel at once cannot shorten
    each other's pause (a read-then-write on a stale copy could).
    """
    until = utcnow() + timedelta(seconds=seconds)
    session.execute(
        update(Channel)
        .where(
            Channel.id == channel_id,
            or_(Channel.paused_until.is_(None), Channel.paused_until < until),
        )
        # A flagged channel keeps its (more important) reason.
        .values(
            paused_until=until,
            updated_at=utcnow(),
            health_reason=case(
                (Channel.health_status == "ok", reason), else_=Channel.health_reason
            ),
        )
    )


def flag_channel(session: Session, channel_id: int, reason: str) -> None:
    """Credentials broken: the channel needs a person; its publications are held."""
    session.execute(
        update(Channel)
        .where(Channel.id == channel_id)
        .values(health_status="needs_attention", health_reason=reason, updated_at=utcnow())
    )
    note_held(session, channel_id, reason)


def note_held(session: Session, channel_id: int, reason: str) -> None:
    """Say on each publication waiting for the channel why it waits: editors read those rows.

    Rows to be reconciled keep their own message (an earlier call's outcome is unknown).
    """
    session.execute(
        update(Publication)
        .where(
            Publication.channel_id == channel_id,
            Publication.status.in_(("scheduled", "queued")),
            Publication.reconcile.is_(False),
        )
        .values(last_error=reason, last_error_class="held")
    )


def record_check(session: Session, channel: Channel, report: HealthReport) -> None:
    channel.health_checked_at = utcnow()
    channel.token_expires_at = report.expires_at
    if report.status == "ok":
        if channel.health_status in ("needs_attention", "expiring"):
            channel.health_status = "ok"
        channel.health_reason = ""
    elif report.status == "expiring":
        # Flagged with a clear message, but not held: the token still works until it lapses.
        channel.health_status = "expiring"
        channel.health_reason = report.reason
    else:
        channel.health_status = "needs_attention"
        channel.health_reason = report.reason
        note_held(session, channel.id, report.reason)


def held_count(session: Session, channel_id: int) -> int:
    from sqlalchemy import func

    return (
        session.scalar(
            select(func.count())
            .select_from(Publication)
            .where(Publication.channel_id == channel_id, Publication.status == "scheduled")
        )
        or 0
    )


def rotate_channel_secrets(session: Session, old_key: str, new_key: str) -> list[str]:
    """Re-encrypt every channel's secrets from ``old_key`` to ``new_key``; returns the slugs
    changed. All or nothing: if one channel's secrets do not open with ``old_key`` (and are not
    already under ``new_key``, from an earlier run), :class:`SecretsUnreadable` names it and the
    caller rolls back."""
    changed: list[str] = []
    for channel in session.scalars(select(Channel).order_by(Channel.id)):
        if not channel.secrets_encrypted:
            continue
        try:
            channel.secrets_encrypted = reencrypt_secrets(
                old_key, new_key, channel.secrets_encrypted
            )
        except SecretsUnreadable:
            try:
                decrypt_secrets(new_key, channel.secrets_encrypted)
            except SecretsUnreadable:
                raise SecretsUnreadable(
                    f"channel {channel.slug!r}: its secrets open with neither the old nor the "
                    "new key; nothing was changed"
                ) from None
            continue  # already under the new key
        changed.append(channel.slug)
    session.flush()
    return changed
