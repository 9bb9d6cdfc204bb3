"""/api/v1/consents: record, list (per person), read, download the form, withdraw, export
and erase.

Every read and change is written to the audit log in the same transaction. Problem
details never carry the person's name.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request, url_for

from channels.registry import kinds
from content_library.db import utcnow
from publisher.api.framework import (
    PAGE_PARAMS,
    ValidationFailed,
    current_user,
    endpoint,
    get_or_404,
    json_body,
    paginate,
    parse_date,
    schema,
    validate,
)
from publisher.consents.erasure import erase_consent, export_consent
from publisher.consents.forms import (
    FORM_MAX_BYTES,
    DecodedForm,
    FormRejected,
    decode_form,
    form_download,
)
from publisher.consents.gate import status_of
from publisher.consents.models import Consent
from publisher.consents.service import (
    ConsentError,
    consent_fields,
    create_consent,
    matching_person,
    profiles_of,
    record_listing,
    record_reading,
    visible_consents,
    withdraw_consent,
)
from publisher.db import db
from publisher.downloads import json_download
from publisher.errors import ApiError

DATE = {"type": "string", "format": "date"}
NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
FIELDS = {
    "person_name": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"},
    "scope": {
        "type": "array",
        "items": {"type": "string", "enum": kinds()},
        "minItems": 1,
        "maxItems": 20,
    },
    "given_on": DATE,
    "expires_on": NULLABLE_DATE,
    "note": {"type": ["string", "null"], "maxLength": 2000},
    "commune_code": {"type": ["string", "null"], "pattern": "^[0-9]{5}$"},
}
schema(
    "ConsentCreate",
    {
        "type": "object",
        "required": ["person_name", "scope", "given_on"],
        "additionalProperties": False,
        "properties": {**FIELDS, "file": {"type": "string", "format": "binary"}},
    },
)
# The fields alone: a JSON body, or a multipart form's text fields (the file beside them).
FIELDS_SCHEMA = schema(
    "ConsentFields",
    {
        "type": "object",
        "required": ["person_name", "scope", "given_on"],
        "additionalProperties": False,
        "properties": FIELDS,
    },
)
schema(
    "ConsentWithdraw",
    {
        "type": "object",
        "additionalProperties": False,
        "properties": {"reason": {"type": "string", "maxLength": 2000}},
    },
)
schema(
    "Consent",
    {
        "type": "object",
        "required": ["id", "person_name", "scope", "given_on", "status"],
        "properties": {
            "id": {"type": "integer"},
            "organisation_id": {"type": "integer"},
            "person_name": {"type": "string"},
            "commune_code": {"type": ["string", "null"]},
            "scope": {"type": "array", "items": {"type": "string"}},
            "given_on": DATE,
            "expires_on": NULLABLE_DATE,
            "note": {"type": "string"},
            "status": {"type": "string", "enum": ["in_force", "not_yet", "expired", "withdrawn"]},
            "form": {"type": ["object", "null"]},
            "withdrawn_at": {"type": ["string", "null"], "format": "date-time"},
            "withdraw_reason": {"type": ["string", "null"]},
            "profile_ids": {"type": "array", "items": {"type": "integer"}},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
)
_ROWS = {"type": "array", "items": {"type": "object"}}
schema(
    "ConsentWithdrawal",
    {
        "type": "object",
        "required": ["consent", "cancelled", "withdrawn", "withdrawing", "not_withdrawn"],
        "properties": {
            "consent": {"$ref": "#/components/schemas/Consent"},
            "cancelled": _ROWS,
            "withdrawn": _ROWS,
            "withdrawing": _ROWS,
            "not_withdrawn": _ROWS,
            "archived_content_ids": {"type": "array", "items": {"type": "integer"}},
        },
    },
)


def serialise_consent(consent: Consent, *, profiles: bool = False) -> dict[str, Any]:
    form = None
    if consent.form_mime:
        form = {
            "mime": consent.form_mime,
            "pages": consent.form_pages,
            "bytes": len(consent.form_data or b""),
            "sha256": consent.form_sha256,
            "url": url_for("api.api_consent_form", id=consent.id),
        }
    out = {**consent_fields(consent), "status": status_of(consent, utcnow()), "form": form}
    if profiles:
        out["profile_ids"] = [item.id for item in profiles_of(db.session, consent.id)]
    return out


def _multipart_fields() -> dict[str, Any]:
    form = request.form
    data: dict[str, Any] = {}
    for name in ("person_name", "given_on", "expires_on", "note", "commune_code"):
        if form.get(name, "") != "":
            data[name] = form[name]
    scope = [v for value in form.getlist("scope") for v in value.split(",") if v.strip()]
    if scope or "scope" in form:
        data["scope"] = [v.strip() for v in scope]
    unknown = set(form) - set(FIELDS)
    if unknown:
        raise ValidationFailed({name[:60]: "is not a field of a consent" for name in unknown})
    validate(data, FIELDS_SCHEMA)
    return data


def _read_upload() -> DecodedForm | None:
    upload = request.files.get("file")
    if upload is None:
        return None
    try:
        raw = upload.stream.read(FORM_MAX_BYTES + 1)
    finally:
        upload.close()
    if not raw and not upload.filename:  # a form's file field left empty
        return None
    try:
        return decode_form(raw)
    except FormRejected as exc:
        raise ApiError(exc.status, str(exc), errors={"file": str(exc)}) from None


@endpoint(
    "POST",
    "/consents",
    summary="Record a consent (JSON, or multipart with the signed form as 'file')",
    permission="consents:write",
    body="ConsentCreate",
    body_kind="multipart",
    response="Consent",
    status=201,
)
def consent_create() -> tuple[dict[str, Any], int]:
    if request.is_json:
        data = json_body("ConsentFields")
        form = None
    else:
        data = _multipart_fields()
        form = _read_upload()
    data["given_on"] = parse_date(data.get("given_on"), "given_on")
    data["expires_on"] = parse_date(data.get("expires_on"), "expires_on")
    user = current_user()
    try:
        consent = create_consent(db.session, user, data, form)
    except ConsentError as exc:
        db.session.rollback()
        raise ApiError(exc.status, str(exc), errors=exc.errors) from None
    db.session.commit()
    return serialise_consent(consent), 201


@endpoint(
    "GET",
    "/consents",
    summary="Consents the organisation recorded (?person= ignores diacritics and case)",
    permission="consents:read",
    response="Consent",
    paginated=True,
    query=(
        {"name": "person", "in": "query", "schema": {"type": "string", "maxLength": 200}},
        *PAGE_PARAMS,
    ),
)
def consent_list() -> dict[str, Any]:
    user = current_user()
    stmt = visible_consents(db.session, user)
    if request.args.get("person"):
        stmt = matching_person(db.session, stmt, request.args["person"])
    page = paginate(db.session, stmt, serialise_consent)
    record_listing(db.session, user, len(page["items"]), bool(request.args.get("person")))
    db.session.commit()
    return page


def load_consent(consent_id: int) -> Consent:
    return get_or_404(Consent, consent_id, "Consent")


@endpoint(
    "GET", "/consents/{id}", summary="One consent", permission="consents:read", response="Consent"
)
def consent_get(id: int) -> dict[str, Any]:
    consent = load_consent(id)
    record_reading(db.session, current_user(), consent)
    out = serialise_consent(consent, profiles=True)
    db.session.commit()
    return out


@endpoint(
    "GET",
    "/consents/{id}/form",
    summary="The signed consent form as kept (PDF or image)",
    permission="consents:read",
)
def consent_form(id: int) -> Response:
    consent = load_consent(id)
    if not consent.form_data:
        raise ApiError(404, f"Consent {id} has no form / giấy đồng ý này chưa có bản ký")
    record_reading(db.session, current_user(), consent, "form")
    db.session.commit()
    return form_download(consent.id, consent.form_data, consent.form_mime or "")


@endpoint(
    "POST",
    "/consents/{id}/withdraw",
    summary="Withdraw a consent: stop its profiles everywhere the channel allows (twice: 409)",
    permission="consents:write",
    body="ConsentWithdraw",
    response="ConsentWithdrawal",
)
def consent_withdraw(id: int, body: dict[str, Any]) -> dict[str, Any]:
    consent = load_consent(id)
    user = current_user()
    try:
        outcome = withdraw_consent(db.session, user, consent, body.get("reason"))
    except ConsentError as exc:
        db.session.rollback()
        raise ApiError(exc.status, str(exc)) from None
    db.session.commit()
    return {"consent": serialise_consent(consent, profiles=True), **outcome.as_dict()}


@endpoint(
    "GET",
    "/consents/{id}/export",
    summary="Everything held on the person through this consent, as a JSON download",
    permission="consents:read",
)
def consent_export(id: int) -> Response:
    data = export_consent(db.session, current_user(), load_consent(id))
    db.session.commit()
    return json_download(data, f"du-lieu-dong-y-{id}.json")


@endpoint(
    "DELETE",
    "/consents/{id}",
    summary="Erase a withdrawn consent, its form and its profiles' words (before withdrawal: 409)",
    permission="consents:write",
    status=204,
)
def consent_erase(id: int) -> Response:
    consent = load_consent(id)
    try:
        erase_consent(db.session, current_user(), consent)
    except ConsentError as exc:
        db.session.rollback()
        raise ApiError(exc.status, str(exc)) from None
    db.session.commit()
    return Response(status=204)
