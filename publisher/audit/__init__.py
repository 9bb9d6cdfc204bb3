"""Writing and reading the audit log of personal data.

Every read and change of a donor or a consent calls :func:`record` in the same transaction
as the work it records, so a change is never without its entry. Admins read the log: the
department's admins all of it, a unit's admins the entries about their own organisation's
rows (see :func:`visible_events`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from publisher.audit.models import AuditEvent
from publisher.auth.models import User

ACTIONS = ("read", "list", "create", "update", "delete", "export", "import", "withdraw")
SYSTEM_ACTOR = "(hệ thống)"


def record(
    session: Session,
    actor: User | None,
    action: str,
    entity: str,
    entity_id: int | None,
    organisation_id: int | None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one entry (flushed, committed with the caller's transaction).

    ``detail`` must not hold personal data: name the fields changed, count the rows read.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        actor_username=actor.username if actor is not None else SYSTEM_ACTOR,
        organisation_id=organisation_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        detail=dict(detail or {}),
    )
    session.add(event)
    session.flush()
    return event


def visible_events(session: Session, user: User | None) -> Select[Any]:
    """The entries ``user`` may read, newest first: none unless an active admin."""
    from publisher.organisations.visibility import sees_everything

    stmt = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if user is None or not user.active or user.role != "admin":
        return stmt.where(false())
    if sees_everything(session, user):
        return stmt
    return stmt.where(AuditEvent.organisation_id == user.organisation_id)
