"""Campaigns, donation drives and communes."""

from __future__ import annotations

from typing import Any

from flask import request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from content_library.models import Campaign, Commune, Drive
from content_library.sanitize import nfc, plain_text
from publisher.api.framework import (
    PAGE_PARAMS,
    ValidationFailed,
    current_user,
    endpoint,
    get_or_404,
    iso,
    paginate,
    parse_date,
    parse_datetime,
    scoped,
)
from publisher.auth.services import can
from publisher.db import db
from publisher.errors import ApiError, forbidden
from publisher.organisations.visibility import (
    DRIVES_REFUSED,
    may_maintain_drives,
    owner_for_new_row,
)
from publisher.planning.drive_changes import (
    DriveChangeError,
    approve_change,
    edit_drive,
    reject_change,
    serialise_pending,
)
from publisher.planning.sources import PlanRefused


def serialise_campaign(c: Campaign) -> dict[str, Any]:
    return {
        "id": c.id,
        "slug": c.slug,
        "name": c.name,
        "description": c.description,
        "starts_on": iso(c.starts_on),
        "ends_on": iso(c.ends_on),
        "paused": c.paused,
        "organisation_id": c.organisation_id,
    }


def _campaign_name(value: str) -> str:
    """Plain text: the name is an RSS category and goes into announcements' titles."""
    name = plain_text(value)
    if not name:
        raise ValidationFailed({"name": "is empty once markup is removed / chỉ có mã HTML"})
    return name


def serialise_drive(d: Drive) -> dict[str, Any]:
    return {
        "id": d.id,
        "campaign_id": d.campaign_id,
        "name": d.name,
        "starts_at": iso(d.starts_at),
        "ends_at": iso(d.ends_at),
        "location": d.location,
        "commune_code": d.commune_code,
        "commune_name": d.commune.full_name if d.commune else "",
        "target_units": d.target_units,
        "result_units": d.result_units,
        "status": d.status,
        "is_sample": d.is_sample,
        "pending_change": serialise_pending(d),
    }


def serialise_commune(c: Commune) -> dict[str, Any]:
    return {"code": c.code, "name": c.name, "kind": c.kind, "planning_area": c.planning_area}


