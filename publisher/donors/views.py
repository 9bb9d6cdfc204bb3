"""Pages of the donor register ("Người hiến máu") for admins: the list with its filters, the
form with the donations, erasure, export, and the commendation proposal as a DOCX.

Everyone but the admins entitled to a donor gets the 404 page, as the API answers 404: the
register's existence is not revealed. Every page that shows a donor writes its audit entry.
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from content_library.db import utcnow
from publisher.db import db
from publisher.donors.commendation import commendation_docx
from publisher.donors.models import Donor
from publisher.donors.register import (
    DonorInvalid,
    DonorQuery,
    check_period,
    create_donor,
    donor_rows,
    erase_donor,
    export_donor,
    list_organisation,
    load_donor,
    read_donor,
    record_list,
    update_donor,
)
from publisher.downloads import download, json_download
from publisher.organisations.models import Organisation
from publisher.organisations.visibility import sees_everything
from publisher.times import local_date
from publisher.ui.blueprint import current_user, page_number, require, ui
from publisher.ui.formatting import vietnamese_part

# Only a template folder: the routes live on the UI blueprint (its sign-in, CSRF, errors).
templates = Blueprint("donors", __name__, template_folder="templates")
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PER_PAGE = 25
BLANK_ROWS = 3
FIELD_LABELS = {
    "full_name": "Họ và tên",
    "position": "Chức vụ",
    "organisation_id": "Đơn vị",
    "from": "Từ ngày",
    "to": "Đến ngày",
    "min_donations": "Số lần tối thiểu",
}


def init_pages(app: Flask) -> None:
    app.register_blueprint(templates)


# Admins only (``donors:admin`` is theirs alone, and inactive people are never let in);
# anyone else signed in gets the 404 page (see the module).
donor_admins = require("donors:admin", refusal=404)


def _donor(donor_id: int) -> Donor:
    donor = load_donor(db.session, current_user(), donor_id)
    if donor is None:
        abort(404)
    return donor


def _organisations() -> list[tuple[int, str]]:
    """The organisations the admin may choose: all for the department's, else none."""
    if not sees_everything(db.session, current_user()):
        return []
    rows = db.session.scalars(select(Organisation).order_by(Organisation.kind, Organisation.name))
    return [(o.id, o.name) for o in rows]


def read_filters(args: Any) -> tuple[DonorQuery, dict[str, str]]:
    """The list's filters from the query string, with Vietnamese errors (never raised)."""
    errors: dict[str, str] = {}
    days: dict[str, date | None] = {}
    for name in ("from", "to"):
        raw = (args.get(name) or "").strip()
        days[name] = None
        if raw:
            try:
                days[name] = date.fromisoformat(raw)
            except ValueError:
                errors[name] = f"{FIELD_LABELS[name]} không đúng dạng ngày."
    minimum = None
    raw_min = (args.get("min_donations") or "").strip()
    if raw_min:
        if raw_min.isdigit() and 1 <= int(raw_min) <= 1000:
            minimum = int(raw_min)
        else:
            errors["min_donations"] = "Số lần tối thiểu phải là số từ 1 đến 1000."
    raw_org = (args.get("organisation_id") or "").strip()
    org = int(raw_org) if raw_org.isdigit() else None
    try:
        check_period(days["from"], days["to"])
    except DonorInvalid as exc:
        errors.update({k: vietnamese_part(v) + "." for k, v in exc.errors.items()})
    try:
        org = list_organisation(db.session, current_user(), org)
    except DonorInvalid as exc:
        errors.update({k: vietnamese_part(v) + "." for k, v in exc.errors.items()})
        org = None
    return DonorQuery(org, days["from"], days["to"], minimum), errors


