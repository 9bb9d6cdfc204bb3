"""Link-preview images of campaigns, drawn once and kept in the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from content_library.db import Base, utcnow


class CampaignImage(Base):
    """A drawn 1200×630 PNG; ``cache_key`` names what it shows, so a renamed campaign
    gets a new drawing. In the database (not on a disk) so every web machine serves it."""

    __tablename__ = "campaign_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    cache_key: Mapped[str] = mapped_column(String(100), unique=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    mime: Mapped[str] = mapped_column(String(40), default="image/png")
    width: Mapped[int]
    height: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
