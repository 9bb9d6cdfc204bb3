"""``GET /api/v1/channel-kinds``: what each registered kind is, as its adapter describes it."""

from __future__ import annotations

from typing import Any

from channels.registry import adapters
from publisher.api.framework import endpoint


@endpoint(
    "GET",
    "/channel-kinds",
    summary="The channel kinds this service can deliver to: labels, capabilities, settings",
    permission="channels:read",
    response="ChannelKindList",
)
def list_kinds() -> list[dict[str, Any]]:
    return [cls.describe() for cls in adapters()]
