"""The CSV import page: paste or upload, "Kiểm tra" (a dry run listing every row error),
fix, then "Nhập" (all rows or none)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from publisher.db import db
from publisher.donors.csv_import import (
    COLUMNS,
    MAX_BYTES,
    MAX_ROWS,
    ImportRefused,
    apply_import,
    decode,
    plan_import,
    record_dry_run,
)
from publisher.donors.register import DonorInvalid, target_organisation
from publisher.donors.views import _organisations, donor_admins
from publisher.ui.blueprint import current_user, ui
from publisher.ui.formatting import vietnamese_part

EXAMPLE = "ho_ten,chuc_vu,ngay_hien,noi_hien,so_chung_nhan"


def _page(
    values: dict[str, Any], result: dict[str, Any] | None, error: str | None, status: int = 200
) -> Any:
    return render_template(
        "donors/import.html",
        values=values,
        result=result,
        error=error,
        organisations=_organisations(),
        columns=COLUMNS,
        example=EXAMPLE,
        max_rows=MAX_ROWS,
        max_kb=MAX_BYTES // 1000,
    ), status


@ui.get("/donors/import")
@donor_admins
def donor_import_page() -> Any:
    return _page({}, None, None)


@ui.post("/donors/import")
@donor_admins
def donor_import() -> Any:
    user = current_user()
    values = request.form.to_dict()
    upload = request.files.get("file")
    try:
        if upload is not None and upload.filename:
            text = decode(upload.read(MAX_BYTES + 1))
        else:
            text = decode((request.form.get("csv") or "").encode("utf-8"))
    except ImportRefused as exc:
        return _page(values, None, exc.message, 422)
    values["csv"] = text  # an uploaded file comes back in the box, to be fixed there
    raw_org = (request.form.get("organisation_id") or "").strip()
    try:
        org_id = target_organisation(db.session, user, int(raw_org) if raw_org.isdigit() else None)
        plan = plan_import(db.session, org_id, text.encode("utf-8"))
    except DonorInvalid as exc:
        db.session.rollback()
        return _page(values, None, vietnamese_part(next(iter(exc.errors.values()))) + ".", 422)
    except ImportRefused as exc:
        db.session.rollback()
        return _page(values, None, exc.message, 422)
    if request.form.get("action") != "import" or plan.errors:
        result = plan.summary()
        record_dry_run(db.session, user, org_id, plan)
        db.session.commit()
        status = 422 if plan.errors and request.form.get("action") == "import" else 200
        error = "Tệp còn lỗi, chưa nhập dòng nào." if status == 422 else None
        return _page(values, result, error, status)
    result = apply_import(db.session, user, org_id, plan)
    db.session.commit()
    flash(
        f"Đã nhập {result['donations_created']} lần hiến: {result['donors_created']} người mới, "
        f"{len(result['duplicates'])} dòng trùng bỏ qua.",
        "success",
    )
    return redirect(url_for("ui.donors"))
