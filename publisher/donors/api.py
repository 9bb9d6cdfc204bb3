"""/api/v1/donors: the donor register (admins only; everyone else is answered 404).

Who may read: ``publisher.donors.access``. A role without ``donors:admin`` gets 404 from
every endpoint here, and an admin gets 404 for another unit's donor, so neither learns
whether a register or a person exists. Every read and change writes an audit entry in the
same transaction (``publisher.audit``).
"""

from __future__ import annotations

from typing import Any

from flask import Response, request

from publisher.api.framework import (
    PAGE_PARAMS,
    current_user,
    endpoint,
    parse_date,
    query_int,
    schema,
)
from publisher.db import db
from publisher.donors.csv_import import (
    MAX_BYTES,
    ImportRefused,
    apply_import,
    plan_import,
    record_dry_run,
)
from publisher.donors.register import (
    DonorInvalid,
    DonorQuery,
    DonorRow,
    check_period,
    create_donor,
    donor_rows,
    erase_donor,
    export_donor,
    list_organisation,
    load_donor,
    read_donor,
    record_list,
    serialise_donor,
    target_organisation,
    update_donor,
)
from publisher.downloads import json_download
from publisher.errors import ApiError, ValidationFailed

ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
DATE = {"type": "string", "format": "date"}
TEXT = {"type": ["string", "null"], "maxLength": 300}
DONATION = {
    "type": "object",
    "additionalProperties": False,
    "required": ["date"],
    "properties": {
        "date": DATE,
        "place": {"type": ["string", "null"], "maxLength": 300},
        "certificate_no": {"type": ["string", "null"], "maxLength": 80},
    },
}
DONATIONS = {"type": "array", "items": DONATION, "maxItems": 500}
NOT_FOUND = "Không tìm thấy người hiến máu / donor not found"

schema(
    "DonorCreate",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["full_name"],
        "properties": {
            "full_name": {"type": "string", "minLength": 1, "maxLength": 200},
            "organisation_id": {"type": ["integer", "null"], "minimum": 1, "maximum": 2**31 - 1},
            "position": {"type": ["string", "null"], "maxLength": 200},
            "donations": DONATIONS,
        },
    },
)
schema(
    "DonorUpdate",
    {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "full_name": {"type": "string", "minLength": 1, "maxLength": 200},
            "position": {"type": ["string", "null"], "maxLength": 200},
            "donations": DONATIONS,
            "add_donations": DONATIONS,
        },
    },
)
_DONOR_PROPERTIES = {
    "id": ID,
    "organisation_id": ID,
    "full_name": {"type": "string"},
    "position": {"type": "string"},
    "donations": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["date"],
            "properties": {
                "date": DATE,
                "place": {"type": "string"},
                "certificate_no": {"type": ["string", "null"]},
            },
        },
    },
    "total_donations": {"type": "integer"},
    "created_at": {"type": ["string", "null"]},
    "updated_at": {"type": ["string", "null"]},
}
schema(
    "Donor",
    {
        "type": "object",
        "required": ["id", "organisation_id", "full_name", "position", "donations"],
        "properties": _DONOR_PROPERTIES,
    },
)
schema(
    "DonorListItem",
    {
        "type": "object",
        "required": [
            "id",
            "organisation_id",
            "full_name",
            "donations_in_period",
            "total_donations",
        ],
        "properties": {
            **_DONOR_PROPERTIES,
            "donations_in_period": {"type": "integer"},
            "latest_in_period": {"type": ["string", "null"]},
        },
    },
)
schema(
    "DonorExport",
    {
        "type": "object",
        "required": ["id", "full_name", "donations", "organisation", "audit"],
        "properties": {
            **_DONOR_PROPERTIES,
            "organisation": {"type": "object"},
            "audit": {"type": "array", "items": {"type": "object"}},
            "exported_at": {"type": ["string", "null"]},
            "legal_basis": {"type": "string"},
        },
    },
)
schema(
    "DonorImportUpload",
    {
        "type": "object",
        "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary"}},
    },
)
schema(
    "DonorImportResult",
    {
        "type": "object",
        "required": ["rows", "valid", "errors", "duplicates", "dry_run"],
        "properties": {
            "dry_run": {"type": "boolean"},
            "rows": {"type": "integer"},
            "valid": {"type": "boolean"},
            "donors_created": {"type": "integer"},
            "donors_matched": {"type": "integer"},
            "donations_created": {"type": "integer"},
            "errors": {"type": "array", "items": {"type": "object"}},
            "duplicates": {"type": "array", "items": {"type": "object"}},
            "donors": {"type": "array", "items": {"type": "object"}},
            "created_ids": {"type": "array", "items": {"type": "integer"}},
            "updated_ids": {"type": "array", "items": {"type": "integer"}},
        },
    },
)

