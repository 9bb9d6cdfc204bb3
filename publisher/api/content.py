"""Content items, their workflow, and poster assets."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request, url_for

from content_library.assets import AssetRejected, store_image
from content_library.db import utcnow
from content_library.models import (
    CONTENT_KINDS,
    PROFILE_KIND,
    Asset,
    Campaign,
    Commune,
    ContentItem,
    ContentVersion,
)
from content_library.sanitize import plain_text
from content_library.services import (
    WorkflowError,
    approve,
    archive,
    create_content,
    edit_content,
    latest,
    reject,
    search_statement,
    submit,
    version_by_number,
)
from publisher.api.framework import (
    PAGE_PARAMS,
    ValidationFailed,
    current_user,
    endpoint,
    get_or_404,
    iso,
    paginate,
    scoped,
)
from publisher.consents.gate import approval_refusal
from publisher.consents.service import usable_consent
from publisher.db import db
from publisher.errors import ApiError, not_found
from publisher.loudspeaker.review import keep_as_written, review_reading
from publisher.media_paths import is_public, media_path
from publisher.organisations.visibility import owner_for_new_row, visible
from publisher.public import media_response


def serialise_content(item: ContentItem) -> dict[str, Any]:
    version = latest(item)
    approved_number = None
    if item.approved_version_id is not None:
        approved_number = next(
            (v.number for v in item.versions if v.id == item.approved_version_id), None
        )
    return {
        "id": item.id,
        "kind": item.kind,
        "status": item.status,
        "version": version.number,
        "version_id": version.id,
        "title": version.title,
        "body": version.body_html,
        "summary": version.summary,
        "language": version.language,
        "campaign_id": version.campaign_id,
        "tags": list(version.tags or []),
        "asset_id": version.asset_id,
        "reading_text": version.reading_text,
        "variants": dict(version.variants or {}),
        "person": dict(version.person) if version.person is not None else None,
        "approved_version": approved_number,
        "approved_version_id": item.approved_version_id,
        "content_hash": version.content_hash,
        "review_note": version.review_note,
        "created_by": item.created_by,
        "organisation_id": item.organisation_id,
        "created_at": iso(item.created_at),
        "updated_at": iso(item.updated_at),
        "source_url": item.source_url,
        "source_name": item.source_name,
        **_reading_review(item, version),
    }


def _reading_review(item: ContentItem, version: Any) -> dict[str, Any]:
    """The reading checks' findings still to look at, and who kept the reading as written."""
    review = review_reading(db.session, item, version)
    kept = review.kept
    return {
        "reading_findings": [f.as_dict() for f in review.open_findings],
        "reading_kept_as_written": None
        if kept is None
        else {"by": kept.kept_by, "at": iso(kept.kept_at), "findings": kept.findings},
    }


def serialise_version(version: ContentVersion) -> dict[str, Any]:
    """One version as it was written; an approved one never changes."""
    approved = version.status == "approved"
    return {
        "number": version.number,
        "status": version.status,
        "title": version.title,
        "body": version.body_html,
        "summary": version.summary,
        "tags": list(version.tags or []),
        "language": version.language,
        "campaign_id": version.campaign_id,
        "asset_id": version.asset_id,
        "reading_text": version.reading_text,
        "variants": dict(version.variants or {}),
        "person": dict(version.person) if version.person is not None else None,
        "content_hash": version.content_hash,
        "authors": sorted({int(a) for a in version.authors or ()}),
        "approved_by": version.reviewed_by if approved else None,
        "approved_at": iso(version.reviewed_at) if approved else None,
        "review_note": version.review_note,
        "submitted_at": iso(version.submitted_at),
        "created_at": iso(version.created_at),
    }


def _check_refs(data: dict[str, Any], kind: str) -> None:
    errors = _person_errors(data, kind)
    if "title" in data and not plain_text(data["title"]):
        # Titles are plain text: one made only of markup would be empty once cleaned.
        errors["title"] = "is empty once markup is removed / tiêu đề chỉ có mã HTML"
    if data.get("campaign_id") is not None:
        campaign = db.session.get(Campaign, data["campaign_id"])
        if campaign is None or not visible(db.session, campaign, current_user()):
            errors["campaign_id"] = "no such campaign"
    if data.get("asset_id") is not None and db.session.get(Asset, data["asset_id"]) is None:
        errors["asset_id"] = "no such asset"
    if errors:
        raise ValidationFailed(errors)


