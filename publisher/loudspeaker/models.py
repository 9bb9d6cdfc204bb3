"""Broadcast confirmations: an operator says an item was aired in their commune on a day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from content_library.db import Base, utcnow


class BroadcastConfirmation(Base):
    __tablename__ = "broadcast_confirmations"
    __table_args__ = (UniqueConstraint("commune_code", "air_date", "publication_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    air_date: Mapped[date] = mapped_column(Date, index=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id"))
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    slot: Mapped[str | None] = mapped_column(String(20))


class ReadingKept(Base):
    """An editor's or approver's "keep as written" for the reading of one content version.

    It covers the reading as it was when kept (``reading_hash``): a draft edited
    afterwards reads differently and its findings are shown again.
    """

    __tablename__ = "reading_kept"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("content_versions.id", ondelete="CASCADE"), unique=True
    )
    reading_hash: Mapped[str] = mapped_column(String(64))
    findings: Mapped[int] = mapped_column(default=0)
    kept_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kept_at: Mapped[datetime] = mapped_column(default=utcnow)
