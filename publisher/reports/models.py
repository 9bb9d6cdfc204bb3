"""What the results report stores: engagement read from channels, and who signs the report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from content_library.db import Base, utcnow


class EngagementReading(Base):
    """What a channel said about a delivered post at one moment (reactions, comments, ...).

    Readings are kept, not overwritten: the report shows the latest one with its time, and
    the history shows how a post's reach grew. ``figures`` maps a kind-neutral name
    (``reactions``, ``comments``, ``shares``, ``views`` ...) to a whole number.
    """

    __tablename__ = "engagement_readings"
    __table_args__ = (
        Index("ix_engagement_readings_publication_read", "publication_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"))
    read_at: Mapped[datetime] = mapped_column(default=utcnow)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ReportSignature(Base):
    """Who issues and signs the results report: one row per organisation.

    ``organisation_id`` NULL is the department's row (the only one until organisations
    exist); it has no foreign key yet so this table does not depend on them.
    """

    __tablename__ = "report_signatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    superior_body: Mapped[str] = mapped_column(String(200))
    issuing_body: Mapped[str] = mapped_column(String(200))
    symbol: Mapped[str] = mapped_column(String(40))
    place: Mapped[str] = mapped_column(String(80))
    signer_title: Mapped[str] = mapped_column(String(200))
    signer_name: Mapped[str] = mapped_column(String(200))
    recipients: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
