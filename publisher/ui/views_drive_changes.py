"""Drive edits that wait for an approver: saving, showing (old → new), approving, rejecting.

The rules live in :mod:`publisher.planning.drive_changes`; these views only parse,
authorise, call and say in Vietnamese what happened.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, url_for
from werkzeug.wrappers import Response

from content_library.models import Campaign, Commune, Drive
from publisher.db import db
from publisher.organisations.web import require_drive_keeper
from publisher.planning.drive_changes import (
    DriveChangeError,
    approve_change,
    edit_drive,
    proposed,
    reject_change,
    requesters,
)
from publisher.planning.sources import PlanRefused
from publisher.ui.blueprint import current_user, load_or_404, may, require, ui
from publisher.ui.formatting import input_datetime, local_datetime, vietnamese_part

LABELS = {
    "name": "Tên đợt",
    "location": "Địa điểm",
    "starts_at": "Bắt đầu",
    "ends_at": "Kết thúc",
    "commune_code": "Xã/phường",
    "campaign_id": "Chiến dịch",
    "target_units": "Chỉ tiêu (đơn vị máu)",
    "result_units": "Kết quả (đơn vị máu)",
}


def _shown(name: str, value: Any) -> str:
    """A fact as people read it."""
    if value is None or value == "":
        return "—"
    if name in ("starts_at", "ends_at"):
        return local_datetime(value)
    if name == "commune_code":
        commune = db.session.get(Commune, value)
        return commune.full_name if commune else str(value)
    if name == "campaign_id":
        campaign = db.session.get(Campaign, value)
        return campaign.name if campaign else str(value)
    return str(value)


def pending_rows(drive: Drive) -> list[tuple[str, str, str]]:
    """(label, old, new) for each fact of the pending change; empty when nothing waits."""
    if drive.pending_change is None:
        return []
    return [
        (LABELS.get(name, name), _shown(name, getattr(drive, name)), _shown(name, value))
        for name, value in proposed(drive).items()
    ]


def proposed_values(drive: Drive) -> dict[str, Any]:
    """The pending change as form values."""
    out: dict[str, Any] = {}
    for name, value in proposed(drive).items():
        if name in ("starts_at", "ends_at"):
            out[name] = input_datetime(value)
        else:
            out[name] = "" if value is None else value
    return out


def save_drive_edit(drive: Drive, fields: dict[str, Any], values: dict[str, Any]) -> Response:
    user = current_user()
    try:
        outcome = edit_drive(
            db.session,
            drive,
            fields,
            user.id if user else None,
            may_approve=may("content:approve"),
        )
    except PlanRefused as exc:
        db.session.rollback()
        flash(vietnamese_part(exc.detail), "error")
        return redirect(url_for("ui.drive_edit", drive_id=drive.id))
    db.session.commit()
    if outcome.held:
        flash(
            "Đã gửi thay đổi cho người duyệt. Các tin đã lên lịch của đợt này tạm dừng, "
            "chưa đăng thông tin mới cho đến khi thay đổi được duyệt.",
            "success",
        )
    else:
        flash("Đã lưu đợt hiến máu.", "success")
    return redirect(url_for("ui.drive_edit", drive_id=drive.id))


def _load(drive_id: int) -> Drive:
    return load_or_404(Drive, drive_id)


@ui.post("/drives/<int:drive_id>/approve-change")
@require("content:approve")
def drive_change_approve(drive_id: int) -> Response:
    drive = _load(drive_id)
    require_drive_keeper()
    user = current_user()
    assert user is not None
    if user.id in requesters(drive):
        flash("Không được tự duyệt thay đổi mình đề nghị: cần một người duyệt khác.", "error")
        return redirect(url_for("ui.drive_edit", drive_id=drive.id))
    try:
        approve_change(db.session, drive, user.id)
    except (DriveChangeError, PlanRefused) as exc:
        db.session.rollback()
        detail = exc.detail if isinstance(exc, PlanRefused) else str(exc)
        flash(vietnamese_part(detail), "error")
        return redirect(url_for("ui.drive_edit", drive_id=drive.id))
    db.session.commit()
    flash("Đã duyệt thay đổi; các tin đã lên lịch dùng thông tin mới.", "success")
    return redirect(url_for("ui.drive_edit", drive_id=drive.id))


@ui.post("/drives/<int:drive_id>/reject-change")
@require("content:approve")
def drive_change_reject(drive_id: int) -> Response:
    drive = _load(drive_id)
    require_drive_keeper()
    try:
        reject_change(db.session, drive)
    except DriveChangeError as exc:
        db.session.rollback()
        flash(vietnamese_part(str(exc)), "error")
        return redirect(url_for("ui.drive_edit", drive_id=drive.id))
    db.session.commit()
    flash("Đã từ chối thay đổi; các tin đã lên lịch giữ thông tin cũ.", "success")
    return redirect(url_for("ui.drive_edit", drive_id=drive.id))
