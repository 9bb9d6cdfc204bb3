"""The approval queue: what changed since the last approved version; approve or reject."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from content_library.db import utcnow
from content_library.models import ContentItem, ContentVersion
from content_library.services import WorkflowError, approve, latest, lineage_authors, reject
from publisher.auth.models import User
from publisher.consents.gate import approval_refusal, consent_of, is_profile
from publisher.db import db
from publisher.loudspeaker.review import review_reading
from publisher.organisations.web import scoped
from publisher.ui.blueprint import current_user, require, safe_next, ui
from publisher.ui.formatting import vietnamese_part
from publisher.ui.textdiff import version_diff
from publisher.ui.views_content import load_item

SELF_APPROVAL = "Không được tự duyệt nội dung của mình"


@ui.get("/approvals")
@require("content:read")
def approvals() -> str:
    items = list(
        db.session.scalars(
            scoped(
                select(ContentItem)
                .where(ContentItem.status == "in_review")
                .options(selectinload(ContentItem.versions).selectinload(ContentVersion.asset))
                .order_by(ContentItem.updated_at)
                .limit(100),
                ContentItem,
            )
        )
    )
    user = current_user()
    entries = []
    author_ids = set()
    for item in items:
        version = latest(item)
        previous = next(
            (v for v in item.versions if v.id == item.approved_version_id and v.id != version.id),
            None,
        )
        author_ids.add(version.created_by)
        entries.append(
            {
                "item": item,
                "version": version,
                "previous": previous,
                "diff": version_diff(previous, version),
                "own": user is not None and user.id in lineage_authors(item),
                "reading": review_reading(db.session, item, version),
                "consent": consent_of(db.session, version) if is_profile(item) else None,
            }
        )
    authors = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(author_ids)))}
    return render_template("ui/approvals.html", entries=entries, authors=authors)


def _back(item: ContentItem) -> str:
    return safe_next(request.form.get("next"), url_for("ui.approvals"))


@ui.post("/content/<int:content_id>/approve")
@require("content:approve")
def content_approve(content_id: int) -> Response:
    item = load_item(content_id)
    user = current_user()
    assert user is not None
    refusal = approval_refusal(db.session, item, utcnow())
    if refusal is not None:
        flash(vietnamese_part(refusal), "error")
        return redirect(_back(item))
    try:
        version = approve(db.session, item, user.id)
    except WorkflowError as exc:
        db.session.rollback()
        flash(_message(exc), "error")
        return redirect(_back(item))
    db.session.commit()
    flash(
        f"Đã duyệt “{version.title}” (phiên bản {version.number}). Có thể lên lịch đăng.", "success"
    )
    return redirect(_back(item))


@ui.post("/content/<int:content_id>/reject")
@require("content:approve")
def content_reject(content_id: int) -> Response:
    item = load_item(content_id)
    user = current_user()
    assert user is not None
    note = (request.form.get("note") or "").strip()[:2000]
    if not note:
        flash("Hãy ghi lý do từ chối để người viết biết cần sửa gì.", "error")
        return redirect(_back(item))
    try:
        version = reject(item, user.id, note)
    except WorkflowError as exc:
        db.session.rollback()
        flash(_message(exc), "error")
        return redirect(_back(item))
    db.session.commit()
    flash(f"Đã từ chối “{version.title}”; người viết sẽ thấy lý do.", "success")
    return redirect(_back(item))


def _message(exc: WorkflowError) -> str:
    if exc.status == 403:
        return (
            f"{SELF_APPROVAL}: bạn đã viết hoặc sửa nội dung này từ lần duyệt trước, "
            "cần một người duyệt khác."
        )
    return vietnamese_part(str(exc))