def _person_errors(data: dict[str, Any], kind: str) -> dict[str, str]:
    """A profile names its person and a consent the organisation holds, in force; no other
    kind has a person. Messages name fields, never the person."""
    person = data.get("person")
    if kind != PROFILE_KIND:
        return {"person": "only a profile has a person"} if person is not None else {}
    if person is None:
        return {"person": "is required for a profile"} if "person" in data or "kind" in data else {}
    errors = {}
    if not plain_text(person.get("name") or ""):
        errors["person.name"] = "is empty once markup is removed"
    code = person.get("commune_code")
    if code and db.session.get(Commune, code) is None:
        errors["person.commune_code"] = "no such commune"
    refusal = usable_consent(db.session, current_user(), person.get("consent_id"))
    if refusal is not None:
        errors["person.consent_id"] = refusal
    return errors


def load_content(content_id: int) -> ContentItem:
    return get_or_404(ContentItem, content_id, "Content")


def _workflow(action: Any) -> Any:
    try:
        return action()
    except WorkflowError as exc:
        db.session.rollback()
        raise ApiError(exc.status, str(exc)) from None


@endpoint(
    "POST",
    "/content",
    summary="Create a content item (draft)",
    permission="content:write",
    body="ContentCreate",
    response="Content",
    status=201,
)
def create(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    _check_refs(body, body["kind"])
    user = current_user()
    item = create_content(
        db.session,
        kind=body["kind"],
        title=body["title"],
        body=body["body"],
        summary=body.get("summary"),
        language=body.get("language", "vi"),
        campaign_id=body.get("campaign_id"),
        tags=body.get("tags"),
        asset_id=body.get("asset_id"),
        reading_text=body.get("reading_text"),
        variants=body.get("variants"),
        author_id=user.id if user else None,
        person=body.get("person"),
    )
    item.organisation_id = owner_for_new_row(db.session, user)
    db.session.commit()
    return serialise_content(item), 201


@endpoint(
    "GET",
    "/content",
    summary="Search content (q ignores diacritics and case)",
    permission="content:read",
    response="Content",
    paginated=True,
    query=(
        {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 200}},
        {
            "name": "kind",
            "in": "query",
            "schema": {"type": "string", "enum": list(CONTENT_KINDS)},
        },
        {
            "name": "status",
            "in": "query",
            "schema": {
                "type": "string",
                "enum": ["draft", "in_review", "approved", "rejected", "archived"],
            },
        },
        {
            "name": "campaign_id",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
        },
        *PAGE_PARAMS,
    ),
)
def list_content() -> dict[str, Any]:
    campaign = request.args.get("campaign_id")
    stmt = search_statement(
        q=request.args.get("q"),
        kind=request.args.get("kind"),
        status=request.args.get("status"),
        campaign_id=int(campaign) if campaign else None,
    )
    return paginate(db.session, scoped(stmt, ContentItem), serialise_content)


@endpoint(
    "GET",
    "/content/{id}",
    summary="One content item",
    permission="content:read",
    response="Content",
)
def get_content(id: int) -> dict[str, Any]:
    return serialise_content(load_content(id))


@endpoint(
    "PATCH",
    "/content/{id}",
    summary="Edit (approved content gets a new draft version)",
    permission="content:write",
    body="ContentPatch",
    response="Content",
)
def patch_content(id: int, body: dict[str, Any]) -> dict[str, Any]:
    item = load_content(id)
    _check_refs(body, item.kind)
    user = current_user()
    _workflow(lambda: edit_content(db.session, item, body, user.id if user else None))
    db.session.commit()
    return serialise_content(item)


@endpoint(
    "GET",
    "/content/{id}/versions",
    summary="Every version of a content item, oldest first",
    permission="content:read",
    response="ContentVersionList",
)
def list_versions(id: int) -> dict[str, Any]:
    item = load_content(id)
    return {"items": [serialise_version(v) for v in item.versions]}


@endpoint(
    "GET",
    "/content/{id}/versions/{number}",
    summary="One version of a content item",
    permission="content:read",
    response="ContentVersion",
)
def get_version(id: int, number: int) -> dict[str, Any]:
    version = version_by_number(load_content(id), number)
    if version is None:
        raise ApiError(404, f"Content {id} has no version {number} / không có phiên bản này")
    return serialise_version(version)


@endpoint(
    "POST",
    "/content/{id}/submit",
    summary="Submit for approval",
    permission="content:write",
    response="Content",
)
def submit_content(id: int) -> dict[str, Any]:
    item = load_content(id)
    user = current_user()
    _workflow(lambda: submit(item, user.id if user else None))
    db.session.commit()
    return serialise_content(item)


