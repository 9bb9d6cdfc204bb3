"""Broadcast confirmations: operators confirm what their station aired; editors read the report."""

from __future__ import annotations

import re
from typing import Any

from flask import request

from publisher.api.framework import (
    current_user,
    endpoint,
    iso,
    parse_date,
    schema,
)
from publisher.db import db
from publisher.errors import ValidationFailed, forbidden
from publisher.loudspeaker.bulletins import local_today
from publisher.loudspeaker.confirmations import (
    ConfirmationInvalid,
    confirm_broadcast,
    confirmation_report,
)

COMMUNE_CODE_RE = re.compile(r"[0-9]{5}")
COMMUNE_CODE = {"type": "string", "pattern": "^[0-9]{5}$"}
SLOT = {"type": "string", "enum": ["morning", "evening"]}
DATE = {"type": "string", "format": "date"}
NULLABLE_DT = {"type": ["string", "null"], "format": "date-time"}

schema(
    "BroadcastCreate",
    {
        "type": "object",
        "required": ["commune_code", "date", "publication_ids"],
        "additionalProperties": False,
        "properties": {
            "commune_code": COMMUNE_CODE,
            "date": DATE,
            "publication_ids": {
                "type": "array",
                "minItems": 1,
                "maxItems": 200,
                "items": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
            },
            "note": {"type": "string", "maxLength": 1000},
            "slot": SLOT,
        },
    },
)
schema(
    "Broadcast",
    {
        "type": "object",
        "required": [
            "commune_code",
            "date",
            "publication_ids",
            "confirmed_at",
            "confirmed_by",
            "note",
        ],
        "additionalProperties": False,
        "properties": {
            "commune_code": COMMUNE_CODE,
            "date": DATE,
            "publication_ids": {"type": "array", "items": {"type": "integer"}},
            "confirmed_at": {"type": "string", "format": "date-time"},
            "confirmed_by": {"type": ["integer", "null"]},
            "note": {"type": "string"},
        },
    },
)
schema(
    "BroadcastReport",
    {
        "type": "object",
        "required": ["date", "communes", "missing"],
        "additionalProperties": False,
        "properties": {
            "date": DATE,
            "communes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "commune_code",
                        "commune_name",
                        "items",
                        "confirmed_count",
                        "item_count",
                    ],
                    "additionalProperties": False,
                    "properties": {
                        "commune_code": COMMUNE_CODE,
                        "commune_name": {"type": "string"},
                        "items": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": [
                                    "publication_id",
                                    "title",
                                    "slot",
                                    "confirmed",
                                    "confirmed_at",
                                ],
                                "additionalProperties": False,
                                "properties": {
                                    "publication_id": {"type": "integer"},
                                    "title": {"type": "string"},
                                    "slot": SLOT,
                                    "confirmed": {"type": "boolean"},
                                    "confirmed_at": NULLABLE_DT,
                                },
                            },
                        },
                        "confirmed_count": {"type": "integer", "minimum": 0},
                        "item_count": {"type": "integer", "minimum": 0},
                    },
                },
            },
            "missing": {"type": "array", "items": COMMUNE_CODE},
        },
    },
)


def _own_commune_only(commune_code: str) -> None:
    """Operators act for their own commune only (admins for any)."""
    user = current_user()
    if user is not None and user.role == "operator" and user.commune_code != commune_code:
        raise forbidden(
            "Bạn chỉ xác nhận được cho xã, phường của mình / operators act for their own commune"
        )


@endpoint(
    "POST",
    "/broadcasts",
    summary="Confirm that a commune station aired items of its bulletin",
    permission="broadcasts:write",
    body="BroadcastCreate",
    response="Broadcast",
    status=201,
    extra_responses={200: "Broadcast"},
)
def create_broadcast(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """201 when something new was recorded; 200 when every item was confirmed already."""
    _own_commune_only(body["commune_code"])
    day = parse_date(body["date"], "date")
    assert day is not None
    user = current_user()
    try:
        result = confirm_broadcast(
            db.session,
            commune_code=body["commune_code"],
            day=day,
            publication_ids=body["publication_ids"],
            user_id=user.id if user else None,
            note=body.get("note", ""),
            slot=body.get("slot"),
        )
    except ConfirmationInvalid as exc:
        db.session.rollback()
        raise ValidationFailed(exc.errors) from None
    db.session.commit()
    answer = {
        "commune_code": result.commune_code,
        "date": result.day.isoformat(),
        "publication_ids": list(result.publication_ids),
        "confirmed_at": iso(result.confirmed_at),
        "confirmed_by": result.confirmed_by,
        "note": result.note,
    }
    return answer, 201 if result.created else 200


@endpoint(
    "GET",
    "/broadcasts",
    summary="The confirmation report: per commune, the day's bulletin items and which were aired",
    permission="broadcasts:read",
    response="BroadcastReport",
    query=(
        {"name": "date", "in": "query", "schema": DATE},
        {"name": "commune_code", "in": "query", "schema": COMMUNE_CODE},
    ),
)
def broadcast_report() -> dict[str, Any]:
    """Communes with items that day (or the one asked for); operators see their own only."""
    day = parse_date(request.args.get("date") or None, "date") or local_today()
    code = request.args.get("commune_code") or None
    if code is not None and not COMMUNE_CODE_RE.fullmatch(code):
        raise ValidationFailed({"commune_code": "must be 5 digits"})
    user = current_user()
    if user is not None and user.role == "operator":
        if code is not None:
            _own_commune_only(code)
        code = user.commune_code
    reports = confirmation_report(db.session, day, None if code is None else [code])
    if code is not None and not reports:
        raise ValidationFailed({"commune_code": "unknown commune / không có xã, phường này"})
    communes = [
        {
            "commune_code": report.commune_code,
            "commune_name": report.commune_name,
            "items": [
                {
                    "publication_id": item.publication_id,
                    "title": item.title,
                    "slot": item.slot,
                    "confirmed": item.confirmed_at is not None,
                    "confirmed_at": iso(item.confirmed_at),
                }
                for item in report.items
            ],
            "confirmed_count": report.confirmed_count,
            "item_count": len(report.items),
        }
        for report in reports
    ]
    missing = [c["commune_code"] for c in communes if c["item_count"] and not c["confirmed_count"]]
    return {"date": day.isoformat(), "communes": communes, "missing": missing}
