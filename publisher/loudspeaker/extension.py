"""The loudspeaker kind's part of the service: operator pages and bulletin downloads, the
reading text a loudspeaker post carries, and the communes its channel form offers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import current_app
from sqlalchemy import select

from content_library.models import Commune
from publisher.extensions import KindExtension
from publisher.loudspeaker.reading import reading_text_for, spell_out_text

if TYPE_CHECKING:
    from flask import Flask
    from sqlalchemy.orm import Session

    from publisher.delivery.models import Channel, Publication


class LoudspeakerExtension(KindExtension):
    kind = "loudspeaker"

    def init_app(self, app: Flask) -> None:
        from publisher.loudspeaker.views import loudspeaker

        app.register_blueprint(loudspeaker)

    def post_extra(self, session: Session, pub: Publication, text: str) -> dict[str, Any]:
        """The reading text (the editor's correction wins), and what the preview shows of it."""
        reading = reading_text_for(pub, text)
        return {
            "reading_text": reading,
            "reading_corrected": reading != spell_out_text(text),
            "reading_rate": int(current_app.config["SETTINGS"].READING_RATE),
        }

    def channel_context(self, session: Session, channel: Channel | None) -> dict[str, Any]:
        """Every commune to pick from, and the names of those the channel serves."""
        communes = list(
            session.scalars(select(Commune).order_by(Commune.kind.desc(), Commune.name))
        )
        codes = set((channel.settings or {}).get("commune_codes", []) if channel else ())
        return {
            "communes": communes,
            "commune_names": {c.code: c.full_name for c in communes if c.code in codes},
        }


extension = LoudspeakerExtension()
