"""Organisations, guidance sent to them, and the evidence they record."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from content_library.db import Base, utcnow

ORGANISATION_KINDS = ("department", "press", "portal", "red_cross", "commune", "other")


class Organisation(Base):
    """A unit that owns users, tokens, channels, content and campaigns."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    commune_code: Mapped[str | None] = mapped_column(ForeignKey("communes.code"), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Guidance(Base):
    """What the department asks units to carry: words, approved content, a due date."""

    __tablename__ = "guidance"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    due_on: Mapped[date] = mapped_column(Date)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GuidanceContent(Base):
    """A content item sent with guidance, pinned to the approved version that was sent:
    that version, and only it, may be scheduled by the receiving units without a second
    approval."""

    __tablename__ = "guidance_contents"

    guidance_id: Mapped[int] = mapped_column(
        ForeignKey("guidance.id", ondelete="CASCADE"), primary_key=True
    )
    content_id: Mapped[int] = mapped_column(ForeignKey("content_items.id"), primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("content_versions.id"))


class GuidanceTarget(Base):
    """A unit the guidance was sent to; ``reminded_at`` marks the reminder before it is due."""

    __tablename__ = "guidance_targets"
    __table_args__ = (Index("ix_guidance_targets_organisation_id", "organisation_id"),)

    guidance_id: Mapped[int] = mapped_column(
        ForeignKey("guidance.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    reminded_at: Mapped[datetime | None]


class GuidanceEvidence(Base):
    """Carried outside the service: a newspaper's page, a TV slot, a notice board's photo."""

    __tablename__ = "guidance_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    guidance_id: Mapped[int] = mapped_column(
        ForeignKey("guidance.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    url: Mapped[str | None] = mapped_column(String(1000))
    note: Mapped[str] = mapped_column(Text)
    on_date: Mapped[date] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
