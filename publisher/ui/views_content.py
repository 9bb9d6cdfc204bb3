"""The content library: search, write, edit (with a poster), preview per channel, submit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from content_library.assets import AssetRejected, store_image
from content_library.db import utcnow
from content_library.models import (
    CONTENT_KINDS,
    CONTENT_STATUSES,
    PROFILE_KIND,
    Asset,
    Campaign,
    ContentItem,
)
from content_library.sanitize import plain_text
from content_library.services import (
    WorkflowError,
    archive,
    create_content,
    edit_content,
    latest,
    search_statement,
    submit,
)
from publisher.auth.models import User
from publisher.consents.gate import consent_of
from publisher.db import db
from publisher.delivery.models import Channel, Publication
from publisher.loudspeaker.review import review_reading
from publisher.organisations.visibility import owner_for_new_row
from publisher.organisations.web import scoped
from publisher.ui.blueprint import Page, current_user, load_or_404, page_number, require, ui
from publisher.ui.formatting import CHANNEL_KINDS, CONTENT_STATUS, input_datetime, vietnamese_part
from publisher.ui.formatting import CONTENT_KINDS as KIND_LABELS
from publisher.ui.forms import Form
from publisher.ui.previews import previews
from publisher.ui.profile_fields import profile_choices, read_person


def load_item(content_id: int) -> ContentItem:
    return load_or_404(ContentItem, content_id)


def campaign_options() -> list[tuple[int, str]]:
    return [
        (c.id, c.name) for c in db.session.scalars(select(Campaign).order_by(Campaign.starts_on))
    ]


@ui.get("/content")
@require("content:read")
def content_list() -> str:
    args = request.args
    campaign = args.get("campaign_id", "")
    stmt = search_statement(
        q=args.get("q") or None,
        kind=args.get("kind") if args.get("kind") in CONTENT_KINDS else None,
        status=args.get("status") if args.get("status") in CONTENT_STATUSES else None,
        campaign_id=int(campaign) if campaign.isdigit() else None,
    )
    if args.get("templates") != "1":
        stmt = stmt.where(ContentItem.is_template.is_(False))
    page = Page(db.session, scoped(stmt, ContentItem), page_number())
    return render_template(
        "ui/content_list.html",
        page=page,
        latest=latest,
        kinds=list(KIND_LABELS.items()),
        statuses=[(k, v[0]) for k, v in CONTENT_STATUS.items()],
        campaigns=campaign_options(),
        args=args,
    )


def _form_values(item: ContentItem | None) -> dict[str, Any]:
    if item is None:
        kind = request.args.get("kind", "article")
        return {
            "kind": kind if kind in CONTENT_KINDS else "article",
            "title": "",
            "summary": "",
            "body": "",
            "campaign_id": request.args.get("campaign_id", ""),
            "tags": "",
            "reading_text": "",
            "asset": None,
            "person": {},
        }
    version = latest(item)
    return {
        "kind": item.kind,
        "title": version.title,
        "summary": version.summary,
        "body": version.body_html,
        "campaign_id": item.campaign_id or "",
        "tags": ", ".join(version.tags or []),
        "reading_text": version.reading_text or "",
        "asset": version.asset,
        "person": dict(version.person or {}),
    }


def _render_form(
    item: ContentItem | None, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> tuple[str, int]:
    page = render_template(
        "ui/content_form.html",
        item=item,
        values=values,
        errors=errors,
        kinds=list(KIND_LABELS.items()),
        campaigns=campaign_options(),
        **profile_choices(item, values),
        max_mb=current_app.config["SETTINGS"].ASSET_MAX_BYTES // (1024 * 1024),
    )
    return page, status


def _read_form(item: ContentItem | None) -> tuple[dict[str, Any], dict[str, Any], Form]:
    """The typed changes, the values to show again, and the form with its errors."""
    form = Form(request.form)
    kind = item.kind if item else form.choice("kind", CONTENT_KINDS, label="Loại nội dung")
    title = form.text("title", required=True, max_length=300, label="Tiêu đề")
    if title and not plain_text(title):
        form.errors["title"] = "Tiêu đề chỉ có mã HTML; hãy gõ tiêu đề bằng chữ thường."
    summary = form.text("summary", max_length=2000, label="Tóm tắt")
    body = request.form.get("body", "")
    if kind != "poster" and not body.strip():
        form.errors["body"] = "Nội dung không được để trống."
    reading_text = form.text("reading_text", max_length=20_000, label="Bản đọc")
    campaign_id = form.integer("campaign_id", minimum=1, label="Chiến dịch")
    if campaign_id is not None and db.session.get(Campaign, campaign_id) is None:
        form.errors["campaign_id"] = "Chiến dịch không tồn tại."
    tags = form.tags("tags")
    changes: dict[str, Any] = {
        "title": title,
        "summary": summary,
        "body": body,
        "campaign_id": campaign_id,
        "tags": tags,
        "reading_text": reading_text or None,
    }
    # The poster: a new upload, else the one already chosen (kept in a hidden field, so an
    # upload survives a form sent back for corrections), unless the editor removes it.
    kept = form.integer("asset_id", minimum=1, label="Ảnh")
    current_asset = db.session.get(Asset, kept) if kept else None
    upload = request.files.get("poster")
    if upload is not None and upload.filename:
        settings = current_app.config["SETTINGS"]
        user = current_user()
        try:
            asset, _created = store_image(
                db.session,
                upload.stream.read(settings.ASSET_MAX_BYTES + 1),
                upload.filename,
                created_by=user.id if user else None,
                max_bytes=settings.ASSET_MAX_BYTES,
                max_pixels=settings.ASSET_MAX_PIXELS,
                max_decoded_bytes=settings.ASSET_MAX_DECODED_BYTES,
            )
        except AssetRejected as exc:
            form.errors["poster"] = str(exc).split(" / ")[0]
        else:
            current_asset = asset
    elif form.flag("remove_poster"):
        current_asset = None
    changes["asset_id"] = current_asset.id if current_asset else None
    if kind == "poster" and current_asset is None and "poster" not in form.errors:
        form.errors["poster"] = "Áp phích cần có ảnh (PNG, JPEG hoặc WebP)."
    if kind == PROFILE_KIND:
        changes["person"] = read_person(form)
    values = {
        "person": changes.get("person") or {},
        "kind": kind,
        "title": title,
        "summary": summary,
        "body": body,
        "campaign_id": campaign_id or "",
        "tags": ", ".join(tags),
        "reading_text": reading_text,
        "asset": current_asset,
    }
    return changes, values, form


@ui.get("/content/new")
@require("content:write")
def content_new() -> tuple[str, int]:
    return _render_form(None, _form_values(None), {})


@ui.post("/content/new")
@require("content:write")
def content_create() -> tuple[str, int] | Response:
    changes, values, form = _read_form(None)
    if form.errors:
        db.session.commit()  # only a poster just uploaded: it stays chosen in the form
        return _render_form(None, values, form.errors, 422)
    user = current_user()
    assert user is not None
    item = create_content(
        db.session,
        kind=values["kind"],
        title=changes["title"],
        body=changes["body"],
        summary=changes["summary"],
        campaign_id=changes["campaign_id"],
        tags=changes["tags"],
        asset_id=changes["asset_id"],
        reading_text=changes["reading_text"],
        author_id=user.id,
        person=changes.get("person"),
    )
    item.organisation_id = owner_for_new_row(db.session, user)
    db.session.commit()
    flash("Đã lưu bản nháp. Khi xong, hãy bấm “Gửi duyệt”.", "success")
    return redirect(url_for("ui.content_detail", content_id=item.id))


@ui.get("/content/<int:content_id>")
@require("content:read")
def content_detail(content_id: int) -> str:
    item = load_item(content_id)
    version = latest(item)
    shown = version
    number = request.args.get("version", "")
    if number.isdigit():
        shown = next((v for v in item.versions if v.number == int(number)), version)
    authors = {
        u.id: u
        for u in db.session.scalars(
            select(User).where(
                User.id.in_(
                    {v.created_by for v in item.versions if v.created_by}
                    | {v.reviewed_by for v in item.versions if v.reviewed_by}
                )
            )
        )
    }
    pubs = list(
        db.session.scalars(
            select(Publication)
            .where(Publication.content_id == item.id)
            .order_by(Publication.scheduled_at.desc())
            .limit(50)
        )
    )
    channels = list(
        db.session.scalars(
            scoped(select(Channel).where(Channel.enabled.is_(True)).order_by(Channel.name), Channel)
        )
    )
    default_at = (utcnow() + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    return render_template(
        "ui/content_detail.html",
        item=item,
        version=version,
        shown=shown,
        previews=previews(item, shown),
        reading=review_reading(db.session, item, shown),
        authors=authors,
        campaign=db.session.get(Campaign, item.campaign_id) if item.campaign_id else None,
        publications=pubs,
        channels=channels,
        channel_options=[
            (c.id, f"{c.name} — {CHANNEL_KINDS.get(c.kind, c.kind)}") for c in channels
        ],
        default_at=input_datetime(default_at),
        user=current_user(),
        consent=consent_of(db.session, shown) if item.kind == PROFILE_KIND else None,
    )


@ui.get("/content/<int:content_id>/edit")
@require("content:write")
def content_edit(content_id: int) -> tuple[str, int] | Response:
    item = load_item(content_id)
    if latest(item).status == "in_review":
        flash("Nội dung đang chờ duyệt, chưa sửa được. Hãy chờ duyệt xong.", "error")
        return redirect(url_for("ui.content_detail", content_id=item.id))
    return _render_form(item, _form_values(item), {})


@ui.post("/content/<int:content_id>/edit")
@require("content:write")
def content_update(content_id: int) -> tuple[str, int] | Response:
    item = load_item(content_id)
    changes, values, form = _read_form(item)
    if form.errors:
        db.session.commit()  # only a poster just uploaded: it stays chosen in the form
        return _render_form(item, values, form.errors, 422)
    user = current_user()
    was_approved = latest(item).status == "approved"
    try:
        edit_content(db.session, item, changes, user.id if user else None)
    except WorkflowError as exc:
        db.session.rollback()
        flash(vietnamese_part(str(exc)), "error")
        return redirect(url_for("ui.content_detail", content_id=content_id))
    db.session.commit()
    if was_approved:
        flash(
            "Đã tạo phiên bản nháp mới; bản đã duyệt vẫn được dùng cho đến khi bản mới được duyệt.",
            "success",
        )
    else:
        flash("Đã lưu thay đổi.", "success")
    return redirect(url_for("ui.content_detail", content_id=item.id))


@ui.post("/content/<int:content_id>/submit")
@require("content:write")
def content_submit(content_id: int) -> Response:
    item = load_item(content_id)
    user = current_user()
    try:
        submit(item, user.id if user else None)
    except WorkflowError as exc:
        db.session.rollback()
        flash(vietnamese_part(str(exc)), "error")
    else:
        db.session.commit()
        flash("Đã gửi duyệt. Lãnh đạo sẽ xem trong mục “Chờ duyệt”.", "success")
    return redirect(url_for("ui.content_detail", content_id=item.id))


@ui.post("/content/<int:content_id>/archive")
@require("content:write")
def content_archive(content_id: int) -> Response:
    item = load_item(content_id)
    try:
        archive(item)
    except WorkflowError as exc:
        db.session.rollback()
        flash(vietnamese_part(str(exc)), "error")
    else:
        db.session.commit()
        flash("Đã lưu trữ nội dung.", "success")
    return redirect(url_for("ui.content_detail", content_id=item.id))
