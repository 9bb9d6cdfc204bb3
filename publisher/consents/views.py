"""Pages for consents: the list (per person), recording one with its signed form, its
detail with the form and the withdrawal that stops its profiles; export and erasure."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from werkzeug.wrappers import Response

from channels.registry import kinds, label
from content_library.db import utcnow
from content_library.models import Commune
from publisher.consents.erasure import erase_consent, export_consent
from publisher.consents.forms import FORM_MAX_BYTES, FormRejected, decode_form, form_download
from publisher.consents.gate import status_of
from publisher.consents.models import Consent
from publisher.consents.service import (
    ConsentError,
    WithdrawalOutcome,
    create_consent,
    matching_person,
    profiles_of,
    record_listing,
    record_reading,
    visible_consents,
    withdraw_consent,
)
from publisher.db import db
from publisher.downloads import json_download
from publisher.ui.blueprint import Page, current_user, load_or_404, page_number, require, ui
from publisher.ui.formatting import vietnamese_part
from publisher.ui.forms import Form

# Only a template folder: the routes live on the UI blueprint (its sign-in, CSRF, errors).
templates = Blueprint("consents", __name__, template_folder="templates")
FIELD_MESSAGES = {
    "scope": "Hãy chọn ít nhất một loại kênh được phép đăng.",
    "expires_on": "Ngày hết hạn không được trước ngày ký.",
    "commune_code": "Xã, phường không hợp lệ.",
    "person_name": "Họ tên không được để trống.",
}


@templates.record_once
def _install(state: BlueprintSetupState) -> None:
    from publisher.consents.service import consent_sweep

    # The dispatcher takes down, on every tick, delivered profiles whose consent was
    # withdrawn while they were being sent (see publisher.consents.service).
    state.app.extensions.setdefault("dispatch_hooks", []).append(consent_sweep)


def init_pages(app: Flask) -> None:
    app.register_blueprint(templates)


def scope_options() -> list[tuple[str, str]]:
    return [(kind, label(kind)) for kind in kinds()]


def commune_options() -> list[tuple[str, str]]:
    from sqlalchemy import select

    return [
        (c.code, c.full_name) for c in db.session.scalars(select(Commune).order_by(Commune.name))
    ]


@ui.get("/consents")
@require("consents:read")
def consents() -> str:
    user = current_user()
    stmt = visible_consents(db.session, user)
    person = (request.args.get("person") or "").strip()[:200]
    if person:
        stmt = matching_person(db.session, stmt, person)
    page = Page(db.session, stmt, page_number())
    record_listing(db.session, user, len(page.items), bool(person))
    db.session.commit()
    now = utcnow()
    statuses = {c.id: status_of(c, now) for c in page.items}
    return render_template("consents/list.html", page=page, person=person, statuses=statuses)


def _render_new(
    values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> tuple[str, int]:
    page = render_template(
        "consents/form.html",
        values=values,
        errors=errors,
        scopes=scope_options(),
        communes=commune_options(),
        max_mb=FORM_MAX_BYTES // (1024 * 1024),
    )
    return page, status


@ui.get("/consents/new")
@require("consents:write")
def consent_new() -> tuple[str, int]:
    return _render_new({"scope": []}, {})


@ui.post("/consents/new")
@require("consents:write")
def consent_create() -> tuple[str, int] | Response:
    form = Form(request.form)
    data: dict[str, Any] = {
        "person_name": form.text("person_name", required=True, max_length=200, label="Họ tên"),
        "scope": [k for k in request.form.getlist("scope") if k in kinds()],
        "given_on": form.date("given_on", required=True, label="Ngày ký"),
        "expires_on": form.date("expires_on", label="Ngày hết hạn"),
        "note": form.text("note", max_length=2000, label="Ghi chú"),
        "commune_code": form.text("commune_code", max_length=8) or None,
    }
    upload = request.files.get("file")
    decoded = None
    if upload is not None and upload.filename:
        try:
            raw = upload.stream.read(FORM_MAX_BYTES + 1)
        finally:
            upload.close()
        try:
            decoded = decode_form(raw)
        except FormRejected as exc:
            form.errors["file"] = vietnamese_part(str(exc))
    if form.errors:
        return _render_new(data, form.errors, 422)
    user = current_user()
    try:
        consent = create_consent(db.session, user, data, decoded)
    except ConsentError as exc:
        db.session.rollback()
        errors = {name: FIELD_MESSAGES.get(name, "Giá trị không hợp lệ.") for name in exc.errors}
        return _render_new(data, errors, 422)
    db.session.commit()
    flash("Đã ghi nhận giấy đồng ý.", "success")
    return redirect(url_for("ui.consent_detail", consent_id=consent.id))


def _detail(consent: Consent, outcome: WithdrawalOutcome | None = None) -> str:
    record_reading(db.session, current_user(), consent)
    items = profiles_of(db.session, consent.id)
    db.session.commit()
    return render_template(
        "consents/detail.html",
        consent=consent,
        status=status_of(consent, utcnow()),
        scope_labels=[label(k) for k in consent.scope or []],
        profiles=items,
        outcome=outcome,
    )


@ui.get("/consents/<int:consent_id>")
@require("consents:read")
def consent_detail(consent_id: int) -> str:
    return _detail(load_or_404(Consent, consent_id))


@ui.get("/consents/<int:consent_id>/form")
@require("consents:read")
def consent_form(consent_id: int) -> Response:
    consent = load_or_404(Consent, consent_id)
    if not consent.form_data:
        abort(404)
    record_reading(db.session, current_user(), consent, "form")
    db.session.commit()
    return form_download(consent.id, consent.form_data, consent.form_mime or "")


@ui.post("/consents/<int:consent_id>/withdraw")
@require("consents:write")
def consent_withdraw(consent_id: int) -> tuple[str, int] | str:
    consent = load_or_404(Consent, consent_id)
    user = current_user()
    reason = Form(request.form).text("reason", max_length=2000)
    try:
        outcome = withdraw_consent(db.session, user, consent, reason)
    except ConsentError as exc:
        db.session.rollback()
        flash(vietnamese_part(str(exc)), "error")
        return _detail(consent), 409
    db.session.commit()
    flash("Đã rút lại giấy đồng ý. Kết quả xử lý các lượt đăng ở bên dưới.", "success")
    return _detail(consent, outcome)


@ui.get("/consents/<int:consent_id>/export")
@require("consents:read")
def consent_export(consent_id: int) -> Response:
    data = export_consent(db.session, current_user(), load_or_404(Consent, consent_id))
    db.session.commit()
    return json_download(data, f"du-lieu-dong-y-{consent_id}.json")


@ui.post("/consents/<int:consent_id>/erase")
@require("consents:write")
def consent_erase(consent_id: int) -> tuple[str, int] | Response:
    consent = load_or_404(Consent, consent_id)
    try:
        erase_consent(db.session, current_user(), consent)
    except ConsentError as exc:
        db.session.rollback()
        flash(vietnamese_part(str(exc)), "error")
        return _detail(consent), 409
    db.session.commit()
    flash("Đã xoá dữ liệu cá nhân của giấy đồng ý và nội dung các tấm gương dùng nó.", "success")
    return redirect(url_for("ui.consents"))
