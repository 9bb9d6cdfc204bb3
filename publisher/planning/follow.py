"""Planned publications follow their drive when it moves or is cancelled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from content_library.models import Drive


def follow_drive(
    session: Session, drive: Drive, *, previous_start: datetime, previous_status: str
) -> None:
    """Placeholder until planning lands: nothing is planned from drives yet."""
    del session, drive, previous_start, previous_status
