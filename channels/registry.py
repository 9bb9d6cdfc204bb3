"""The registered adapters, by kind. Adding a channel is one package and one line here."""

from __future__ import annotations

import importlib

from channels.base import Adapter

_ADAPTER_PATHS = {
    "webhook": "channels.webhook:WebhookAdapter",
    "fanpage": "channels.fanpage:FanpageAdapter",
    "rss": "channels.portal_rss:PortalRssAdapter",
    "loudspeaker": "channels.loudspeaker:LoudspeakerAdapter",
    "zalo": "channels.zalo:ZaloAdapter",
}


def adapter_class(kind: str) -> type[Adapter]:
    """The adapter class for a channel kind; KeyError for an unknown kind."""
    module_name, _, attr = _ADAPTER_PATHS[kind].partition(":")
    return getattr(importlib.import_module(module_name), attr)


def kinds() -> list[str]:
    return list(_ADAPTER_PATHS)


def adapters() -> list[type[Adapter]]:
    """Every registered adapter class, in registry order."""
    return [adapter_class(kind) for kind in _ADAPTER_PATHS]


def kinds_where(trait: str) -> list[str]:
    """The kinds whose adapter has a true ``trait`` (e.g. ``"scheduled_in_slots"``)."""
    return [cls.kind for cls in adapters() if getattr(cls, trait)]


def label(kind: str) -> str:
    """The kind's Vietnamese name; the kind itself for one no longer registered."""
    try:
        return adapter_class(kind).label or kind
    except KeyError:
        return kind


def service_setting_names() -> dict[str, str]:
    """Every environment variable an adapter reads, with its default."""
    return {env: default for cls in adapters() for env, default in cls.service_settings.values()}
