"""What a channel kind adds to the service beyond its adapter.

An adapter (``channels/``) is pure: it knows its settings, capabilities and how a post is
made, but no database and no web app. Where a kind needs them (loudspeaker bulletins and
confirmations, RSS feeds and article pages), that part lives in a ``publisher/`` package
named for the kind and registers a :class:`KindExtension` here. Generic code asks the
extension of a channel's kind; it never branches on a kind's name.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask
    from sqlalchemy.orm import Session

    from publisher.delivery.models import Channel, Publication

# One line per kind that needs the database or the web app; kinds without one need nothing.
_EXTENSION_PATHS: tuple[str, ...] = (
    "publisher.loudspeaker.extension:extension",
    "publisher.rss.extension:extension",
)


class KindExtension:
    """The service-side part of a channel kind; every hook does nothing by default."""

    kind: str = ""

    def init_app(self, app: Flask) -> None:
        """Register public routes, operator pages and hooks."""

    def post_extra(self, session: Session, pub: Publication, text: str) -> dict[str, Any]:
        """Fields for the rendered post's ``extra`` that need the database."""
        return {}

    def channel_context(self, session: Session, channel: Channel | None) -> dict[str, Any]:
        """Template variables for the channel's form and page (e.g. the communes to pick)."""
        return {}


_NOTHING = KindExtension()


@cache
def extensions() -> dict[str, KindExtension]:
    found: dict[str, KindExtension] = {}
    for path in _EXTENSION_PATHS:
        module_name, _, attr = path.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if not exc.name or not f"{module_name}.".startswith(f"{exc.name}."):
                raise  # the module exists but something it imports does not
            continue  # not there (yet): the kind adds nothing to the service
        extension = getattr(module, attr)
        found[extension.kind] = extension
    return found


def extension_for(kind: str) -> KindExtension:
    return extensions().get(kind, _NOTHING)


def init_app(app: Flask) -> None:
    for extension in extensions().values():
        extension.init_app(app)
