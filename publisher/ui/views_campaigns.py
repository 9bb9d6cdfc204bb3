"""Campaigns and donation drives."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from content_library.db import utcnow
from content_library.models import DRIVE_STATUSES, Campaign, Commune, ContentItem, Drive
from content_library.sanitize import plain_text
from content_library.search import slugify
from publisher.db import db
from publisher.delivery.models import Publication
from publisher.organisations.visibility import owner_for_new_row
from publisher.organisations.web import require_drive_keeper, scoped
from publisher.times import LOCAL_TZ
from publisher.ui.blueprint import Page, current_user, load_or_404, may, page_number, require, ui
from publisher.ui.formatting import DRIVE_STATUS, input_datetime
from publisher.ui.forms import Form
from publisher.ui.views_drive_changes import pending_rows, proposed_values, save_drive_edit


def load_campaign(campaign_id: int) -> Campaign:
    return load_or_404(Campaign, campaign_id)


def load_drive(drive_id: int) -> Drive:
    return load_or_404(Drive, drive_id)


@ui.get("/campaigns")
@require("content:read")
def campaigns() -> str:
    rows = db.session.execute(
        scoped(
            select(Campaign, func.count(Drive.id))
            .outerjoin(Drive, Drive.campaign_id == Campaign.id)
            .group_by(Campaign.id)
            .order_by(Campaign.starts_on, Campaign.id),
            Campaign,
        )
    ).all()
    return render_template(
        "ui/campaigns.html", rows=rows, today=utcnow().astimezone(LOCAL_TZ).date()
    )


@ui.get("/campaigns/<int:campaign_id>")
@require("content:read")
def campaign_detail(campaign_id: int) -> str:
    campaign = load_campaign(campaign_id)
    drives = list(
        db.session.scalars(
            select(Drive).where(Drive.campaign_id == campaign.id).order_by(Drive.starts_at)
        )
    )
    content_count = db.session.scalar(
        select(func.count()).select_from(ContentItem).where(ContentItem.campaign_id == campaign.id)
    )
    by_status = dict(
        db.session.execute(
            select(Publication.status, func.count())
            .join(ContentItem, ContentItem.id == Publication.content_id)
            .where(ContentItem.campaign_id == campaign.id)
            .group_by(Publication.status)
        ).all()
    )
    return render_template(
        "ui/campaign_detail.html",
        campaign=campaign,
        drives=drives,
        content_count=content_count or 0,
        by_status=by_status,
    )


def _campaign_form(campaign: Campaign | None) -> tuple[dict[str, Any], Form]:
    form = Form(request.form)
    typed = form.text("name", required=True, max_length=200, label="Tên chiến dịch")
    # Plain text: the name is an RSS category and goes into announcements' titles.
    name = plain_text(typed)
    if typed and not name:
        form.errors["name"] = "Tên chiến dịch chỉ có mã HTML; hãy gõ bằng chữ thường."
    slug = slugify(form.text("slug", max_length=80) or name) if campaign is None else campaign.slug
    starts = form.date("starts_on", required=True, label="Ngày bắt đầu")
    ends = form.date("ends_on", required=True, label="Ngày kết thúc")
    if starts and ends and ends < starts:
        form.errors["ends_on"] = "Ngày kết thúc không được trước ngày bắt đầu."
    if campaign is None and db.session.scalar(select(Campaign).where(Campaign.slug == slug)):
        form.errors["slug"] = "Mã chiến dịch này đã được dùng."
    values = {
        "name": name,
        "slug": slug,
        "starts_on": starts,
        "ends_on": ends,
        "description": form.text("description", max_length=5000, label="Mô tả"),
        "paused": form.flag("paused"),
    }
    return values, form


@ui.get("/campaigns/new")
@require("campaigns:write")
def campaign_new() -> str:
    return render_template("ui/campaign_form.html", campaign=None, values={}, errors={})


@ui.post("/campaigns/new")
@require("campaigns:write")
def campaign_create() -> tuple[str, int] | Response:
    values, form = _campaign_form(None)
    if form.errors:
        return render_template(
            "ui/campaign_form.html", campaign=None, values=values, errors=form.errors
        ), 422
    campaign = Campaign(**values, organisation_id=owner_for_new_row(db.session, current_user()))
    db.session.add(campaign)
    db.session.commit()
    flash(f"Đã tạo chiến dịch “{campaign.name}”.", "success")
    return redirect(url_for("ui.campaign_detail", campaign_id=campaign.id))


@ui.get("/campaigns/<int:campaign_id>/edit")
@require("campaigns:write")
def campaign_edit(campaign_id: int) -> str:
    campaign = load_campaign(campaign_id)
    values = {
        k: getattr(campaign, k)
        for k in ("name", "slug", "starts_on", "ends_on", "description", "paused")
    }
    return render_template("ui/campaign_form.html", campaign=campaign, values=values, errors={})


@ui.post("/campaigns/<int:campaign_id>/edit")
@require("campaigns:write")
def campaign_update(campaign_id: int) -> tuple[str, int] | Response:
    campaign = load_campaign(campaign_id)
    values, form = _campaign_form(campaign)
    if form.errors:
        return render_template(
            "ui/campaign_form.html", campaign=campaign, values=values, errors=form.errors
        ), 422
    for name, value in values.items():
        setattr(campaign, name, value)
    db.session.commit()
    flash("Đã lưu chiến dịch.", "success")
    return redirect(url_for("ui.campaign_detail", campaign_id=campaign.id))


# Drives ---------------------------------------------------------------------------------


def _communes() -> list[tuple[str, str]]:
    return [
        (c.code, c.full_name)
        for c in db.session.scalars(select(Commune).order_by(Commune.kind.desc(), Commune.name))
    ]


def _campaign_options() -> list[tuple[int, str]]:
    return [
        (c.id, c.name) for c in db.session.scalars(select(Campaign).order_by(Campaign.starts_on))
    ]


@ui.get("/drives")
@require("content:read")
def drives() -> str:
    args = request.args
    stmt = select(Drive).order_by(Drive.starts_at, Drive.id)
    if args.get("campaign_id", "").isdigit():
        stmt = stmt.where(Drive.campaign_id == int(args["campaign_id"]))
    if args.get("commune_code"):
        stmt = stmt.where(Drive.commune_code == args["commune_code"])
    if args.get("status") in DRIVE_STATUSES:
        stmt = stmt.where(Drive.status == args["status"])
    if args.get("when", "upcoming") == "upcoming":
        stmt = stmt.where(Drive.ends_at >= utcnow())
    page = Page(db.session, stmt, page_number())
    return render_template(
        "ui/drives.html",
        page=page,
        args=args,
        campaigns=_campaign_options(),
        communes=_communes(),
        statuses=[(k, v[0]) for k, v in DRIVE_STATUS.items()],
    )


def _drive_values(drive: Drive | None) -> dict[str, Any]:
    if drive is None:
        return {"campaign_id": request.args.get("campaign_id", ""), "status": "planned"}
    if not may("content:approve") and drive.pending_change is not None:
        # An editor goes on from the change they asked for, not from the old facts.
        shown = proposed_values(drive)
        return {**_drive_values_of(drive), **shown}
    return _drive_values_of(drive)


def _drive_values_of(drive: Drive) -> dict[str, Any]:
    return {
        "name": drive.name,
        "campaign_id": drive.campaign_id or "",
        "commune_code": drive.commune_code,
        "location": drive.location,
        "starts_at": input_datetime(drive.starts_at),
        "ends_at": input_datetime(drive.ends_at),
        "target_units": drive.target_units or "",
        "result_units": drive.result_units or "",
        "status": drive.status,
        "is_sample": drive.is_sample,
    }


def _render_drive(
    drive: Drive | None, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> tuple[str, int]:
    return render_template(
        "ui/drive_form.html",
        drive=drive,
        change=pending_rows(drive) if drive is not None else [],
        values=values,
        errors=errors,
        campaigns=_campaign_options(),
        communes=_communes(),
        statuses=[(k, v[0]) for k, v in DRIVE_STATUS.items()],
    ), status


def _read_drive() -> tuple[dict[str, Any], dict[str, Any], Form]:
    form = Form(request.form)
    fields: dict[str, Any] = {
        "name": plain_text(form.text("name", required=True, max_length=200, label="Tên đợt")),
        "location": plain_text(
            form.text("location", required=True, max_length=300, label="Địa điểm")
        ),
        "commune_code": form.text("commune_code", required=True, label="Xã/phường"),
        "campaign_id": form.integer("campaign_id", minimum=1, label="Chiến dịch"),
        "starts_at": form.local_datetime("starts_at", required=True, label="Bắt đầu"),
        "ends_at": form.local_datetime("ends_at", required=True, label="Kết thúc"),
        "target_units": form.integer("target_units", minimum=0, maximum=100_000, label="Chỉ tiêu"),
        "result_units": form.integer("result_units", minimum=0, maximum=100_000, label="Kết quả"),
        "status": form.choice("status", DRIVE_STATUSES, label="Trạng thái") or "planned",
    }
    for name, label in (("name", "Tên đợt"), ("location", "Địa điểm")):
        if request.form.get(name, "").strip() and not fields[name]:
            form.errors[name] = f"{label} chỉ có mã HTML; hãy gõ bằng chữ thường."
    if fields["commune_code"] and db.session.get(Commune, fields["commune_code"]) is None:
        form.errors["commune_code"] = "Xã/phường không tồn tại."
    if fields["campaign_id"] and db.session.get(Campaign, fields["campaign_id"]) is None:
        form.errors["campaign_id"] = "Chiến dịch không tồn tại."
    if fields["starts_at"] and fields["ends_at"] and fields["ends_at"] <= fields["starts_at"]:
        form.errors["ends_at"] = "Giờ kết thúc phải sau giờ bắt đầu."
    values = {
        **fields,
        "starts_at": request.form.get("starts_at", ""),
        "ends_at": request.form.get("ends_at", ""),
    }
    values = {k: ("" if v is None else v) for k, v in values.items()}
    return fields, values, form


@ui.get("/drives/new")
@require("campaigns:write")
def drive_new() -> tuple[str, int]:
    require_drive_keeper()
    return _render_drive(None, _drive_values(None), {})


@ui.post("/drives/new")
@require("campaigns:write")
def drive_create() -> tuple[str, int] | Response:
    require_drive_keeper()
    fields, values, form = _read_drive()
    if form.errors:
        return _render_drive(None, values, form.errors, 422)
    drive = Drive(**fields)
    db.session.add(drive)
    db.session.commit()
    flash(f"Đã thêm đợt hiến máu “{drive.name}”.", "success")
    return redirect(url_for("ui.drives", campaign_id=drive.campaign_id or ""))


@ui.get("/drives/<int:drive_id>")
@require("content:read")
def drive_edit(drive_id: int) -> tuple[str, int]:
    drive = load_drive(drive_id)
    return _render_drive(drive, _drive_values(drive), {})


@ui.post("/drives/<int:drive_id>")
@require("campaigns:write")
def drive_update(drive_id: int) -> tuple[str, int] | Response:
    drive = load_drive(drive_id)
    require_drive_keeper()
    fields, values, form = _read_drive()
    if form.errors:
        return _render_drive(drive, values, form.errors, 422)
    return save_drive_edit(drive, fields, values)