ORG_PARAM = {"name": "organisation_id", "in": "query", "schema": ID}
LIST_PARAMS = (
    *PAGE_PARAMS,
    ORG_PARAM,
    {"name": "from", "in": "query", "schema": DATE},
    {"name": "to", "in": "query", "schema": DATE},
    {"name": "min_donations", "in": "query", "schema": {**ID, "maximum": 1000}},
)


def invalid(exc: DonorInvalid) -> ValidationFailed:
    db.session.rollback()
    return ValidationFailed(exc.errors)


def _donor(ident: int) -> Any:
    donor = load_donor(db.session, current_user(), ident)
    if donor is None:
        raise ApiError(404, NOT_FOUND)
    return donor


def query_from_args() -> DonorQuery:
    """The list's filters from the query string (shared by the API and the pages)."""
    first = parse_date(request.args.get("from") or None, "from")
    last = parse_date(request.args.get("to") or None, "to")
    raw_min = request.args.get("min_donations")
    minimum = query_int("min_donations", 1, 1, 1000) if raw_min else None
    raw_org = request.args.get("organisation_id")
    org = query_int("organisation_id", 0, 1, 2**31 - 1) if raw_org else None
    try:
        check_period(first, last)
        org = list_organisation(db.session, current_user(), org)
    except DonorInvalid as exc:
        raise ValidationFailed(exc.errors) from None
    return DonorQuery(org, first, last, minimum)


def list_item(row: DonorRow) -> dict[str, Any]:
    item = serialise_donor(row.donor)
    item["donations_in_period"] = row.in_period
    item["total_donations"] = row.total
    item["latest_in_period"] = row.latest.isoformat() if row.latest else None
    return item


