"""Planning: playbooks, planning a campaign, its calendar and its recurring reminders.

Playbooks are written either as fields (``{slug, name, description?, steps}``) or
as the YAML an editor would keep in ``config/playbooks`` (``{yaml}``); both go
through the same validation, and errors name the field (``steps[2].at``).
"""

from __future__ import annotations

from typing import Any

import yaml
from flask import Response, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from content_library.models import Campaign
from publisher.api import planning_schemas  # noqa: F401  (registers this module's schemas)
from publisher.api.campaigns import load_campaign
from publisher.api.framework import (
    PAGE_PARAMS,
    ValidationFailed,
    current_user,
    endpoint,
    get_or_404,
    iso,
    paginate,
    parse_date,
)
from publisher.db import db
from publisher.delivery.models import Publication
from publisher.delivery.publications import PublicationError, cancel
from publisher.errors import ApiError, not_found
from publisher.planning.calendar import calendar_json
from publisher.planning.errors import PlaybookInvalid, RecurrenceInvalid
from publisher.planning.models import PlaybookRecord
from publisher.planning.playbooks import parse_playbook, playbook_from_dict, playbook_to_dict
from publisher.planning.reminders import ReminderInvalid, reminder_from_dict, reminder_to_dict
from publisher.planning.service import plan_campaign
from publisher.planning.sources import known_template_keys
from publisher.planning.validation import check_reminder


def serialise_playbook(record: PlaybookRecord) -> dict[str, Any]:
    definition = dict(record.definition or {})
    return {
        "id": record.id,
        "slug": record.slug,
        "name": record.name,
        "description": record.description or "",
        "steps": list(definition.get("steps") or []),
        "yaml": yaml.safe_dump(definition, allow_unicode=True, sort_keys=False),
        "created_at": iso(record.created_at),
        "updated_at": iso(record.updated_at),
    }


def _validated(data: dict[str, Any]) -> dict[str, Any]:
    """The playbook in ``data`` (fields or {yaml}) checked and normalised, or a 422."""
    known = known_template_keys(db.session)
    try:
        if "yaml" in data:
            if len(data) > 1:
                raise ValidationFailed(
                    {
                        "yaml": "Gửi hoặc yaml, hoặc các trường; không gửi cả hai / "
                        "send either yaml or the fields, not both"
                    }
                )
            playbook = parse_playbook(data["yaml"], known_templates=known)
        else:
            playbook = playbook_from_dict(data, known_templates=known)
    except PlaybookInvalid as exc:
        raise ValidationFailed(
            exc.errors,
            detail=f"Kịch bản không hợp lệ / invalid playbook ({len(exc.errors)} error(s))",
        ) from None
    return playbook_to_dict(playbook)


def _slug_taken(slug: str, record_id: int | None) -> bool:
    other = db.session.scalar(select(PlaybookRecord).where(PlaybookRecord.slug == slug))
    return other is not None and other.id != record_id


def _store(record: PlaybookRecord, definition: dict[str, Any]) -> None:
    record.slug = definition["slug"]
    record.name = definition["name"]
    record.description = definition["description"]
    record.definition = definition
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ApiError(409, "Mã kịch bản đã dùng / playbook slug is taken") from None


