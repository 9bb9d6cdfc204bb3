"""Settings: read from the environment once, parsed and validated in one place."""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the service refuses to start."""


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"not a boolean: {value!r}")


def _floats(value: Any) -> tuple[float, ...]:
    if isinstance(value, list | tuple):
        return tuple(float(v) for v in value)
    return tuple(float(v) for v in str(value).split(",") if v.strip())


@dataclass(frozen=True)
class Settings:
    """Every setting the service reads. Names match the environment variables."""

    DATABASE_URL: str = ""
    REDIS_URL: str | None = None
    SECRET_KEY: str = ""
    PUBLIC_BASE_URL: str = "http://127.0.0.1:5000"
    # Off: URLs people configure (feed sources, webhooks) may not point at loopback,
    # private, link-local or reserved addresses, when saved and when called.
    OUTBOUND_ALLOW_PRIVATE: bool = False
    # The older name of OUTBOUND_ALLOW_PRIVATE, still read; the new name wins if both are set.
    FEED_IMPORT_ALLOW_PRIVATE: bool = False
    PUBLISHER_ENV: str = "development"
    INSTANCE_PATH: str = ""
    # Queue and delivery tuning.
    QUEUE_PREFIX: str = "publisher"
    DISPATCH_TICK_SECONDS: float = 5.0
    LEASE_SECONDS: float = 180.0
    VANISHED_JOB_SECONDS: float = 60.0
    RETRY_BACKOFF_SECONDS: tuple[float, ...] = (60.0, 300.0, 900.0, 3600.0)
    MAX_ATTEMPTS: int = 5
    CHANNEL_TIMEOUT_SECONDS: float = 30.0
    TOKEN_CHECK_HOURS: float = 24.0
    # Content and assets.
    ASSET_MAX_BYTES: int = 10 * 1024 * 1024
    ASSET_MAX_PIXELS: int = 40_000_000
    # Width × height × bands × bytes per band of a decoded poster: 4096×4096 RGBA.
    ASSET_MAX_DECODED_BYTES: int = 4096 * 4096 * 4
    MAX_REQUEST_BYTES: int = 12 * 1024 * 1024
    # Loudspeakers.
    READING_RATE: int = 190
    BULLETIN_RELEASE_HOUR: int = 18
    # RSS.
    FEED_ITEMS: int = 50
    # Operations.
    LOG_FORMAT: str = "text"
    LOGIN_RATE_LIMIT: int = 10
    TRUSTED_PROXIES: int = 0
    TESTING: bool = False
    # Settings of a channel kind (its adapter's ``service_settings``, e.g. FACEBOOK_GRAPH_URL)
    # and any other name given as an override.
    extra: Mapping[str, Any] = field(default_factory=dict)

    def channel_setting(self, name: str, default: str) -> Any:
        """A channel kind's service setting (environment or override), else its default."""
        return self.extra.get(name, default)

    @property
    def production(self) -> bool:
        return self.PUBLISHER_ENV == "production"

    @property
    def embedded(self) -> bool:
        """True when there is no Redis: queue, dispatcher and worker run inside the web process."""
        return not self.REDIS_URL

    @classmethod
    def load(
        cls, environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
    ) -> Settings:
        """Settings from the environment, then ``overrides``; validated."""
        environ = os.environ if environ is None else environ
        known = {f.name: f for f in fields(cls) if f.name != "extra"}
        values: dict[str, Any] = {}
        for name in known:
            if name in environ and environ[name] != "":
                values[name] = environ[name]
        from channels.registry import service_setting_names

        extra: dict[str, Any] = {
            name: environ[name]
            for name in service_setting_names()
            if name in environ and environ[name] != ""
        }
        for key, value in (overrides or {}).items():
            if key in known:
                values[key] = value
            else:
                extra[key] = value
        if "OUTBOUND_ALLOW_PRIVATE" not in values and "FEED_IMPORT_ALLOW_PRIVATE" in values:
            values["OUTBOUND_ALLOW_PRIVATE"] = values["FEED_IMPORT_ALLOW_PRIVATE"]
        values.pop("FEED_IMPORT_ALLOW_PRIVATE", None)
        parsed: dict[str, Any] = {}
        for name, value in values.items():
            default = known[name].default
            try:
                if name == "RETRY_BACKOFF_SECONDS":
                    parsed[name] = _floats(value)
                elif isinstance(default, bool):
                    parsed[name] = _bool(value)
                elif isinstance(default, int):
                    parsed[name] = int(value)
                elif isinstance(default, float):
                    parsed[name] = float(value)
                else:
                    parsed[name] = value
            except (TypeError, ValueError) as exc:
                raise SettingsError(f"{name}: {exc}") from exc
        settings = cls(**parsed, extra=extra)
        return settings.validated()

    def validated(self) -> Settings:
        instance = Path(self.INSTANCE_PATH or Path.cwd() / "instance")
        updates: dict[str, Any] = {
            "INSTANCE_PATH": str(instance),
            "FEED_IMPORT_ALLOW_PRIVATE": self.OUTBOUND_ALLOW_PRIVATE,
        }
        if not self.DATABASE_URL:
            updates["DATABASE_URL"] = f"sqlite:///{instance / 'publisher.db'}"
        if not self.SECRET_KEY:
            if self.production:
                raise SettingsError("SECRET_KEY is required in production")
            updates["SECRET_KEY"] = _development_key(instance)
        elif self.production:
            check_production_key(self.SECRET_KEY)
        if not self.RETRY_BACKOFF_SECONDS:
            raise SettingsError("RETRY_BACKOFF_SECONDS needs at least one delay")
        if self.MAX_ATTEMPTS < 1:
            raise SettingsError("MAX_ATTEMPTS must be at least 1")
        if not 0 <= self.TRUSTED_PROXIES <= 10:
            raise SettingsError("TRUSTED_PROXIES must be between 0 and 10 (proxy hops)")
        if self.LOGIN_RATE_LIMIT < 0:
            raise SettingsError("LOGIN_RATE_LIMIT must be 0 (no limit) or more")
        if self.LOG_FORMAT not in {"text", "json"}:
            raise SettingsError("LOG_FORMAT must be 'text' or 'json'")
        updates["PUBLIC_BASE_URL"] = self.PUBLIC_BASE_URL.rstrip("/")
        return replace(self, **updates)


MIN_PRODUCTION_KEY = 32
# SHA-256 digests of every SECRET_KEY written anywhere in the repository (examples, README,
# tests, benchmarks): anyone can read those, so they sign and encrypt nothing in production.
# The repository is not deployed; tests/unit/test_secret_key_policy.py keeps this list whole.
KNOWN_KEYS_FILE = Path(__file__).resolve().parent.parent / "config" / "known-secret-keys.sha256"


def known_key_digests() -> frozenset[str]:
    lines = KNOWN_KEYS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.split()[0] for line in lines if line.strip() and line[0] != "#")


def check_production_key(key: str) -> None:
    """Refuse a SECRET_KEY that is short or published (raises :class:`SettingsError`)."""
    if len(key) < MIN_PRODUCTION_KEY:
        raise SettingsError(
            f"SECRET_KEY must be at least {MIN_PRODUCTION_KEY} characters in production "
            "(generate one: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
    if hashlib.sha256(key.encode("utf-8")).hexdigest() in known_key_digests():
        raise SettingsError(
            "SECRET_KEY is an example key published with the source code; generate your own "
            "(python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )


def _development_key(instance: Path) -> str:
    """A random key kept under instance/, so development sessions survive restarts."""
    path = instance / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        instance.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key
