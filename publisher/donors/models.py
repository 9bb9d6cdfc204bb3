"""Each organisation's register of its staff's donations, for commending repeat donors.

Personal data (Nghị định 13/2023/NĐ-CP): who may read it is narrower than the organisation
rule (see ``publisher.donors.access``), and every read and change is written to the audit
log (``publisher.audit``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from content_library.db import Base, utcnow


class Donor(Base):
    """A member of an organisation's staff who gives blood; erased by deleting the row."""

    __tablename__ = "donors"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    donations: Mapped[list[Donation]] = relationship(
        back_populates="donor",
        order_by="Donation.donated_on",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class Donation(Base):
    """One donation, as its certificate (giấy chứng nhận hiến máu) records it."""

    __tablename__ = "donations"
    __table_args__ = (UniqueConstraint("donor_id", "donated_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donors.id", ondelete="CASCADE"), index=True)
    donated_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(300), default="")
    certificate_no: Mapped[str | None] = mapped_column(String(80))

    donor: Mapped[Donor] = relationship(back_populates="donations")
