"""The registered adapters, by kind. Adding a channel is one module and one line here."""

from __future__ import annotations

from channels.base import Adapter

_ADAPTER_PATHS = {
    "webhook": "channels.webhook:WebhookAdapter",
    "fanpage": "channels.fanpage:FanpageAdapter",
    "rss": "channels.portal_rss:PortalRssAdapter",
    "loudspeaker": "channels.loudspeaker:LoudspeakerAdapter",
}


def adapter_class(kind: str) -> type[Adapter]:
    """The adapter class for a channel kind; KeyError for an unknown kind."""
    import importlib

    module_name, _, attr = _ADAPTER_PATHS[kind].partition(":")
    return getattr(importlib.import_module(module_name), attr)


def kinds() -> list[str]:
    return list(_ADAPTER_PATHS)
