"""Reading the audit log: filters (entity, row, action, local days) over what a user may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from publisher.audit import ACTIONS, visible_events
from publisher.audit.models import AuditEvent
from publisher.auth.models import User
from publisher.times import iso_z, local_to_utc


@dataclass(frozen=True)
class AuditFilter:
    entity: str | None = None
    entity_id: int | None = None
    action: str | None = None
    first: date | None = None  # local calendar days, inclusive
    last: date | None = None


def filter_from_args(args: dict[str, str]) -> AuditFilter:
    """The filter from query or form values; ValueError carries field → message."""
    errors: dict[str, str] = {}
    entity = args.get("entity") or None
    if entity is not None and len(entity) > 40:
        errors["entity"] = "Tối đa 40 ký tự / at most 40 characters"
    entity_id = None
    if args.get("entity_id"):
        try:
            entity_id = int(args["entity_id"])
        except ValueError:
            errors["entity_id"] = "Phải là số / must be an integer"
    action = args.get("action") or None
    if action is not None and action not in ACTIONS:
        errors["action"] = "Thao tác không hợp lệ / must be one of " + ", ".join(ACTIONS)
    days: dict[str, date | None] = {}
    for name in ("from", "to"):
        raw = args.get(name)
        days[name] = None
        if raw:
            try:
                days[name] = date.fromisoformat(raw)
            except ValueError:
                errors[name] = "Ngày không hợp lệ / not a date (YYYY-MM-DD)"
    first, last = days["from"], days["to"]
    if first and last and first > last:
        errors["from"] = "Từ ngày phải trước hoặc bằng đến ngày / from must be on or before to"
    if errors:
        raise ValueError(errors)
    return AuditFilter(entity, entity_id, action, first, last)


def filtered_events(session: Session, user: User | None, wanted: AuditFilter) -> Select[Any]:
    stmt = visible_events(session, user)
    if wanted.entity is not None:
        stmt = stmt.where(AuditEvent.entity == wanted.entity)
    if wanted.entity_id is not None:
        stmt = stmt.where(AuditEvent.entity_id == wanted.entity_id)
    if wanted.action is not None:
        stmt = stmt.where(AuditEvent.action == wanted.action)
    if wanted.first is not None:
        stmt = stmt.where(AuditEvent.at >= local_to_utc(wanted.first, time(0)))
    if wanted.last is not None:
        stmt = stmt.where(AuditEvent.at < local_to_utc(wanted.last + timedelta(days=1), time(0)))
    return stmt


def serialise_event(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": iso_z(event.at),
        "actor": event.actor_username,
        "action": event.action,
        "entity": event.entity,
        "entity_id": event.entity_id,
        "organisation_id": event.organisation_id,
        "detail": dict(event.detail or {}),
    }
