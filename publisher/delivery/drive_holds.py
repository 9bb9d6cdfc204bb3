"""Holding a drive's pending publications while an edit of the drive waits for an approver.

The rules are in :mod:`publisher.planning.drive_changes`; the dispatcher holds the rows
by looking at the drive (``dispatch.not_held_for_drive_change``); these two only write
on the rows what people read.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from content_library.db import utcnow
from publisher.delivery.models import DRIVE_HOLD_CLASS, DRIVE_HOLD_REASON, Publication

HOLD_CLASS, HOLD_REASON = DRIVE_HOLD_CLASS, DRIVE_HOLD_REASON


def hold_for_drive_change(session: Session, drive_id: int) -> None:
    """Say on each pending publication of the drive why it waits; take queued ones back.

    The dispatcher already skips a drive with a pending change (and ``deliver`` checks
    again), so this is what people read; rows to be reconciled keep their own message.
    """
    base = (
        Publication.drive_id == drive_id,
        Publication.reconcile.is_(False),
    )
    now = utcnow()
    session.execute(
        update(Publication)
        .where(*base, Publication.status == "queued")
        .values(status="scheduled", job_id=None, queued_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Publication)
        .where(*base, Publication.status == "scheduled")
        .values(last_error=HOLD_REASON, last_error_class=HOLD_CLASS, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def release_drive_hold(session: Session, drive_id: int) -> None:
    """Clear the hold message; the dispatcher takes the rows again when they are due."""
    session.execute(
        update(Publication)
        .where(
            Publication.drive_id == drive_id,
            Publication.last_error_class == HOLD_CLASS,
            Publication.last_error == HOLD_REASON,
        )
        .values(last_error=None, last_error_class=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
