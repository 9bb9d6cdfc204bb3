"""Pages for guidance: a unit's inbox (adopt, record evidence), the department's sending form,
and the coverage matrix (units × guidance) with filters."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from content_library.models import Campaign, ContentItem
from content_library.services import latest
from publisher.db import db
from publisher.delivery.models import Channel
from publisher.organisations.guidance import (
    COVERAGE_STATUSES,
    GuidanceError,
    coverage,
    create_guidance,
    guidance_for,
    local_today,
    pinned_versions,
    record_evidence,
    visible_guidance,
)
from publisher.organisations.models import ORGANISATION_KINDS, Guidance, Organisation
from publisher.organisations.visibility import sees_everything
from publisher.organisations.web import scoped
from publisher.ui.blueprint import Page, current_user, page_number, require, ui
from publisher.ui.formatting import vietnamese_part
from publisher.ui.forms import Form

# Only a template folder: the routes live on the UI blueprint (its sign-in, CSRF, errors).
templates = Blueprint("organisations", __name__, template_folder="templates")

STATUS_LABELS = {
    "pending": ("Chưa thực hiện", "muted"),
    "in_progress": ("Đang thực hiện", "info"),
    "done": ("Đã thực hiện", "ok"),
    "overdue": ("Quá hạn", "err"),
}
KIND_LABELS = {
    "department": "Sở",
    "press": "Cơ quan báo chí",
    "portal": "Cổng thông tin",
    "red_cross": "Hội Chữ thập đỏ",
    "commune": "Xã, phường",
    "other": "Đơn vị khác",
}


def init_pages(app: Flask) -> None:
    app.register_blueprint(templates)
    app.jinja_env.globals.update(GUIDANCE_STATUS=STATUS_LABELS, ORGANISATION_KINDS=KIND_LABELS)


def _department_only() -> None:
    if not sees_everything(db.session, current_user()):
        abort(403)


def _load(guidance_id: int) -> Guidance:
    guidance = guidance_for(db.session, current_user(), guidance_id)
    if guidance is None:
        abort(404)
    return guidance


@ui.get("/guidance")
@require("guidance:read")
def guidance_list() -> str:
    user = current_user()
    department = sees_everything(db.session, user)
    page = Page(db.session, visible_guidance(db.session, user), page_number())
    today = local_today()
    rows = []
    for guidance in page.items:
        lines = coverage(
            db.session, guidance, only=None if department else user.organisation_id, today=today
        )
        counts = {s: sum(1 for r in lines if r.status == s) for s in COVERAGE_STATUSES}
        mine = lines[0].status if lines and not department else None
        due_soon = mine in ("pending", "in_progress") and (guidance.due_on - today).days <= 3
        rows.append({"g": guidance, "counts": counts, "mine": mine, "due_soon": due_soon})
    return render_template(
        "organisations/guidance_list.html", page=page, rows=rows, department=department
    )


@ui.get("/guidance/new")
@require("guidance:write")
def guidance_new() -> str:
    _department_only()
    return _render_form({}, {})


def _render_form(values: dict[str, Any], errors: dict[str, str], status: int = 200) -> Any:
    contents = db.session.scalars(
        select(ContentItem)
        .where(ContentItem.approved_version_id.is_not(None), ContentItem.status != "archived")
        .order_by(ContentItem.updated_at.desc())
        .limit(200)
    ).all()
    units = db.session.scalars(
        select(Organisation)
        .where(Organisation.kind != "department")
        .order_by(Organisation.kind, Organisation.name)
    ).all()
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.starts_on)).all()
    return render_template(
        "organisations/guidance_form.html",
        contents=[(c.id, latest(c).title) for c in contents],
        units=units,
        campaigns=[(c.id, c.name) for c in campaigns],
        values=values,
        errors=errors,
    ), status


@ui.post("/guidance/new")
@require("guidance:write")
def guidance_create() -> Any:
    _department_only()
    form = Form(request.form)
    title = form.text("title", required=True, max_length=300, label="Tiêu đề")
    body = form.text("body", required=True, max_length=20000, label="Nội dung hướng dẫn")
    due_on = form.date("due_on", required=True, label="Hạn thực hiện")
    campaign_id = form.integer("campaign_id", minimum=1, label="Chiến dịch")
    content_ids = [int(v) for v in request.form.getlist("content_ids") if v.isdigit()]
    org_ids = [int(v) for v in request.form.getlist("organisation_ids") if v.isdigit()]
    if not org_ids:
        form.errors["organisation_ids"] = "Chọn ít nhất một đơn vị nhận hướng dẫn."
    values = {**request.form.to_dict(), "content_ids": content_ids, "organisation_ids": org_ids}
    if form.errors:
        return _render_form(values, form.errors, 422)
    try:
        guidance = create_guidance(
            db.session,
            current_user(),
            title=title or "",
            body=body or "",
            due_on=due_on or date.today(),
            content_ids=content_ids,
            organisation_ids=org_ids,
            campaign_id=campaign_id,
        )
    except GuidanceError as exc:
        db.session.rollback()
        errors = {"content_ids": "Chỉ gửi được nội dung đã duyệt."} if exc.errors else {}
        return _render_form(values, errors or {"title": vietnamese_part(str(exc))}, 422)
    db.session.commit()
    flash(f"Đã gửi hướng dẫn “{guidance.title}” tới {len(org_ids)} đơn vị.", "success")
    return redirect(url_for("ui.guidance_detail", guidance_id=guidance.id))


@ui.get("/guidance/<int:guidance_id>")
@require("guidance:read")
def guidance_detail(guidance_id: int) -> str:
    guidance = _load(guidance_id)
    user = current_user()
    department = sees_everything(db.session, user)
    lines = coverage(db.session, guidance, only=None if department else user.organisation_id)
    orgs = {o.id: o for o in db.session.scalars(select(Organisation))}
    items = []
    for pin in pinned_versions(db.session, guidance):
        item = db.session.get(ContentItem, pin.content_id)
        version = next((v for v in item.versions if v.id == pin.version_id), None)
        items.append(
            {
                "item": item,
                "version": version,
                "current": item.approved_version_id == pin.version_id,
            }
        )
    channels = db.session.scalars(
        scoped(select(Channel).where(Channel.enabled.is_(True)).order_by(Channel.name), Channel)
    ).all()
    return render_template(
        "organisations/guidance_detail.html",
        guidance=guidance,
        lines=lines,
        orgs=orgs,
        items=items,
        channels=channels,
        department=department,
        today=local_today(),
    )


@ui.post("/guidance/<int:guidance_id>/evidence")
@require("guidance:report")
def guidance_evidence(guidance_id: int) -> Response:
    guidance = _load(guidance_id)
    form = Form(request.form)
    note = form.text("note", required=True, max_length=5000, label="Ghi chú")
    on_date = form.date("date", required=True, label="Ngày thực hiện")
    url = form.text("url", max_length=1000, label="Đường dẫn") or None
    if url and not url.startswith(("http://", "https://")):
        form.errors["url"] = "Đường dẫn phải bắt đầu bằng http:// hoặc https://"
    back = redirect(url_for("ui.guidance_detail", guidance_id=guidance.id))
    if form.errors:
        for message in form.errors.values():
            flash(message, "error")
        return back
    user = current_user()
    assert user is not None and on_date is not None
    try:
        record_evidence(db.session, user, guidance, note=note or "", on_date=on_date, url=url)
    except GuidanceError as exc:
        db.session.rollback()
        flash(vietnamese_part(str(exc)), "error")
        return back
    db.session.commit()
    flash("Đã ghi nhận kết quả thực hiện.", "success")
    return back


@ui.get("/guidance/matrix")
@require("guidance:read")
def guidance_matrix() -> str:
    _department_only()
    args = request.args
    stmt = select(Guidance).order_by(Guidance.due_on.desc(), Guidance.id.desc()).limit(24)
    if args.get("campaign_id", "").isdigit():
        stmt = stmt.where(Guidance.campaign_id == int(args["campaign_id"]))
    columns = db.session.scalars(stmt).all()
    unit_stmt = select(Organisation).where(Organisation.kind != "department")
    if args.get("kind") in ORGANISATION_KINDS:
        unit_stmt = unit_stmt.where(Organisation.kind == args["kind"])
    units = db.session.scalars(unit_stmt.order_by(Organisation.kind, Organisation.name)).all()
    today = local_today()
    cells: dict[tuple[int, int], str] = {}
    for guidance in columns:
        for line in coverage(db.session, guidance, today=today):
            cells[(line.organisation_id, guidance.id)] = line.status
    wanted = args.get("status") if args.get("status") in COVERAGE_STATUSES else None
    rows = [
        u
        for u in units
        if any((u.id, g.id) in cells for g in columns)
        and (wanted is None or any(cells.get((u.id, g.id)) == wanted for g in columns))
    ]
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.starts_on)).all()
    return render_template(
        "organisations/guidance_matrix.html",
        columns=columns,
        rows=rows,
        cells=cells,
        args=args,
        campaigns=[(c.id, c.name) for c in campaigns],
        kinds=[(k, KIND_LABELS[k]) for k in ORGANISATION_KINDS if k != "department"],
        statuses=[(k, v[0]) for k, v in STATUS_LABELS.items()],
    )
