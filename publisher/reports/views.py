"""The results report's page and its downloads (DOCX, XLSX) for the department's people."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.sansio.blueprints import BlueprintSetupState
from sqlalchemy import select

from content_library.models import Campaign
from publisher.db import db
from publisher.downloads import download
from publisher.errors import ApiError, ValidationFailed
from publisher.loudspeaker.bulletins import local_today
from publisher.organisations.visibility import scoped
from publisher.reports.documents import results_docx, results_xlsx, subject_of
from publisher.reports.figures import results
from publisher.reports.request import presets, query_args, read_query
from publisher.reports.scope import ReportQuery, own_unit
from publisher.reports.signature import (
    FIELDS,
    SignatureInvalid,
    letterhead,
    save_signature,
    signature,
    signature_settings,
)
from publisher.reports.tables import COVERAGE_LABELS
from publisher.security import check_csrf
from publisher.ui.blueprint import current_user, may, require
from publisher.ui.charts import columns, progress_rows

reports = Blueprint("reports", __name__, template_folder="templates")
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_CHART_ROWS = 40


@reports.record_once
def _install(state: BlueprintSetupState) -> None:
    from publisher.reports.engagement import engagement_reads

    state.app.extensions.setdefault("dispatch_hooks", []).append(engagement_reads)


@reports.before_request
def _refuse_forged_forms() -> None:
    check_csrf()


def _query() -> ReportQuery:
    try:
        return read_query(db.session, request.args, current_user())
    except ValidationFailed:
        raise
    except ApiError as exc:
        # Another unit's organisation or campaign: the page answers as if it did not exist.
        abort(exc.status)


def _filename(query: ReportQuery, extension: str) -> str:
    return f"bao-cao-ket-qua-{query.first:%Y%m%d}-{query.last:%Y%m%d}.{extension}"


@reports.get("/reports/results.docx")
@require("publications:read")
def results_docx_download() -> Response:
    query = _query()
    report = results(db.session, query)
    settings = signature_settings(db.session, query.organisation_id)
    data = results_docx(report, letterhead(settings, local_today()), signature(settings))
    db.session.rollback()
    return download(data, DOCX_MIME, _filename(query, "docx"))


@reports.get("/reports/results.xlsx")
@require("publications:read")
def results_xlsx_download() -> Response:
    query = _query()
    data = results_xlsx(results(db.session, query))
    db.session.rollback()
    return download(data, XLSX_MIME, _filename(query, "xlsx"))


def _charts(report: dict[str, Any]) -> dict[str, Any]:
    by_kind = [row for row in report["publications"]["by_kind"] if row["published"]]
    communes = report["broadcasts"]["communes"][:MAX_CHART_ROWS]
    drives = report["drives"]["items"][:MAX_CHART_ROWS]
    return {
        "kinds": (
            columns(
                [row["label"] for row in by_kind],
                [("Tin đã đăng", [row["published"] for row in by_kind])],
                stacked=False,
            )
            if by_kind
            else None
        ),
        "communes": (
            progress_rows([(e["name"], e["scheduled"], e["aired"]) for e in communes])
            if communes
            else None
        ),
        "drives": (
            columns(
                [f"{date.fromisoformat(d['starts_at'][:10]):%d/%m}" for d in drives],
                [
                    ("Tin trước đợt", [d["before"] for d in drives]),
                    ("Tin sau khi bắt đầu", [d["after"] for d in drives]),
                ],
                stacked=True,
            )
            if drives
            else None
        ),
    }


@reports.get("/reports/results")
@require("publications:read")
def results_page() -> str:
    errors: dict[str, str] = {}
    try:
        query = _query()
    except ValidationFailed as exc:
        errors = exc.errors
        today = local_today()
        query = ReportQuery(today.replace(day=1), today)
    report = results(db.session, query)
    settings = signature_settings(db.session, query.organisation_id)
    newest_first = select(Campaign).order_by(Campaign.starts_on.desc())
    campaigns = list(db.session.scalars(scoped(db.session, newest_first, Campaign, current_user())))
    db.session.rollback()
    return render_template(
        "reports/results.html",
        report=report,
        query=query,
        args=query_args(query),
        errors=errors,
        presets=presets(local_today()),
        campaigns=campaigns,
        charts=_charts(report),
        subject=subject_of(report),
        settings=settings,
        fields=FIELDS,
        coverage_labels=COVERAGE_LABELS,
        may_sign=may("users:admin") and own_unit(db.session, current_user()) is None,
    )


@reports.post("/reports/results/signature")
@require("users:admin")
def results_signature() -> Any:
    """The letterhead and signer of the user's unit (the department's for its people)."""
    user = current_user()
    try:
        save_signature(
            db.session, request.form, organisation_id=own_unit(db.session, user), user_id=user.id
        )
    except SignatureInvalid as exc:
        db.session.rollback()
        for message in exc.errors.values():
            flash(message, "error")
    else:
        db.session.commit()
        flash("Đã lưu thông tin người ký báo cáo.", "success")
    return redirect(url_for("reports.results_page"))
