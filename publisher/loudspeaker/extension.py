"""What the loudspeaker kind adds to the service: the words a bulletin reads."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from publisher.delivery.models import Publication
from publisher.extensions import KindExtension
from publisher.loudspeaker.reading import reading_text_for


class LoudspeakerExtension(KindExtension):
    kind = "loudspeaker"

    def post_extra(self, session: Session, pub: Publication, text: str) -> dict[str, Any]:
        return {"reading_text": reading_text_for(pub, text)}


extension = LoudspeakerExtension()
