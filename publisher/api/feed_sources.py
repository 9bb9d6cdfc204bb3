"""Feed sources: the RSS/Atom feeds of other sites that draft articles are imported from."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from content_library.db import utcnow
from content_library.models import Campaign
from content_library.sanitize import nfc
from publisher.api.framework import (
    PAGE_PARAMS,
    ValidationFailed,
    current_user,
    endpoint,
    iso,
    paginate,
    schema,
)
from publisher.db import db
from publisher.errors import conflict, not_found
from publisher.feedimport.models import FeedSource
from publisher.feedimport.service import import_one
from publisher.feedimport.sources import SourceUrlRefused, clean_source_url

INTERVAL = {"type": "integer", "minimum": 5, "maximum": 10080}
URL = {"type": "string", "minLength": 8, "maxLength": 1000, "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://"}
TAGS = {
    "type": "array",
    "items": {"type": "string", "minLength": 1, "maxLength": 60},
    "maxItems": 30,
}
NULLABLE_ID = {"type": ["integer", "null"], "minimum": 1, "maximum": 2**31 - 1}
NULLABLE_DT = {"type": ["string", "null"], "format": "date-time"}
_EDITABLE = {
    "url": URL,
    "name": {"type": "string", "maxLength": 300},
    "campaign_id": NULLABLE_ID,
    "tags": TAGS,
    "interval_minutes": INTERVAL,
    "enabled": {"type": "boolean"},
}

schema(
    "FeedSourceCreate",
    {
        "type": "object",
        "required": ["url"],
        "additionalProperties": False,
        "properties": _EDITABLE,
    },
)
schema(
    "FeedSourcePatch",
    {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": _EDITABLE,
    },
)
schema(
    "FeedSource",
    {
        "type": "object",
        "required": [
            "id",
            "url",
            "name",
            "campaign_id",
            "tags",
            "interval_minutes",
            "enabled",
            "last_status",
            "last_error",
            "last_fetched_at",
            "next_fetch_at",
            "imported_count",
        ],
        "properties": {
            "id": {"type": "integer"},
            "url": {"type": "string"},
            "name": {"type": "string"},
            "campaign_id": {"type": ["integer", "null"]},
            "tags": {"type": "array", "items": {"type": "string"}},
            "interval_minutes": {"type": "integer"},
            "enabled": {"type": "boolean"},
            "last_status": {
                "type": ["string", "null"],
                "enum": ["ok", "not_modified", "error", None],
            },
            "last_error": {"type": ["string", "null"]},
            "last_fetched_at": NULLABLE_DT,
            "next_fetch_at": NULLABLE_DT,
            "imported_count": {"type": "integer"},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
)
schema(
    "FeedImportReport",
    {
        "type": "object",
        "required": [
            "source_id",
            "status",
            "created",
            "skipped",
            "not_modified",
            "error",
            "source",
        ],
        "properties": {
            "source_id": {"type": "integer"},
            "status": {"type": "string", "enum": ["ok", "not_modified", "error"]},
            "created": {"type": "integer"},
            "skipped": {"type": "integer"},
            "not_modified": {"type": "boolean"},
            "error": {"type": ["string", "null"]},
            "source": {"$ref": "#/components/schemas/FeedSource"},
        },
    },
)


def serialise_source(source: FeedSource) -> dict[str, Any]:
    return {
        "id": source.id,
        "url": source.url,
        "name": source.name or "",
        "campaign_id": source.campaign_id,
        "tags": list(source.tags or []),
        "interval_minutes": source.interval_minutes,
        "enabled": source.enabled,
        "last_status": source.last_status,
        "last_error": source.last_error,
        "last_fetched_at": iso(source.last_fetched_at),
        "next_fetch_at": iso(source.next_fetch_at),
        "imported_count": source.imported_count or 0,
        "created_at": iso(source.created_at),
    }


def _load(source_id: int) -> FeedSource:
    source = db.session.get(FeedSource, source_id)
    if source is None:
        raise not_found("Feed source", source_id)
    return source


def clean_url(raw: str) -> str:
    allow_private = current_app.config["SETTINGS"].OUTBOUND_ALLOW_PRIVATE
    try:
        return clean_source_url(raw, allow_private=allow_private)
    except SourceUrlRefused as exc:
        raise ValidationFailed({"url": str(exc)}) from None


def _check_unique(url: str, own_id: int | None = None) -> None:
    existing = db.session.scalar(select(FeedSource.id).where(FeedSource.url == url))
    if existing is not None and existing != own_id:
        raise conflict(f"Nguồn tin này đã có (#{existing}) / a feed source with this URL exists")


def _check_campaign(campaign_id: int | None) -> None:
    if campaign_id is not None and db.session.get(Campaign, campaign_id) is None:
        raise ValidationFailed({"campaign_id": "no such campaign"})


@endpoint(
    "POST",
    "/feed-sources",
    summary="Add a feed to import draft articles from",
    permission="feeds:write",
    body="FeedSourceCreate",
    response="FeedSource",
    status=201,
)
def create(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    url = clean_url(body["url"])
    _check_unique(url)
    _check_campaign(body.get("campaign_id"))
    user = current_user()
    enabled = body.get("enabled", True)
    source = FeedSource(
        url=url,
        name=nfc(body.get("name") or "").strip(),
        campaign_id=body.get("campaign_id"),
        tags=[nfc(t) for t in body.get("tags") or []],
        interval_minutes=body.get("interval_minutes", 60),
        enabled=enabled,
        next_fetch_at=utcnow() if enabled else None,
        imported_count=0,
        created_by=user.id if user else None,
    )
    db.session.add(source)
    db.session.commit()
    return serialise_source(source), 201


@endpoint(
    "GET",
    "/feed-sources",
    summary="List feed sources with their last fetch",
    permission="feeds:read",
    response="FeedSource",
    paginated=True,
    query=PAGE_PARAMS,
)
def list_sources() -> dict[str, Any]:
    return paginate(db.session, select(FeedSource).order_by(FeedSource.id), serialise_source)


@endpoint(
    "GET",
    "/feed-sources/{id}",
    summary="One feed source",
    permission="feeds:read",
    response="FeedSource",
)
def get_source(id: int) -> dict[str, Any]:
    return serialise_source(_load(id))


@endpoint(
    "PATCH",
    "/feed-sources/{id}",
    summary="Edit a feed source",
    permission="feeds:write",
    body="FeedSourcePatch",
    response="FeedSource",
)
def patch_source(id: int, body: dict[str, Any]) -> dict[str, Any]:
    source = _load(id)
    now = utcnow()
    if "url" in body:
        url = clean_url(body["url"])
        _check_unique(url, own_id=source.id)
        if url != source.url:
            # Another feed: the stored validators and schedule belonged to the old one.
            source.url = url
            source.etag = source.last_modified = None
            source.next_fetch_at = now
    if "campaign_id" in body:
        _check_campaign(body["campaign_id"])
        source.campaign_id = body["campaign_id"]
    if "name" in body:
        source.name = nfc(body["name"]).strip()
    if "tags" in body:
        source.tags = [nfc(t) for t in body["tags"]]
    if "interval_minutes" in body and body["interval_minutes"] != source.interval_minutes:
        source.interval_minutes = body["interval_minutes"]
        if source.last_fetched_at is not None:
            source.next_fetch_at = source.last_fetched_at + timedelta(
                minutes=source.interval_minutes
            )
    if "enabled" in body:
        source.enabled = body["enabled"]
        if source.enabled and source.next_fetch_at is None:
            source.next_fetch_at = now
    db.session.commit()
    return serialise_source(source)


@endpoint(
    "POST",
    "/feed-sources/{id}/import",
    summary="Import from this source now",
    permission="feeds:write",
    response="FeedImportReport",
)
def import_now(id: int) -> dict[str, Any]:
    source = _load(id)
    allow_private = current_app.config["SETTINGS"].OUTBOUND_ALLOW_PRIVATE
    # An unexpected failure is recorded on the source, then answered as a 500 problem.
    report = import_one(db.session, source.id, allow_private=allow_private, now=utcnow())
    assert report is not None
    return {**report.as_dict(), "source": serialise_source(source)}
