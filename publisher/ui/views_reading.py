"""The reading checks' "keep as written" for one content version."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from publisher.db import db
from publisher.loudspeaker.review import keep_as_written
from publisher.ui.blueprint import current_user, require, safe_next, ui
from publisher.ui.views_content import load_item


@ui.post("/content/<int:content_id>/versions/<int:number>/reading/keep")
@require("content:write")
def reading_keep(content_id: int, number: int) -> Response:
    item = load_item(content_id)
    version = next((v for v in item.versions if v.number == number), None)
    if version is None:
        abort(404)
    user = current_user()
    assert user is not None
    kept = keep_as_written(db.session, item, version, user.id)
    db.session.commit()
    flash(
        f"Đã giữ nguyên bản đọc của phiên bản {version.number} như đã viết "
        f"({kept.findings} chỗ đã được xem lại).",
        "success",
    )
    back = url_for("ui.content_detail", content_id=item.id)
    return redirect(safe_next(request.form.get("next"), back))
