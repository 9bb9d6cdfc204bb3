"""Planning a campaign: preview what a playbook would schedule, then apply it."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from content_library.models import Drive
from publisher.db import db
from publisher.delivery.models import Channel
from publisher.planning.errors import PlanningError
from publisher.planning.models import PlaybookRecord
from publisher.planning.service import PlanRefused, PlanResult, plan_campaign
from publisher.ui.blueprint import current_user, require, ui
from publisher.ui.views_campaigns import load_campaign

NOTE_KINDS = {"cancelled_unannounced": "Đợt đã huỷ"}


def _choices(args: MultiDict[str, str], campaign_id: int) -> dict[str, Any]:
    playbooks = list(db.session.scalars(select(PlaybookRecord).order_by(PlaybookRecord.name)))
    drives = list(
        db.session.scalars(
            select(Drive).where(Drive.campaign_id == campaign_id).order_by(Drive.starts_at)
        )
    )
    chosen = args.get("playbook_id", "")
    playbook = next((p for p in playbooks if str(p.id) == chosen), None)
    picked = {int(v) for v in args.getlist("drive_id") if v.isdigit()}
    valid = {d.id for d in drives}
    return {
        "playbooks": playbooks,
        "playbook_options": [(p.id, p.name) for p in playbooks],
        "drives": drives,
        "playbook": playbook,
        "picked": picked & valid,
        "all_drives": args.get("scope", "all") == "all",
    }


def _run(
    campaign_id: int, args: MultiDict[str, str], *, dry_run: bool, accept: bool = False
) -> tuple[dict[str, Any], PlanResult | None, dict[str, str]]:
    campaign = load_campaign(campaign_id)
    choices = _choices(args, campaign.id)
    choices["campaign"] = campaign
    if choices["playbook"] is None:
        return choices, None, {}
    user = current_user()
    drive_ids = None if choices["all_drives"] else sorted(choices["picked"])
    try:
        result = plan_campaign(
            db.session,
            campaign,
            choices["playbook"],
            drive_ids=drive_ids,
            dry_run=dry_run,
            user_id=user.id if user else None,
            accept_suggestions=accept,
        )
    except PlanRefused as exc:
        db.session.rollback()
        return choices, None, dict(exc.errors) or {"plan": exc.detail}
    except PlanningError as exc:
        db.session.rollback()
        return choices, None, {"plan": exc.message_vi}
    return choices, result, {}


@ui.get("/campaigns/<int:campaign_id>/plan")
@require("plan:write")
def plan(campaign_id: int) -> str:
    choices, result, errors = _run(campaign_id, request.args, dry_run=True)
    db.session.rollback()  # a dry run writes nothing; make sure of it
    channels = {c.id: c for c in db.session.scalars(select(Channel))}
    drives = {d.id: d for d in choices["drives"]}
    return render_template(
        "ui/plan.html",
        result=result,
        errors=errors,
        channels=channels,
        drive_names={k: d.name for k, d in drives.items()},
        note_kinds=NOTE_KINDS,
        args=request.args,
        **choices,
    )


@ui.post("/campaigns/<int:campaign_id>/plan")
@require("plan:write")
def plan_apply(campaign_id: int) -> str | Response:
    _, result, errors = _run(
        campaign_id,
        request.form,
        dry_run=False,
        accept=request.form.get("accept_suggestions") == "1",
    )
    query: dict[str, Any] = {
        "playbook_id": request.form.get("playbook_id", ""),
        "scope": request.form.get("scope", "all"),
    }
    if query["scope"] != "all":
        query["drive_id"] = request.form.getlist("drive_id")
    if result is None:
        db.session.rollback()
        message = "; ".join(errors.values()) or "Hãy chọn kịch bản."
        flash(f"Chưa áp dụng được kế hoạch: {message}", "error")
        return redirect(url_for("ui.plan", campaign_id=campaign_id, **query))
    db.session.commit()
    flash(
        f"Đã áp dụng kế hoạch: tạo {result.created} lượt đăng mới, "
        f"{result.skipped_existing} lượt đã có từ trước"
        + (f", bỏ qua {result.skipped} bước (xem lý do bên dưới)." if result.skipped else "."),
        "success",
    )
    return redirect(url_for("ui.plan", campaign_id=campaign_id, **query))
