"""Channels, publications (content version × channel × time) and their delivery attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from content_library.db import Base, utcnow
from content_library.models import ContentItem, ContentVersion

PUBLICATION_STATUSES = (
    "scheduled",
    "queued",
    "publishing",
    "published",
    "failed",
    "cancelled",
    "expired",
    "unconfirmed",
)
PENDING_STATUSES = ("scheduled", "queued", "publishing", "unconfirmed")
PRIORITIES = ("normal", "priority", "emergency")
# A publication of a drive whose edit waits for an approver (publisher.planning.drive_changes)
# is held: it stays scheduled and says why in last_error.
DRIVE_HOLD_CLASS = "held"
DRIVE_HOLD_REASON = (
    "Chờ người duyệt xác nhận thay đổi của đợt hiến máu "
    "/ held: the drive's change waits for an approver"
)
# Channel health values that still deliver: "expiring" is flagged for people, not held.
DELIVERING_HEALTH = ("ok", "expiring")


class Channel(Base):
    """A configured destination; secrets are kept encrypted apart from plain settings."""

    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    secrets_encrypted: Mapped[str | None] = mapped_column(Text)
    # Planning rules: quiet hours, daily cap (see publisher.planning.rules).
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    health_status: Mapped[str] = mapped_column(String(20), default="ok")
    health_reason: Mapped[str] = mapped_column(Text, default="")
    paused_until: Mapped[datetime | None]
    health_checked_at: Mapped[datetime | None]
    token_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Publication(Base):
    """One scheduled delivery. The database is the source of truth; Redis only carries ids."""

    __tablename__ = "publications"
    __table_args__ = (
        Index("ix_publications_due", "status", "next_attempt_at"),
        Index("ix_publications_channel_status", "channel_id", "status"),
        UniqueConstraint("plan_key"),
        UniqueConstraint("idempotency_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("content_items.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("content_versions.id"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    scheduled_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    priority: Mapped[str] = mapped_column(String(20), default="normal")
    slot: Mapped[str | None] = mapped_column(String(20))
    repeats: Mapped[int] = mapped_column(Integer, default=1)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    queued_at: Mapped[datetime | None]
    job_id: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None]
    attempt_token: Mapped[str | None] = mapped_column(String(40))
    published_at: Mapped[datetime | None]
    external_id: Mapped[str | None] = mapped_column(String(200))
    external_url: Mapped[str | None] = mapped_column(String(1000))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_class: Mapped[str | None] = mapped_column(String(30))
    cancelled_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    withdraw_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when an earlier attempt's outcome is unknown: ask the channel before posting again.
    reconcile: Mapped[bool] = mapped_column(Boolean, default=False)
    reconcile_since: Mapped[datetime | None]
    # Client-supplied Idempotency-Key (scoped by creator) and a hash of the request body.
    idempotency_key: Mapped[str | None] = mapped_column(String(300))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    # Planning: the drive and the playbook step this row came from, for idempotent re-planning.
    drive_id: Mapped[int | None] = mapped_column(ForeignKey("drives.id"))
    plan_key: Mapped[str | None] = mapped_column(String(300))
    render_context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    channel: Mapped[Channel] = relationship()
    content: Mapped[ContentItem] = relationship()
    version: Mapped[ContentVersion] = relationship()
    attempt_log: Mapped[list[Attempt]] = relationship(
        back_populates="publication", order_by="Attempt.id", cascade="all, delete-orphan"
    )


class Attempt(Base):
    """One try at delivering (or reconciling) a publication."""

    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id"), index=True)
    number: Mapped[int]
    action: Mapped[str] = mapped_column(String(20), default="publish")
    token: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(30))
    error: Mapped[str | None] = mapped_column(Text)
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(String(120))

    publication: Mapped[Publication] = relationship(back_populates="attempt_log")
