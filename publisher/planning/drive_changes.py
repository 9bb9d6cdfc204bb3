"""Drive edits that would change published words wait for an approver.

A drive's facts are words on public channels: planned announcements are rendered
from them (name, date, time, place, commune, campaign, target and result), and the
public article and calendar pages show them. So an edit by someone who may not
approve content (an editor) that changes any of those facts is not applied: it waits
on the drive as ``pending_change``, and the drive's pending publications are held
(the dispatcher skips them, does not expire them, and their ``last_error`` says why)
until an approver applies it (:func:`approve_change`) or drops it
(:func:`reject_change`). Nobody confirms a change they asked for.

The status is applied at once, whoever edits: it is a closed list, not words anyone
types, and cancelling must never wait (it stops announcements; the cancellation notice
is an approved template filled with already approved facts). An edit that sets a
fact to the value it already has changes nothing and asks nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from content_library.db import utcnow
from content_library.models import Drive
from publisher.delivery.drive_holds import hold_for_drive_change as hold
from publisher.delivery.drive_holds import release_drive_hold as release_held
from publisher.delivery.models import DRIVE_HOLD_CLASS, DRIVE_HOLD_REASON
from publisher.planning.follow import FollowReport, follow_drive

# The drive's facts that reach public words; every other field applies at once.
WORD_FIELDS = (
    "name",
    "location",
    "starts_at",
    "ends_at",
    "commune_code",
    "campaign_id",
    "target_units",
    "result_units",
)
HOLD_CLASS, HOLD_REASON = DRIVE_HOLD_CLASS, DRIVE_HOLD_REASON
_DATETIMES = ("starts_at", "ends_at")


class DriveChangeError(Exception):
    """A step on a pending change that is not allowed; ``status`` is the HTTP status."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class EditOutcome:
    """What an edit did: applied at once, and what now waits for an approver."""

    applied: dict[str, Any]
    held: dict[str, Any]
    report: FollowReport | None


def _stored(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _loaded(name: str, value: Any) -> Any:
    return datetime.fromisoformat(value) if name in _DATETIMES and value is not None else value


def proposed(drive: Drive) -> dict[str, Any]:
    """The pending change's fields with their Python values (datetimes parsed)."""
    fields = (drive.pending_change or {}).get("fields") or {}
    return {name: _loaded(name, value) for name, value in fields.items()}


def requesters(drive: Drive) -> set[int]:
    return {int(i) for i in (drive.pending_change or {}).get("requesters") or ()}


def edit_drive(
    session: Session,
    drive: Drive,
    values: dict[str, Any],
    user_id: int | None,
    *,
    may_approve: bool,
) -> EditOutcome:
    """Apply ``values`` (already validated) as the rules above say; flushes, never commits.

    Raises ``PlanRefused`` (422) when planned words can no longer be filled.
    """
    changed = {k: v for k, v in values.items() if getattr(drive, k) != v}
    waiting = proposed(drive)
    if may_approve:
        held: dict[str, Any] = {}
        applied = changed
        if waiting:
            # The approver's own new values win over what was waiting for the same fields.
            remaining = {k: v for k, v in waiting.items() if k not in changed}
            if remaining != waiting:
                _set_pending(session, drive, remaining, None)
    else:
        held = {k: v for k, v in changed.items() if k in WORD_FIELDS}
        applied = {k: v for k, v in changed.items() if k not in WORD_FIELDS}
        # A fact set back to the drive's value withdraws that part of the request.
        kept = {k: v for k, v in waiting.items() if not (k in values and k not in changed)}
        if held or kept != waiting:
            _set_pending(session, drive, {**kept, **held}, user_id if held else None)
    report = _apply(session, drive, applied) if applied else None
    return EditOutcome(applied=applied, held=held, report=report)


def approve_change(session: Session, drive: Drive, user_id: int) -> FollowReport:
    """Apply the pending change and release the held publications."""
    if drive.pending_change is None:
        raise DriveChangeError("Đợt này không có thay đổi nào chờ duyệt / no pending change")
    if user_id in requesters(drive):
        raise DriveChangeError(
            "Không được tự duyệt thay đổi mình đề nghị / nobody approves a change they asked for",
            403,
        )
    fields = proposed(drive)
    _set_pending(session, drive, {}, None)
    return _apply(session, drive, fields)


def reject_change(session: Session, drive: Drive) -> None:
    """Drop the pending change: the held publications go out with the drive's old words."""
    if drive.pending_change is None:
        raise DriveChangeError("Đợt này không có thay đổi nào chờ duyệt / no pending change")
    _set_pending(session, drive, {}, None)


def _apply(session: Session, drive: Drive, values: dict[str, Any]) -> FollowReport:
    previous_start, previous_status = drive.starts_at, drive.status
    for name, value in values.items():
        setattr(drive, name, value)
    session.flush()
    return follow_drive(
        session, drive, previous_start=previous_start, previous_status=previous_status
    )


def _set_pending(
    session: Session, drive: Drive, fields: dict[str, Any], user_id: int | None
) -> None:
    if not fields:
        drive.pending_change = None
        session.flush()
        release_held(session, drive.id)
        return
    current = drive.pending_change or {}
    who = sorted(requesters(drive) | ({user_id} if user_id is not None else set()))
    drive.pending_change = {
        "fields": {name: _stored(value) for name, value in fields.items()},
        "previous": {name: _stored(getattr(drive, name)) for name in fields},
        "requested_by": user_id if user_id is not None else current.get("requested_by"),
        "requesters": who,
        "requested_at": utcnow().isoformat() if user_id is not None else current["requested_at"],
    }
    session.flush()
    hold(session, drive.id)


def serialise_pending(drive: Drive) -> dict[str, Any] | None:
    """The drive's ``pending_change`` as the API shows it (times as stored, ISO 8601)."""
    change = drive.pending_change
    if change is None:
        return None
    return {
        "fields": dict(change.get("fields") or {}),
        "previous": dict(change.get("previous") or {}),
        "requested_by": change.get("requested_by"),
        "requesters": list(change.get("requesters") or []),
        "requested_at": change.get("requested_at"),
    }
