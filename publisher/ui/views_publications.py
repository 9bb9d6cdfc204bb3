"""Publications: list by state, one with its attempt log, schedule, retry, cancel."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from content_library.db import utcnow
from content_library.models import ContentItem
from content_library.services import latest
from publisher.db import db
from publisher.delivery.models import PRIORITIES, PUBLICATION_STATUSES, Channel, Publication
from publisher.delivery.publications import PublicationError, cancel, retry, schedule
from publisher.organisations.visibility import NotGuidedVersion, NotYours, check_schedulable
from publisher.organisations.web import scoped
from publisher.ui.blueprint import Page, current_user, load_or_404, page_number, require, ui
from publisher.ui.formatting import (
    CHANNEL_KINDS,
    PUBLICATION_STATUS,
    SLOTS,
    input_datetime,
    vietnamese_part,
)
from publisher.ui.forms import Form

FIELD_LABELS = {
    "content_id": "Nội dung",
    "channel_id": "Kênh",
    "expires_at": "Hạn chót",
    "drive_id": "Đợt hiến máu",
}


def load_publication(pub_id: int) -> Publication:
    return load_or_404(Publication, pub_id)


def _channel_options() -> list[tuple[int, str]]:
    return [
        (c.id, f"{c.name} — {CHANNEL_KINDS.get(c.kind, c.kind)}")
        for c in db.session.scalars(scoped(select(Channel).order_by(Channel.name), Channel))
    ]


@ui.get("/publications")
@require("publications:read")
def publications() -> str:
    args = request.args
    stmt = scoped(
        select(Publication)
        .options(selectinload(Publication.channel), selectinload(Publication.version))
        .order_by(Publication.scheduled_at.desc(), Publication.id.desc()),
        Publication,
    )
    if args.get("status") in PUBLICATION_STATUSES:
        stmt = stmt.where(Publication.status == args["status"])
    if args.get("channel_id", "").isdigit():
        stmt = stmt.where(Publication.channel_id == int(args["channel_id"]))
    if args.get("content_id", "").isdigit():
        stmt = stmt.where(Publication.content_id == int(args["content_id"]))
    page = Page(db.session, stmt, page_number())
    return render_template(
        "ui/publications.html",
        page=page,
        args=args,
        statuses=[(k, v[0]) for k, v in PUBLICATION_STATUS.items()],
        channels=_channel_options(),
    )


@ui.get("/publications/<int:pub_id>")
@require("publications:read")
def publication_detail(pub_id: int) -> str:
    pub = load_publication(pub_id)
    external = (
        pub.external_url if (pub.external_url or "").startswith(("https://", "http://")) else None
    )
    return render_template(
        "ui/publication_detail.html",
        pub=pub,
        external_url=external,
        can_retry=_can_retry(pub),
        can_cancel=_can_cancel(pub),
        now=utcnow(),
    )


def _can_retry(pub: Publication) -> bool:
    return pub.status in ("unconfirmed", "scheduled") or (
        pub.status in ("failed", "expired", "cancelled") and pub.published_at is None
    )


def _can_cancel(pub: Publication) -> bool:
    return pub.status in ("scheduled", "queued", "failed", "expired") or (
        pub.status == "published" and not pub.withdraw_pending
    )


@ui.get("/publications/new")
@require("publications:write")
def publication_new() -> str:
    approved = list(
        db.session.scalars(
            scoped(
                select(ContentItem)
                .where(
                    ContentItem.approved_version_id.is_not(None),
                    ContentItem.status != "archived",
                    ContentItem.is_template.is_(False),
                )
                .order_by(ContentItem.updated_at.desc())
                .limit(200),
                ContentItem,
            )
        )
    )
    default_at = (utcnow() + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    return render_template(
        "ui/publication_form.html",
        contents=[(i.id, f"#{i.id} {latest(i).title}") for i in approved],
        channels=_channel_options(),
        selected_content=request.args.get("content_id"),
        default_at=input_datetime(default_at),
    )


@ui.post("/publications")
@require("publications:write")
def publication_create() -> Response:
    form = Form(request.form)
    content_id = form.integer("content_id", minimum=1, required=True, label="Nội dung")
    channel_id = form.integer("channel_id", minimum=1, required=True, label="Kênh")
    scheduled_at = form.local_datetime("scheduled_at", required=True, label="Thời điểm đăng")
    expires_at = form.local_datetime("expires_at", label="Hạn chót")
    priority = form.choice("priority", PRIORITIES, required=False, label="Mức ưu tiên") or "normal"
    slot = form.choice("slot", SLOTS, required=False, label="Buổi phát")
    back = (
        url_for("ui.content_detail", content_id=content_id)
        if content_id
        else url_for("ui.publication_new")
    )
    if form.errors:
        for message in form.errors.values():
            flash(message, "error")
        return redirect(back)
    assert content_id is not None and channel_id is not None and scheduled_at is not None
    settings = current_app.config["SETTINGS"]
    user = current_user()
    try:
        check_schedulable(db.session, user, content_id, channel_id)
    except NotYours:
        abort(404)
    except NotGuidedVersion as exc:
        flash(vietnamese_part(str(exc)), "error")
        return redirect(back)
    try:
        pub = schedule(
            db.session,
            content_id=content_id,
            channel_id=channel_id,
            scheduled_at=scheduled_at,
            expires_at=expires_at,
            created_by=user.id if user else None,
            priority=priority,
            slot=slot,
            max_attempts=settings.MAX_ATTEMPTS,
            release_hour=settings.BULLETIN_RELEASE_HOUR,
        )
    except PublicationError as exc:
        db.session.rollback()
        flash(_publication_message(exc), "error")
        return redirect(back)
    db.session.commit()
    flash(f"Đã lên lịch đăng trên kênh “{pub.channel.name}”.", "success")
    return redirect(url_for("ui.publication_detail", pub_id=pub.id))


@ui.post("/publications/<int:pub_id>/retry")
@require("publications:write")
def publication_retry(pub_id: int) -> Response:
    pub = load_publication(pub_id)
    form = Form(request.form)
    expires_at = form.local_datetime("expires_at", label="Hạn mới")
    if form.errors:
        flash(form.errors["expires_at"], "error")
        return redirect(url_for("ui.publication_detail", pub_id=pub.id))
    try:
        retry(db.session, pub, expires_at)
    except PublicationError as exc:
        db.session.rollback()
        flash(_publication_message(exc), "error")
    else:
        db.session.commit()
        flash("Đã đưa lượt đăng vào hàng gửi lại ngay.", "success")
    return redirect(url_for("ui.publication_detail", pub_id=pub.id))


@ui.post("/publications/<int:pub_id>/cancel")
@require("publications:write")
def publication_cancel(pub_id: int) -> Response:
    pub = load_publication(pub_id)
    was_published = pub.status == "published"
    try:
        cancel(db.session, pub)
    except PublicationError as exc:
        db.session.rollback()
        flash(_publication_message(exc), "error")
    else:
        db.session.commit()
        flash(
            "Đang gỡ bài khỏi kênh."
            if was_published and pub.withdraw_pending
            else "Đã gỡ bài khỏi kênh."
            if was_published
            else "Đã huỷ lượt đăng.",
            "success",
        )
    return redirect(url_for("ui.publication_detail", pub_id=pub.id))


def _publication_message(exc: PublicationError) -> str:
    if "expires_at" in exc.errors:
        return "Hạn chót phải sau thời điểm đăng."
    if exc.errors.get("content_id") == "poster has no image":
        return "Áp phích cần có ảnh để đăng lên Trang Facebook."
    if exc.errors:
        return "Không tìm thấy: " + ", ".join(FIELD_LABELS.get(k, k) for k in exc.errors) + "."
    return vietnamese_part(str(exc))