@endpoint(
    "POST",
    "/donors",
    summary="Record a donor and their donations (admins)",
    permission="donors:admin",
    body="DonorCreate",
    response="Donor",
    status=201,
    refusal=404,
)
def donor_create(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    try:
        donor = create_donor(
            db.session,
            current_user(),
            full_name=body["full_name"],
            position=body.get("position") or "",
            organisation_id=body.get("organisation_id"),
            donations=body.get("donations") or [],
        )
    except DonorInvalid as exc:
        raise invalid(exc) from None
    data = serialise_donor(donor)
    db.session.commit()
    return data, 201


@endpoint(
    "GET",
    "/donors",
    summary="List donors; with min_donations, the repeat donors of the period",
    permission="donors:admin",
    response="DonorListItem",
    paginated=True,
    query=LIST_PARAMS,
    refusal=404,
)
def donor_list() -> dict[str, Any]:
    user = current_user()
    query = query_from_args()
    page = query_int("page", 1, 1, 100000)
    per_page = query_int("per_page", 50, 1, 200)
    rows = donor_rows(db.session, user, query)
    shown = rows[(page - 1) * per_page : page * per_page]
    items = [list_item(row) for row in shown]
    record_list(
        db.session, user, [r.donor for r in shown], query.organisation_id or user.organisation_id
    )
    db.session.commit()
    return {"items": items, "total": len(rows), "page": page, "per_page": per_page}


@endpoint(
    "GET",
    "/donors/{id}",
    summary="One donor (admins of the donor's organisation and of the department)",
    permission="donors:admin",
    response="Donor",
    refusal=404,
)
def donor_get(id: int) -> dict[str, Any]:
    data = read_donor(db.session, current_user(), _donor(id))
    db.session.commit()
    return data


@endpoint(
    "PATCH",
    "/donors/{id}",
    summary="Change a donor; donations replaces the list, add_donations appends",
    permission="donors:admin",
    body="DonorUpdate",
    response="Donor",
    refusal=404,
)
def donor_update(id: int, body: dict[str, Any]) -> dict[str, Any]:
    donor = _donor(id)
    try:
        update_donor(db.session, current_user(), donor, body)
    except DonorInvalid as exc:
        raise invalid(exc) from None
    db.session.refresh(donor)
    data = serialise_donor(donor)
    db.session.commit()
    return data


@endpoint(
    "DELETE",
    "/donors/{id}",
    summary="Erase a donor and their donations (the audit log keeps the id only)",
    permission="donors:admin",
    status=204,
    refusal=404,
)
def donor_delete(id: int) -> Response:
    erase_donor(db.session, current_user(), _donor(id))
    db.session.commit()
    return Response(status=204)


@endpoint(
    "GET",
    "/donors/{id}/export",
    summary="Everything held on a donor, as a JSON download",
    permission="donors:admin",
    response="DonorExport",
    refusal=404,
)
def donor_export(id: int) -> Response:
    data = export_donor(db.session, current_user(), _donor(id))
    db.session.commit()
    return json_download(data, f"nguoi-hien-mau-{id}.json")


def uploaded_csv() -> bytes:
    """The CSV from a text/csv body or a multipart field ``file``."""
    if request.mimetype == "text/csv":
        return request.get_data(cache=False)[: MAX_BYTES + 1]
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed({"file": "Cần gửi tệp CSV / multipart field 'file' required"})
        return upload.read(MAX_BYTES + 1)
    raise ApiError(415, "Cần gửi tệp CSV (text/csv hoặc multipart) / CSV body expected")


@endpoint(
    "POST",
    "/donors/import",
    summary="Import donations from CSV (dry_run=true checks only; all rows or none)",
    permission="donors:admin",
    body="DonorImportUpload",
    body_kind="multipart",
    response="DonorImportResult",
    query=(
        ORG_PARAM,
        {"name": "dry_run", "in": "query", "schema": {"type": "boolean"}},
    ),
    refusal=404,
)
def donor_import() -> dict[str, Any]:
    user = current_user()
    dry_run = request.args.get("dry_run") == "true"
    raw_org = request.args.get("organisation_id")
    try:
        org_id = target_organisation(
            db.session, user, query_int("organisation_id", 0, 1, 2**31 - 1) if raw_org else None
        )
    except DonorInvalid as exc:
        raise invalid(exc) from None
    data = uploaded_csv()
    try:
        plan = plan_import(db.session, org_id, data)
    except ImportRefused as exc:
        db.session.rollback()
        raise ValidationFailed({"file": exc.message}, detail=exc.message) from None
    if dry_run:
        summary = plan.summary()
        record_dry_run(db.session, user, org_id, plan)
        db.session.commit()
        return {"dry_run": True, **summary}
    if plan.errors:
        db.session.rollback()
        raise ValidationFailed(
            {f"row_{e.row}.{e.column or 'row'}": e.message for e in plan.errors},
            detail=f"Tệp có {len(plan.errors)} lỗi, chưa nhập dòng nào / nothing imported",
        )
    result = apply_import(db.session, user, org_id, plan)
    db.session.commit()
    return {"dry_run": False, **result}