@ui.get("/donors")
@donor_admins
def donors() -> str:
    user = current_user()
    query, errors = read_filters(request.args)
    if errors:  # shown next to the filters; the list falls back to everything readable
        query = DonorQuery(None if sees_everything(db.session, user) else user.organisation_id)
    rows = donor_rows(db.session, user, query)
    pages = max(1, -(-len(rows) // PER_PAGE))
    page = min(page_number(), pages)
    shown = rows[(page - 1) * PER_PAGE : page * PER_PAGE]
    record_list(
        db.session, user, [r.donor for r in shown], query.organisation_id or user.organisation_id
    )
    names = dict(_organisations())
    db.session.commit()
    docx_org = query.organisation_id or (
        None if sees_everything(db.session, user) else user.organisation_id
    )
    return render_template(
        "donors/list.html",
        rows=shown,
        pager_page=SimpleNamespace(
            page=page,
            pages=pages,
            total=len(rows),
            url=lambda n: url_for("ui.donors", **{**request.args.to_dict(), "page": str(n)}),
        ),
        args=request.args,
        errors=errors,
        organisations=list(names.items()),
        organisation_names=names,
        docx_org=docx_org,
    )


def _donation_lines(form: Any) -> list[dict[str, Any]]:
    dates = form.getlist("donation_date")
    places = form.getlist("donation_place")
    certificates = form.getlist("donation_certificate")
    lines = []
    for index, raw in enumerate(dates):
        place = places[index] if index < len(places) else ""
        certificate = certificates[index] if index < len(certificates) else ""
        if raw.strip() or place.strip() or certificate.strip():
            lines.append({"date": raw, "place": place, "certificate_no": certificate})
    return lines


def _form_errors(errors: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Field errors for the fields, and the donations' errors as lines ("Lần hiến thứ 2: …")."""
    fields: dict[str, str] = {}
    donations: list[str] = []
    for key, message in errors.items():
        text = vietnamese_part(message)
        parts = key.split(".")
        if parts[0] in ("donations", "add_donations") and len(parts) > 1:
            donations.append(f"Lần hiến thứ {int(parts[1]) + 1}: {text}.")
        elif parts[0] in ("donations", "add_donations"):
            donations.append(f"{text}.")
        else:
            fields[parts[0]] = f"{text}."
    return fields, donations


def _render_form(
    donor: Donor | None, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Any:
    fields, donation_errors = _form_errors(errors)
    lines = list(values.get("donations", [])) + [{}] * BLANK_ROWS
    return render_template(
        "donors/form.html",
        donor=donor,
        values=values,
        errors=fields,
        donation_errors=donation_errors,
        lines=lines,
        organisations=_organisations(),
    ), status


@ui.get("/donors/new")
@donor_admins
def donor_new() -> Any:
    return _render_form(None, {}, {})


@ui.post("/donors/new")
@donor_admins
def donor_create() -> Any:
    lines = _donation_lines(request.form)
    raw_org = (request.form.get("organisation_id") or "").strip()
    values = {**request.form.to_dict(), "donations": lines}
    try:
        donor = create_donor(
            db.session,
            current_user(),
            full_name=request.form.get("full_name", ""),
            position=request.form.get("position", ""),
            organisation_id=int(raw_org) if raw_org.isdigit() else None,
            donations=lines,
        )
    except DonorInvalid as exc:
        db.session.rollback()
        return _render_form(None, values, exc.errors, 422)
    db.session.commit()
    flash("Đã thêm người hiến máu.", "success")
    return redirect(url_for("ui.donor_edit", donor_id=donor.id))


@ui.get("/donors/<int:donor_id>")
@donor_admins
def donor_edit(donor_id: int) -> Any:
    donor = _donor(donor_id)
    data = read_donor(db.session, current_user(), donor)
    db.session.commit()
    return _render_form(donor, data, {})


@ui.post("/donors/<int:donor_id>")
@donor_admins
def donor_update(donor_id: int) -> Any:
    donor = _donor(donor_id)
    lines = _donation_lines(request.form)
    changes = {
        "full_name": request.form.get("full_name", ""),
        "position": request.form.get("position", ""),
        "donations": lines,
    }
    try:
        update_donor(db.session, current_user(), donor, changes)
    except DonorInvalid as exc:
        db.session.rollback()
        return _render_form(_donor(donor_id), {**changes, "id": donor_id}, exc.errors, 422)
    db.session.commit()
    flash("Đã lưu thông tin người hiến máu.", "success")
    return redirect(url_for("ui.donor_edit", donor_id=donor_id))


@ui.post("/donors/<int:donor_id>/delete")
@donor_admins
def donor_delete(donor_id: int) -> Response:
    erase_donor(db.session, current_user(), _donor(donor_id))
    db.session.commit()
    flash("Đã xoá toàn bộ dữ liệu của người hiến máu này.", "success")
    return redirect(url_for("ui.donors"))


@ui.get("/donors/<int:donor_id>/export")
@donor_admins
def donor_export_download(donor_id: int) -> Response:
    data = export_donor(db.session, current_user(), _donor(donor_id))
    db.session.commit()
    return json_download(data, f"nguoi-hien-mau-{donor_id}.json")


@ui.get("/reports/commendations.docx")
@donor_admins
def commendations_docx() -> Response:
    """The proposal for commendation of one organisation's repeat donors."""
    user = current_user()
    query, errors = read_filters(request.args)
    if query.organisation_id is None:
        query = DonorQuery(user.organisation_id, query.first, query.last, query.min_donations)
    if errors.get("organisation_id"):
        abort(404)  # another unit's organisation: as if it did not exist
    if errors or query.organisation_id is None:
        flash(
            next(iter(errors.values()), "Chọn đơn vị để tải danh sách đề nghị biểu dương."),
            "error",
        )
        return redirect(url_for("ui.donors", **request.args))
    if query.min_donations is None:
        query = DonorQuery(query.organisation_id, query.first, query.last, 2)
    data, _count = commendation_docx(db.session, user, query)
    db.session.commit()
    day = query.last or local_date(utcnow())
    return download(
        data, DOCX_MIME, f"de-nghi-bieu-duong-{query.organisation_id}-{day:%Y%m%d}.docx"
    )
