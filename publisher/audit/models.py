"""The audit log: who read or changed which row of personal data, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from content_library.db import Base, utcnow


class AuditEvent(Base):
    """One read or change. ``detail`` names fields and counts, never the personal data
    itself, so the log can be shown to every admin entitled to it and kept longer than the
    rows it speaks of. ``actor_username`` is copied so the entry outlives the account;
    ``organisation_id`` is the organisation whose row it was (its admins see the entry)."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_organisation_at", "organisation_id", "at"),
        Index("ix_audit_events_entity", "entity", "entity_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_username: Mapped[str] = mapped_column(String(80))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    action: Mapped[str] = mapped_column(String(20))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
