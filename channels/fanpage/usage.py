"""Graph's usage headers: how near the app and the Page are to their limits, how long to rest."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

# Usage above SOFT_THROTTLE_FROM percent slows us linearly up to SOFT_THROTTLE_MAX seconds;
# at 100 % Graph refuses calls, so rest for the announced time or FULL_THROTTLE.
SOFT_THROTTLE_FROM = 80.0
SOFT_THROTTLE_MAX = 300.0
FULL_THROTTLE = 3600.0


def _usage_numbers(node: Any) -> Iterator[float]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key != "estimated_time_to_regain_access":
                yield from _usage_numbers(value)
    elif isinstance(node, list):
        for item in node:
            yield from _usage_numbers(item)
    elif isinstance(node, int | float) and not isinstance(node, bool):
        yield float(node)


def _header_json(headers: Mapping[str, str], name: str) -> Any:
    for key, value in headers.items():
        if key.lower() == name:
            try:
                return json.loads(value)
            except ValueError:
                return None
    return None


def usage_percent(headers: Mapping[str, str]) -> float:
    """The highest percentage in X-App-Usage, X-Page-Usage and X-Business-Use-Case-Usage."""
    names = ("x-app-usage", "x-page-usage", "x-business-use-case-usage")
    return max((n for h in names for n in _usage_numbers(_header_json(headers, h))), default=0.0)


def regain_seconds(headers: Mapping[str, str]) -> float:
    """Graph's ``estimated_time_to_regain_access`` (minutes) in seconds; 0 when absent."""
    minutes = 0.0

    def walk(node: Any) -> None:
        nonlocal minutes
        if isinstance(node, Mapping):
            value = node.get("estimated_time_to_regain_access")
            if isinstance(value, int | float) and not isinstance(value, bool):
                minutes = max(minutes, float(value))
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(_header_json(headers, "x-business-use-case-usage"))
    return minutes * 60


def throttle_seconds(headers: Mapping[str, str]) -> float:
    """How long the channel should rest after an answer with these usage headers."""
    percent = usage_percent(headers)
    soft = 0.0
    if percent > SOFT_THROTTLE_FROM:
        share = min(1.0, (percent - SOFT_THROTTLE_FROM) / (100.0 - SOFT_THROTTLE_FROM))
        soft = round(SOFT_THROTTLE_MAX * share, 1)
    regain = regain_seconds(headers)
    if regain > 0:
        return max(regain, soft)
    if percent >= 100:
        return FULL_THROTTLE
    return soft
