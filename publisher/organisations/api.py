"""/api/v1/organisations and /api/v1/guidance."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from publisher.api.framework import (
    PAGE_PARAMS,
    current_user,
    endpoint,
    iso,
    paginate,
    parse_date,
    schema,
)
from publisher.db import db
from publisher.errors import ApiError, ValidationFailed, forbidden, not_found
from publisher.organisations.guidance import (
    Coverage,
    GuidanceError,
    coverage,
    create_guidance,
    guidance_for,
    local_today,
    pinned_versions,
    record_evidence,
    target_ids,
    visible_guidance,
)
from publisher.organisations.models import (
    ORGANISATION_KINDS,
    Guidance,
    GuidanceEvidence,
    Organisation,
)
from publisher.organisations.service import (
    OrganisationError,
    create_organisation,
    serialise_organisation,
)
from publisher.organisations.visibility import sees_everything

ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
DATE = {"type": "string", "format": "date"}

schema(
    "OrganisationCreate",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["slug", "name", "kind"],
        "properties": {
            "slug": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,79}$"},
            "name": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"},
            "kind": {"type": "string", "enum": list(ORGANISATION_KINDS)},
            "commune_code": {"type": ["string", "null"], "pattern": "^[0-9]{5}$"},
            "parent_id": {"type": ["integer", "null"], "minimum": 1, "maximum": 2**31 - 1},
        },
    },
)
schema(
    "Organisation",
    {
        "type": "object",
        "required": ["id", "slug", "name", "kind"],
        "properties": {
            "id": ID,
            "slug": {"type": "string"},
            "name": {"type": "string"},
            "kind": {"type": "string", "enum": list(ORGANISATION_KINDS)},
            "commune_code": {"type": ["string", "null"]},
            "parent_id": {"type": ["integer", "null"]},
        },
    },
)
schema(
    "GuidanceCreate",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["title", "body", "content_ids", "due_on", "organisation_ids"],
        "properties": {
            "title": {"type": "string", "minLength": 1, "maxLength": 300, "pattern": r"\S"},
            "body": {"type": "string", "minLength": 1, "maxLength": 20000, "pattern": r"\S"},
            "campaign_id": {"type": ["integer", "null"], "minimum": 1, "maximum": 2**31 - 1},
            "content_ids": {"type": "array", "items": ID, "maxItems": 50},
            "due_on": DATE,
            "organisation_ids": {"type": "array", "items": ID, "minItems": 1, "maxItems": 5000},
        },
    },
)
schema(
    "Guidance",
    {
        "type": "object",
        "required": ["id", "title", "body", "due_on", "organisation_ids", "contents"],
        "properties": {
            "id": ID,
            "title": {"type": "string"},
            "body": {"type": "string"},
            "campaign_id": {"type": ["integer", "null"]},
            "due_on": DATE,
            "organisation_ids": {"type": "array", "items": {"type": "integer"}},
            "contents": {"type": "array", "items": {"type": "object"}},
            "overdue": {"type": "boolean"},
            "due_soon": {"type": "boolean"},
        },
    },
)
schema(
    "EvidenceCreate",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["note", "date"],
        "properties": {
            "url": {
                "type": ["string", "null"],
                "maxLength": 1000,
                "pattern": "^https?://[^\\s]+$",
            },
            "note": {"type": "string", "minLength": 1, "maxLength": 5000, "pattern": r"\S"},
            "date": DATE,
        },
    },
)
schema(
    "Evidence",
    {
        "type": "object",
        "required": ["id", "organisation_id", "note", "date"],
        "properties": {
            "id": ID,
            "organisation_id": ID,
            "url": {"type": ["string", "null"]},
            "note": {"type": "string"},
            "date": DATE,
        },
    },
)
schema(
    "Coverage",
    {
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["organisation_id", "status", "publication_ids", "evidence"],
                    "properties": {
                        "organisation_id": ID,
                        "status": {
                            "type": "string",
                            "enum": ["pending", "in_progress", "done", "overdue"],
                        },
                        "publication_ids": {"type": "array", "items": {"type": "integer"}},
                        "evidence": {"type": "array", "items": {"type": "object"}},
                    },
                },
            }
        },
    },
)


def _require_department() -> None:
    if not sees_everything(db.session, current_user()):
        raise forbidden("Chỉ Sở được thực hiện / only the department may do this")


@endpoint(
    "POST",
    "/organisations",
    summary="Create an organisation (the department's admins)",
    permission="organisations:write",
    body="OrganisationCreate",
    response="Organisation",
    status=201,
)
def create(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    _require_department()
    try:
        org = create_organisation(
            db.session,
            slug=body["slug"],
            name=body["name"],
            kind=body["kind"],
            commune_code=body.get("commune_code"),
            parent_id=body.get("parent_id"),
        )
    except OrganisationError as exc:
        db.session.rollback()
        raise ApiError(exc.status, str(exc), errors={exc.field: str(exc)}) from None
    db.session.commit()
    return serialise_organisation(org), 201


@endpoint(
    "GET",
    "/organisations",
    summary="List organisations",
    permission="organisations:read",
    response="Organisation",
    paginated=True,
    query=PAGE_PARAMS,
)
def list_organisations() -> dict[str, Any]:
    stmt = select(Organisation).order_by(Organisation.id)
    return paginate(db.session, stmt, serialise_organisation)


def serialise_guidance(guidance: Guidance) -> dict[str, Any]:
    today = local_today()
    return {
        "id": guidance.id,
        "title": guidance.title,
        "body": guidance.body,
        "campaign_id": guidance.campaign_id,
        "due_on": iso(guidance.due_on),
        "organisation_ids": target_ids(db.session, guidance),
        "contents": [
            {"content_id": p.content_id, "version_id": p.version_id}
            for p in pinned_versions(db.session, guidance)
        ],
        "overdue": today > guidance.due_on,
        "due_soon": 0 <= (guidance.due_on - today).days <= 3,
        "created_by": guidance.created_by,
        "created_at": iso(guidance.created_at),
    }


def serialise_evidence(evidence: GuidanceEvidence) -> dict[str, Any]:
    return {
        "id": evidence.id,
        "organisation_id": evidence.organisation_id,
        "url": evidence.url,
        "note": evidence.note,
        "date": iso(evidence.on_date),
        "created_by": evidence.created_by,
        "created_at": iso(evidence.created_at),
    }


def serialise_coverage(row: Coverage) -> dict[str, Any]:
    return {
        "organisation_id": row.organisation_id,
        "status": row.status,
        "publication_ids": row.publication_ids,
        "evidence": [serialise_evidence(e) for e in row.evidence],
    }


def _guidance_error(exc: GuidanceError) -> ApiError:
    db.session.rollback()
    if exc.errors and exc.status == 422:
        return ValidationFailed(exc.errors)
    return ApiError(exc.status, str(exc))


@endpoint(
    "POST",
    "/guidance",
    summary="Send guidance to units (the department's editors and approvers)",
    permission="guidance:write",
    body="GuidanceCreate",
    response="Guidance",
    status=201,
)
def create_guidance_view(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    _require_department()
    due_on = parse_date(body["due_on"], "due_on")
    try:
        guidance = create_guidance(
            db.session,
            current_user(),
            title=body["title"],
            body=body["body"],
            due_on=due_on,
            content_ids=body["content_ids"],
            organisation_ids=body["organisation_ids"],
            campaign_id=body.get("campaign_id"),
        )
    except GuidanceError as exc:
        raise _guidance_error(exc) from None
    db.session.commit()
    return serialise_guidance(guidance), 201


@endpoint(
    "GET",
    "/guidance",
    summary="Guidance: all for the department, a unit's inbox for a unit",
    permission="guidance:read",
    response="Guidance",
    paginated=True,
    query=PAGE_PARAMS,
)
def list_guidance() -> dict[str, Any]:
    return paginate(db.session, visible_guidance(db.session, current_user()), serialise_guidance)


def load_guidance(guidance_id: int) -> Guidance:
    guidance = guidance_for(db.session, current_user(), guidance_id)
    if guidance is None:
        raise not_found("Guidance", guidance_id)
    return guidance


@endpoint(
    "GET", "/guidance/{id}", summary="One guidance", permission="guidance:read", response="Guidance"
)
def get_guidance(id: int) -> dict[str, Any]:
    return serialise_guidance(load_guidance(id))


@endpoint(
    "GET",
    "/guidance/{id}/coverage",
    summary="Per unit: pending, in progress, done or overdue, with publications and evidence",
    permission="guidance:read",
    response="Coverage",
)
def get_coverage(id: int) -> dict[str, Any]:
    guidance = load_guidance(id)
    user = current_user()
    only = None if sees_everything(db.session, user) else user.organisation_id
    return {"items": [serialise_coverage(r) for r in coverage(db.session, guidance, only=only)]}


@endpoint(
    "POST",
    "/guidance/{id}/evidence",
    summary="Record that the unit carried the guidance outside the service",
    permission="guidance:report",
    body="EvidenceCreate",
    response="Evidence",
    status=201,
)
def post_evidence(id: int, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    guidance = load_guidance(id)
    on_date = parse_date(body["date"], "date")
    try:
        evidence = record_evidence(
            db.session,
            current_user(),
            guidance,
            note=body["note"],
            on_date=on_date,
            url=body.get("url"),
        )
    except GuidanceError as exc:
        raise _guidance_error(exc) from None
    db.session.commit()
    return serialise_evidence(evidence), 201