@endpoint(
    "POST",
    "/playbooks",
    summary="Create a playbook (fields or YAML)",
    permission="plan:write",
    body="PlaybookWrite",
    response="Playbook",
    status=201,
)
def create_playbook(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    definition = _validated(body)
    if _slug_taken(definition["slug"], None):
        raise ApiError(409, f"Mã kịch bản “{definition['slug']}” đã dùng / slug is taken")
    record = PlaybookRecord()
    db.session.add(record)
    _store(record, definition)
    return serialise_playbook(record), 201


@endpoint(
    "GET",
    "/playbooks",
    summary="List playbooks",
    permission="content:read",
    response="Playbook",
    paginated=True,
    query=PAGE_PARAMS,
)
def list_playbooks() -> dict[str, Any]:
    stmt = select(PlaybookRecord).order_by(PlaybookRecord.slug)
    return paginate(db.session, stmt, serialise_playbook)


def load_playbook(playbook_id: int) -> PlaybookRecord:
    return get_or_404(PlaybookRecord, playbook_id, "Playbook")


@endpoint(
    "GET", "/playbooks/{id}", summary="One playbook", permission="content:read", response="Playbook"
)
def get_playbook(id: int) -> dict[str, Any]:
    return serialise_playbook(load_playbook(id))


@endpoint(
    "PATCH",
    "/playbooks/{id}",
    summary="Edit a playbook: given fields replace the stored ones, or {yaml} replaces all",
    permission="plan:write",
    body="PlaybookWrite",
    response="Playbook",
)
def patch_playbook(id: int, body: dict[str, Any]) -> dict[str, Any]:
    record = load_playbook(id)
    data = body if "yaml" in body else {**record.definition, **body}
    definition = _validated(data)
    if definition["slug"] != record.slug:
        used = db.session.scalar(
            select(Publication.id)
            .where(Publication.plan_key.like(f"drive:%:{record.slug}:%"))
            .limit(1)
        )
        if used is not None:
            raise ValidationFailed(
                {
                    "slug": (
                        "Kịch bản đã được dùng để lập kế hoạch, không đổi mã được "
                        "(hãy tạo kịch bản mới) "
                        "/ a playbook that planned publications keeps its slug"
                    )
                }
            )
        if _slug_taken(definition["slug"], record.id):
            raise ApiError(409, f"Mã kịch bản “{definition['slug']}” đã dùng / slug is taken")
    _store(record, definition)
    return serialise_playbook(record)


@endpoint(
    "POST",
    "/campaigns/{id}/plan",
    summary="Plan the campaign's drives with a playbook (dry_run previews, 200)",
    permission="plan:write",
    body="PlanRequest",
    response="PlanResult",
    status=201,
    extra_responses={200: "PlanResult"},
)
def plan(id: int, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    campaign = load_campaign(id)
    record = db.session.get(PlaybookRecord, body["playbook_id"])
    if record is None:
        raise ValidationFailed({"playbook_id": "Không có kịch bản này / no such playbook"})
    dry_run = bool(body.get("dry_run", False))
    drive_ids = sorted(set(body["drive_ids"])) if "drive_ids" in body else None
    user = current_user()
    try:
        result = plan_campaign(
            db.session,
            campaign,
            record,
            drive_ids=drive_ids,
            dry_run=dry_run,
            user_id=user.id if user else None,
            accept_suggestions=bool(body.get("accept_suggestions", False)),
        )
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ApiError(
            409,
            "Kế hoạch vừa được lập song song; hãy chạy lại "
            "/ the plan was applied concurrently, run it again",
        ) from None
    except Exception:
        db.session.rollback()
        raise
    return result.as_dict(), 200 if dry_run else 201


@endpoint(
    "GET",
    "/campaigns/{id}/calendar",
    summary="Drives and publications between two local days (default: the campaign's dates)",
    permission="content:read",
    response="CampaignCalendar",
    query=(
        {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
        {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
    ),
)
def campaign_calendar(id: int) -> dict[str, Any]:
    campaign = load_campaign(id)
    first = parse_date(request.args.get("from"), "from") or campaign.starts_on
    last = parse_date(request.args.get("to"), "to") or campaign.ends_on
    if last < first:
        raise ValidationFailed({"to": "must not be before from"})
    if (last - first).days > 800:
        raise ValidationFailed({"to": "at most 800 days from 'from'"})
    return calendar_json(db.session, campaign, first, last)


def _reminder_view(campaign: Campaign, raw: dict[str, Any]) -> dict[str, Any]:
    view = dict(raw)
    try:
        view.update(check_reminder(db.session, campaign, reminder_from_dict(raw), strict=False))
    except (ReminderInvalid, RecurrenceInvalid, ValidationFailed):
        view.update(occurrences=0, next=[])
    return view


@endpoint(
    "GET",
    "/campaigns/{id}/recurrences",
    summary="The campaign's recurring reminders",
    permission="content:read",
    response="RecurrenceList",
)
def list_recurrences(id: int) -> dict[str, Any]:
    campaign = load_campaign(id)
    return {"items": [_reminder_view(campaign, raw) for raw in campaign.recurrence or []]}


@endpoint(
    "POST",
    "/campaigns/{id}/recurrences",
    summary="Add a recurring reminder (RRULE) to the campaign; planning expands it",
    permission="plan:write",
    body="RecurrenceCreate",
    response="Recurrence",
    status=201,
)
def create_recurrence(id: int, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    campaign = load_campaign(id)
    existing = list(campaign.recurrence or [])
    next_id = max((int(r.get("id", 0)) for r in existing), default=0) + 1
    try:
        reminder = reminder_from_dict({**body, "id": next_id})
    except ReminderInvalid as exc:
        raise ValidationFailed(exc.errors) from None
    summary = check_reminder(db.session, campaign, reminder, strict=True)
    stored = reminder_to_dict(reminder)
    campaign.recurrence = [*existing, stored]
    db.session.commit()
    return {**stored, **summary}, 201


@endpoint(
    "DELETE",
    "/campaigns/{id}/recurrences/{recurrence_id}",
    summary="Remove a recurring reminder; its pending publications are cancelled",
    permission="plan:write",
    status=204,
)
def delete_recurrence(id: int, recurrence_id: str) -> Response:
    campaign = load_campaign(id)
    try:
        rid = int(recurrence_id)
    except ValueError:
        raise not_found("Recurrence", recurrence_id) from None
    existing = list(campaign.recurrence or [])
    kept = [r for r in existing if r.get("id") != rid]
    if len(kept) == len(existing):
        raise not_found("Recurrence", rid)
    campaign.recurrence = kept
    pending = db.session.scalars(
        select(Publication).where(
            Publication.plan_key.like(f"campaign:{campaign.id}:recurrence:{rid}:%"),
            Publication.status.in_(("scheduled", "queued")),
        )
    ).all()
    for pub in pending:
        try:
            cancel(db.session, pub)
        except PublicationError:
            continue  # claimed meanwhile: it goes out, as anything already under way does
    db.session.commit()
    return Response(status=204)
