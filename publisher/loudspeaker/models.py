"""Broadcast confirmations: an operator says an item was aired in their commune on a day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
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


class AudioRecording(Base):
    """A person's reading of one content version (MP3, WAV, OGG or FLAC, as uploaded).

    It belongs to the version: attached while the version is a draft, frozen with it, and
    aired only once that version is approved, in place of synthetic speech.
    """

    __tablename__ = "audio_recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("content_versions.id", ondelete="CASCADE"), unique=True
    )
    filename: Mapped[str] = mapped_column(String(255), default="")
    format: Mapped[str] = mapped_column(String(10))
    mime: Mapped[str] = mapped_column(String(40))
    bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    seconds: Mapped[float] = mapped_column(Float)
    # Loaded only when asked for: pages list recordings without their megabytes.
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class AudioRender(Base):
    """A rendered MP3 (a day's bulletin, or one item) or a platform package, by content hash.

    The key hashes everything the file says (words, recordings, repeats, order, tags), so a
    changed bulletin never meets a stale file; older renders of the same commune-day are
    deleted when a new one is stored. Kept in the database so every web machine sees what
    any worker rendered.
    """

    __tablename__ = "audio_renders"
    __table_args__ = (Index("ix_audio_renders_commune_day", "commune_code", "air_date", "kind"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    commune_code: Mapped[str | None] = mapped_column(String(5))
    air_date: Mapped[date | None] = mapped_column(Date)
    mime: Mapped[str] = mapped_column(String(40))
    bytes: Mapped[int]
    seconds: Mapped[float] = mapped_column(Float)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
