"""Consents to publish an exemplary donor's story (a profile), and the signed forms.

Personal data (Nghị định 13/2023/NĐ-CP): read by those who write and approve profiles in
the consent's organisation, and every read and change is written to the audit log
(``publisher.audit``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from content_library.db import Base, utcnow


class Consent(Base):
    """A person's consent to have their story published on some channel kinds.

    ``scope`` lists the channel kinds (registry names) the consent covers; ``expires_on``
    is the last day it holds (inclusive, local time); a withdrawn consent covers nothing.
    The signed form is kept decoded and checked (PDF or image), in the database so that
    every web machine can serve it to those allowed to read it.
    """

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    person_name: Mapped[str] = mapped_column(String(200))
    commune_code: Mapped[str | None] = mapped_column(ForeignKey("communes.code"))
    scope: Mapped[list[Any]] = mapped_column(JSON, default=list)
    given_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    form_data: Mapped[bytes | None] = mapped_column(LargeBinary)
    form_mime: Mapped[str | None] = mapped_column(String(40))
    form_filename: Mapped[str | None] = mapped_column(String(200))
    form_sha256: Mapped[str | None] = mapped_column(String(64))
    form_pages: Mapped[int | None] = mapped_column(Integer)
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdraw_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