@endpoint(
    "POST",
    "/content/{id}/reading/keep",
    summary="Keep the current version's reading as written (resolves its reading findings)",
    permission="content:write",
    response="Content",
)
def keep_reading(id: int) -> dict[str, Any]:
    item = load_content(id)
    user = current_user()
    keep_as_written(db.session, item, latest(item), user.id if user else None)
    db.session.commit()
    return serialise_content(item)


@endpoint(
    "POST",
    "/content/{id}/approve",
    summary="Approve the version in review",
    permission="content:approve",
    response="Content",
)
def approve_content(id: int) -> dict[str, Any]:
    item = load_content(id)
    user = current_user()
    refusal = approval_refusal(db.session, item, utcnow())
    if refusal is not None:
        raise ApiError(409, refusal)
    _workflow(lambda: approve(db.session, item, user.id))
    db.session.commit()
    return serialise_content(item)


@endpoint(
    "POST",
    "/content/{id}/reject",
    summary="Reject the version in review",
    permission="content:approve",
    response="Content",
    body="Review",
)
def reject_content(id: int, body: dict[str, Any]) -> dict[str, Any]:
    item = load_content(id)
    user = current_user()
    _workflow(lambda: reject(item, user.id, body.get("note", "")))
    db.session.commit()
    return serialise_content(item)


@endpoint(
    "POST",
    "/content/{id}/archive",
    summary="Archive an item",
    permission="content:write",
    response="Content",
)
def archive_content(id: int) -> dict[str, Any]:
    item = load_content(id)
    _workflow(lambda: archive(item))
    db.session.commit()
    return serialise_content(item)


def serialise_asset(asset: Asset) -> dict[str, Any]:
    base = current_app.config["SETTINGS"].PUBLIC_BASE_URL
    return {
        "id": asset.id,
        # Drafts' posters are not public: editors read every poster signed in.
        "url": url_for("api.content_asset_file", id=asset.id),
        "thumbnail_url": url_for("api.content_asset_thumbnail", id=asset.id),
        "public_url": base + media_path(asset) if is_public(db.session, asset.id) else None,
        "mime": asset.mime,
        "width": asset.width,
        "height": asset.height,
        "bytes": asset.bytes,
        "sha256": asset.sha256,
    }


@endpoint(
    "POST",
    "/assets",
    summary="Upload a poster image (PNG, JPEG, WebP)",
    permission="content:write",
    body="AssetUpload",
    body_kind="multipart",
    response="Asset",
    status=201,
    extra_responses={200: "Asset"},
)
def upload_asset() -> tuple[dict[str, Any], int]:
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed({"file": "is required (multipart field 'file')"})
    settings = current_app.config["SETTINGS"]
    try:
        raw = upload.stream.read(settings.ASSET_MAX_BYTES + 1)
    finally:
        # Large uploads are spooled to a temporary file: release it now, whatever happens.
        upload.close()
    user = current_user()
    try:
        asset, created = store_image(
            db.session,
            raw,
            upload.filename,
            created_by=user.id if user else None,
            max_bytes=settings.ASSET_MAX_BYTES,
            max_pixels=settings.ASSET_MAX_PIXELS,
            max_decoded_bytes=settings.ASSET_MAX_DECODED_BYTES,
        )
    except AssetRejected as exc:
        raise ApiError(422, str(exc), errors={"file": str(exc)}) from None
    db.session.commit()
    return serialise_asset(asset), 201 if created else 200


@endpoint(
    "GET", "/assets/{id}", summary="Asset metadata", permission="content:read", response="Asset"
)
def get_asset(id: int) -> dict[str, Any]:
    asset = db.session.get(Asset, id)
    if asset is None:
        raise not_found("Asset", id)
    return serialise_asset(asset)


@endpoint(
    "GET",
    "/assets/{id}/file",
    summary="The poster image, approved or not (signed in)",
    permission="content:read",
)
def asset_file(id: int) -> Response:
    return media_response(get_or_404(Asset, id, "Asset"), public=False)


@endpoint(
    "GET",
    "/assets/{id}/thumbnail",
    summary="The poster's thumbnail, approved or not (signed in)",
    permission="content:read",
)
def asset_thumbnail(id: int) -> Response:
    return media_response(get_or_404(Asset, id, "Asset"), thumbnail=True, public=False)
