"""The RSS kind's part of the service: the public feeds and article pages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import url_for

from publisher.extensions import KindExtension

if TYPE_CHECKING:
    from flask import Flask
    from sqlalchemy.orm import Session

    from publisher.delivery.models import Channel


class RssExtension(KindExtension):
    kind = "rss"

    def init_app(self, app: Flask) -> None:
        from publisher.rss.views import feeds

        app.register_blueprint(feeds)

    def channel_context(self, session: Session, channel: Channel | None) -> dict[str, Any]:
        """The feed's public address, for the channel's page."""
        if channel is None:
            return {}
        return {"public_links": [("Địa chỉ nguồn tin", url_for("feeds.feed", slug=channel.slug))]}


extension = RssExtension()
