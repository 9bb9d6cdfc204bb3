"""The audit log page ("Nhật ký truy cập") for admins: who read or changed which row, when.

As in the API, the department's admins see every entry, a unit's admins their own
organisation's, and anyone else gets the 404 page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, render_template, request

from publisher.audit import ACTIONS
from publisher.audit.log import AuditFilter, filter_from_args, filtered_events
from publisher.db import db
from publisher.ui.blueprint import Page, current_user, page_number, require, ui
from publisher.ui.formatting import vietnamese_part

templates = Blueprint("audit", __name__, template_folder="templates")
ACTION_LABELS = {
    "read": "Xem",
    "list": "Xem danh sách",
    "create": "Thêm",
    "update": "Sửa",
    "delete": "Xoá",
    "export": "Xuất dữ liệu",
    "import": "Nhập tệp",
    "withdraw": "Rút lại",
}
ENTITY_LABELS = {"donor": "Người hiến máu", "consent": "Giấy đồng ý"}


def init_pages(app: Flask) -> None:
    app.register_blueprint(templates)


@ui.get("/audit")
@require("audit:read", refusal=404)
def audit_log() -> Any:
    user = current_user()
    args = {k: v for k, v in request.args.items() if v and k != "page"}
    errors: dict[str, str] = {}
    try:
        wanted = filter_from_args(args)
    except ValueError as exc:
        errors = {k: vietnamese_part(v) + "." for k, v in exc.args[0].items()}
        wanted = AuditFilter()
    page = Page(db.session, filtered_events(db.session, user, wanted), page_number())
    return render_template(
        "audit/log.html",
        page=page,
        args=request.args,
        errors=errors,
        actions=[(a, ACTION_LABELS[a]) for a in ACTIONS],
        entities=list(ENTITY_LABELS.items()),
        action_labels=ACTION_LABELS,
        entity_labels=ENTITY_LABELS,
    )
