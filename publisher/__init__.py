"""The campaign publisher service: ``create_app`` is the one way in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask application; ``config`` overrides settings read from the environment."""
    from publisher.app import build_app

    return build_app(config)