@endpoint(
    "POST",
    "/campaigns",
    summary="Create a campaign",
    permission="campaigns:write",
    body="CampaignCreate",
    response="Campaign",
    status=201,
)
def create_campaign(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    starts = parse_date(body["starts_on"], "starts_on")
    ends = parse_date(body["ends_on"], "ends_on")
    if ends < starts:
        raise ValidationFailed({"ends_on": "must not be before starts_on"})
    if db.session.scalar(select(Campaign).where(Campaign.slug == body["slug"])):
        raise ApiError(409, f"campaign slug {body['slug']!r} is taken / slug đã dùng")
    campaign = Campaign(
        slug=body["slug"],
        name=_campaign_name(body["name"]),
        description=nfc(body.get("description", "")),
        starts_on=starts,
        ends_on=ends,
        paused=body.get("paused", False),
        organisation_id=owner_for_new_row(db.session, current_user()),
    )
    db.session.add(campaign)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ApiError(409, "campaign slug is taken / slug đã dùng") from None
    return serialise_campaign(campaign), 201


@endpoint(
    "GET",
    "/campaigns",
    summary="List campaigns",
    permission="content:read",
    response="Campaign",
    paginated=True,
    query=PAGE_PARAMS,
)
def list_campaigns() -> dict[str, Any]:
    stmt = scoped(select(Campaign).order_by(Campaign.starts_on, Campaign.id), Campaign)
    return paginate(db.session, stmt, serialise_campaign)


def load_campaign(campaign_id: int) -> Campaign:
    return get_or_404(Campaign, campaign_id, "Campaign")


@endpoint(
    "GET", "/campaigns/{id}", summary="One campaign", permission="content:read", response="Campaign"
)
def get_campaign(id: int) -> dict[str, Any]:
    return serialise_campaign(load_campaign(id))


@endpoint(
    "PATCH",
    "/campaigns/{id}",
    summary="Edit a campaign (paused holds its publications)",
    permission="campaigns:write",
    body="CampaignPatch",
    response="Campaign",
)
def patch_campaign(id: int, body: dict[str, Any]) -> dict[str, Any]:
    campaign = load_campaign(id)
    starts = parse_date(body.get("starts_on"), "starts_on") or campaign.starts_on
    ends = parse_date(body.get("ends_on"), "ends_on") or campaign.ends_on
    if ends < starts:
        raise ValidationFailed({"ends_on": "must not be before starts_on"})
    campaign.starts_on, campaign.ends_on = starts, ends
    if "name" in body:
        campaign.name = _campaign_name(body["name"])
    if "description" in body:
        campaign.description = nfc(body["description"])
    if "paused" in body:
        campaign.paused = body["paused"]
    db.session.commit()
    return serialise_campaign(campaign)


def _drive_fields(body: dict[str, Any], drive: Drive | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in ("starts_at", "ends_at"):
        if name in body:
            values[name] = parse_datetime(body[name], name)
    starts = values.get("starts_at", drive.starts_at if drive else None)
    ends = values.get("ends_at", drive.ends_at if drive else None)
    if starts and ends and ends <= starts:
        errors["ends_at"] = "must be after starts_at"
    if "commune_code" in body and db.session.get(Commune, body["commune_code"]) is None:
        errors["commune_code"] = "no such commune"
    if (
        body.get("campaign_id") is not None
        and db.session.get(Campaign, body["campaign_id"]) is None
    ):
        errors["campaign_id"] = "no such campaign"
    if errors:
        raise ValidationFailed(errors)
    for name in ("campaign_id", "commune_code", "target_units", "result_units", "status"):
        if name in body:
            values[name] = body[name]
    for name in ("name", "location"):
        if name in body:
            # Plain text: a drive's name and place are put into announcements' titles.
            values[name] = plain_text(body[name])
            if not values[name]:
                errors[name] = "is empty once markup is removed / chỉ có mã HTML"
    if errors:
        raise ValidationFailed(errors)
    return values


@endpoint(
    "POST",
    "/drives",
    summary="Create a donation drive",
    permission="campaigns:write",
    body="DriveCreate",
    response="Drive",
    status=201,
)
def create_drive(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    _require_drive_keeper()
    drive = Drive(**_drive_fields(body, None))
    db.session.add(drive)
    db.session.commit()
    return serialise_drive(drive), 201


@endpoint(
    "GET",
    "/drives",
    summary="List drives",
    permission="content:read",
    response="Drive",
    paginated=True,
    query=(
        {
            "name": "campaign_id",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
        },
        {
            "name": "commune_code",
            "in": "query",
            "schema": {"type": "string", "pattern": "^[0-9]{5}$"},
        },
        {
            "name": "status",
            "in": "query",
            "schema": {"type": "string", "enum": ["planned", "confirmed", "cancelled", "done"]},
        },
        *PAGE_PARAMS,
    ),
)
def list_drives() -> dict[str, Any]:
    stmt = select(Drive).order_by(Drive.starts_at, Drive.id)
    if request.args.get("campaign_id"):
        stmt = stmt.where(Drive.campaign_id == int(request.args["campaign_id"]))
    if request.args.get("commune_code"):
        stmt = stmt.where(Drive.commune_code == request.args["commune_code"])
    if request.args.get("status"):
        stmt = stmt.where(Drive.status == request.args["status"])
    return paginate(db.session, stmt, serialise_drive)


def load_drive(drive_id: int) -> Drive:
    return get_or_404(Drive, drive_id, "Drive")


@endpoint("GET", "/drives/{id}", summary="One drive", permission="content:read", response="Drive")
def get_drive(id: int) -> dict[str, Any]:
    return serialise_drive(load_drive(id))


@endpoint(
    "PATCH",
    "/drives/{id}",
    summary="Edit a drive; its planned publications follow it",
    permission="campaigns:write",
    body="DrivePatch",
    response="Drive",
)
def patch_drive(id: int, body: dict[str, Any]) -> dict[str, Any]:
    drive = load_drive(id)
    _require_drive_keeper()
    user = current_user()
    try:
        edit_drive(
            db.session,
            drive,
            _drive_fields(body, drive),
            user.id if user else None,
            may_approve=can(user, "content:approve"),
        )
    except PlanRefused:
        db.session.rollback()
        raise
    db.session.commit()
    return serialise_drive(drive)


def _require_drive_keeper() -> None:
    if not may_maintain_drives(db.session, current_user()):
        raise forbidden(DRIVES_REFUSED)


def _decide(action: Any) -> None:
    try:
        action()
    except DriveChangeError as exc:
        db.session.rollback()
        raise ApiError(exc.status, str(exc)) from None
    except PlanRefused:
        db.session.rollback()
        raise
    db.session.commit()


@endpoint(
    "POST",
    "/drives/{id}/approve-change",
    summary="Apply the drive's pending change and release its held publications",
    permission="content:approve",
    response="Drive",
)
def approve_drive_change(id: int) -> dict[str, Any]:
    drive = load_drive(id)
    _require_drive_keeper()
    user = current_user()
    assert user is not None
    _decide(lambda: approve_change(db.session, drive, user.id))
    return serialise_drive(drive)


@endpoint(
    "POST",
    "/drives/{id}/reject-change",
    summary="Drop the drive's pending change; held publications go out with the old words",
    permission="content:approve",
    response="Drive",
)
def reject_drive_change(id: int) -> dict[str, Any]:
    drive = load_drive(id)
    _require_drive_keeper()
    _decide(lambda: reject_change(db.session, drive))
    return serialise_drive(drive)


@endpoint(
    "GET",
    "/communes",
    summary="Communes and wards",
    permission="communes:read",
    response="Commune",
    paginated=True,
    query=PAGE_PARAMS,
)
def list_communes() -> dict[str, Any]:
    return paginate(db.session, select(Commune).order_by(Commune.name), serialise_commune)
