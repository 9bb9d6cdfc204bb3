"""Content library models: communes, campaigns, drives, content items and versions, assets."""

from __future__ import annotations

import secrets
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from content_library.db import Base, utcnow

CONTENT_KINDS = ("article", "poster", "script", "profile")
# Kinds shown as an article (a public page, a link in posts); a profile is an exemplary
# donor's story, written and shown like an article, with a person block and a consent.
ARTICLE_KINDS = ("article", "poster", "profile")
PROFILE_KIND = "profile"
CONTENT_STATUSES = ("draft", "in_review", "approved", "rejected", "archived")
DRIVE_STATUSES = ("planned", "confirmed", "cancelled", "done")


class Commune(Base):
    """A commune or ward (xã, phường) with its official code."""

    __tablename__ = "communes"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    planning_area: Mapped[str | None] = mapped_column(String(120))

    @property
    def full_name(self) -> str:
        return f"{self.kind} {self.name}"


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    recurrence: Mapped[list[Any]] = mapped_column(JSON, default=list)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Drive(Base):
    """A blood-donation drive: when, where, which commune, how many units."""

    __tablename__ = "drives"
    __table_args__ = (Index("ix_drives_starts_at", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    name: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    location: Mapped[str] = mapped_column(String(300))
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"))
    target_units: Mapped[int | None] = mapped_column(Integer)
    result_units: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="planned")
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)
    external_ref: Mapped[str | None] = mapped_column(String(80), unique=True)
    # An edit by someone who may not approve, waiting for an approver (see
    # publisher.planning.drive_changes): {"fields", "previous", "requested_by",
    # "requesters", "requested_at"}; SQL NULL when nothing waits.
    pending_change: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    campaign: Mapped[Campaign | None] = relationship()
    commune: Mapped[Commune] = relationship()


def new_media_key() -> str:
    """192 random bits, URL-safe: the part of a public poster URL nobody can guess."""
    return secrets.token_urlsafe(24)


class Asset(Base):
    """A poster image, decoded, re-encoded without metadata, stored in the database.

    Bytes live in the database so that any web machine can serve them and an
    export carries them; posters are small (the API caps them). ``media_key`` names
    the poster in its public URL (``/media/<media_key>/<name>``), served only once
    an approved version uses it; sequential ids would let anyone walk every draft.
    """

    __tablename__ = "assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    media_key: Mapped[str] = mapped_column(String(64), unique=True, default=new_media_key)
    mime: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(200))
    width: Mapped[int]
    height: Mapped[int]
    bytes: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)
    thumbnail: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContentItem(Base):
    """An article, poster, script or profile; its words live in versions."""

    __tablename__ = "content_items"
    __table_args__ = (
        UniqueConstraint("feed_source_id", "source_guid"),
        Index("ix_content_items_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    # The latest version's language and campaign, kept here for search and filters;
    # channels read the ones frozen in the version they deliver.
    language: Mapped[str] = mapped_column(String(10), default="vi")
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    is_template: Mapped[bool] = mapped_column(Boolean, default=False)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    latest_version: Mapped[int] = mapped_column(Integer, default=1)
    approved_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("content_versions.id", use_alter=True)
    )
    # Folded (no diacritics, lower case) title and body, for search on any database.
    search_text: Mapped[str] = mapped_column(Text, default="")
    feed_source_id: Mapped[int | None] = mapped_column(ForeignKey("feed_sources.id"))
    # Names the item across instances: export/import match on it (publisher/transfer).
    export_key: Mapped[str] = mapped_column(
        String(36), unique=True, default=lambda: str(uuid.uuid4())
    )
    source_guid: Mapped[str | None] = mapped_column(String(500))
    # A profile's consent (publisher.donors): the latest version's, kept here so that a
    # withdrawal finds the items it stops. No foreign key: this package knows no consents.
    consent_id: Mapped[int | None] = mapped_column(Integer, index=True)
    source_url: Mapped[str | None] = mapped_column(String(1000), index=True)
    source_name: Mapped[str | None] = mapped_column(String(300))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    versions: Mapped[list[ContentVersion]] = relationship(
        back_populates="item",
        foreign_keys="ContentVersion.content_id",
        order_by="ContentVersion.number",
        cascade="all, delete-orphan",
    )


class ContentVersion(Base):
    """One version of a content item; immutable once approved (``content_hash`` set)."""

    __tablename__ = "content_versions"
    __table_args__ = (UniqueConstraint("content_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("content_items.id"))
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default="draft")
    title: Mapped[str] = mapped_column(String(300))
    body_html: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id"))
    # The editor's correction of the loudspeaker reading version; wins over the automatic one.
    reading_text: Mapped[str | None] = mapped_column(Text)
    # Other languages for loudspeakers: {"hmn": {"name": "Tiếng Mông", "text": "..."}}.
    variants: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A profile's person block, frozen with the version: {"name", "commune_code"?,
    # "consent_id"}; SQL NULL for every other kind.
    person: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    # Everything a channel shows belongs to the version, so that editing approved
    # content changes no channel until the new version is approved: tags (RSS
    # categories, webhook payload), language and campaign (the feed's first category).
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(10), default="vi")
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    # Ids of everyone who wrote or edited this version: none of them may approve it.
    authors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]
    review_note: Mapped[str | None] = mapped_column(Text)

    item: Mapped[ContentItem] = relationship(back_populates="versions", foreign_keys=[content_id])
    asset: Mapped[Asset | None] = relationship()
