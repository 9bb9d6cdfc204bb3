"""Feed sources: other newspapers' feeds that articles are imported from."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from channels.outbound import PRIVATE_REFUSED, private_destination
from content_library.db import utcnow
from content_library.models import Campaign
from publisher.db import db
from publisher.feedimport.models import FeedSource
from publisher.ui.blueprint import current_user, load_or_404, require, ui
from publisher.ui.forms import Form
from publisher.ui.views_content import campaign_options

MIN_INTERVAL, MAX_INTERVAL = 5, 7 * 24 * 60


def load_source(source_id: int) -> FeedSource:
    return load_or_404(FeedSource, source_id)


@ui.get("/feed-sources")
@require("feeds:read")
def feed_sources() -> str:
    sources = list(db.session.scalars(select(FeedSource).order_by(FeedSource.name, FeedSource.id)))
    campaigns = dict(db.session.execute(select(Campaign.id, Campaign.name)).all())
    return render_template("ui/feed_sources.html", sources=sources, campaigns=campaigns)


def _render(
    source: FeedSource | None, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> tuple[str, int]:
    return render_template(
        "ui/feed_source_form.html",
        source=source,
        values=values,
        errors=errors,
        campaigns=campaign_options(),
    ), status


def _values(source: FeedSource | None) -> dict[str, Any]:
    if source is None:
        return {
            "url": "",
            "name": "",
            "campaign_id": "",
            "tags": "",
            "interval_minutes": 60,
            "enabled": True,
        }
    return {
        "url": source.url,
        "name": source.name,
        "campaign_id": source.campaign_id or "",
        "tags": ", ".join(source.tags or []),
        "interval_minutes": source.interval_minutes,
        "enabled": source.enabled,
    }


def _allow_private() -> bool:
    return bool(current_app.config["SETTINGS"].OUTBOUND_ALLOW_PRIVATE)


def _read(source: FeedSource | None) -> tuple[dict[str, Any], Form]:
    form = Form(request.form)
    url = form.text("url", required=True, max_length=1000, label="Địa chỉ nguồn tin")
    parts = urlsplit(url)
    if url and (parts.scheme not in ("http", "https") or not parts.netloc):
        form.errors["url"] = "Địa chỉ phải bắt đầu bằng http:// hoặc https://"
    elif url and not _allow_private() and private_destination(parts.hostname or ""):
        # The same address policy as the API and the importer (channels.outbound).
        form.errors["url"] = PRIVATE_REFUSED.split(" / ")[0] + "."
    elif url:
        clash = db.session.scalar(select(FeedSource).where(FeedSource.url == url))
        if clash is not None and clash is not source:
            form.errors["url"] = "Nguồn tin này đã có trong danh sách."
    campaign_id = form.integer("campaign_id", minimum=1, label="Chiến dịch")
    if campaign_id is not None and db.session.get(Campaign, campaign_id) is None:
        form.errors["campaign_id"] = "Chiến dịch không tồn tại."
    values = {
        "url": url,
        "name": form.text("name", max_length=300, label="Tên nguồn"),
        "campaign_id": campaign_id,
        "tags": form.tags("tags"),
        "interval_minutes": form.integer(
            "interval_minutes",
            minimum=MIN_INTERVAL,
            maximum=MAX_INTERVAL,
            required=True,
            label="Chu kỳ lấy tin",
        )
        or 60,
        "enabled": form.flag("enabled"),
    }
    return values, form


@ui.get("/feed-sources/new")
@require("feeds:write")
def feed_source_new() -> tuple[str, int]:
    return _render(None, _values(None), {})


@ui.post("/feed-sources/new")
@require("feeds:write")
def feed_source_create() -> tuple[str, int] | Response:
    values, form = _read(None)
    if form.errors:
        return _render(None, {**values, "tags": ", ".join(values["tags"])}, form.errors, 422)
    user = current_user()
    source = FeedSource(**values, created_by=user.id if user else None, next_fetch_at=utcnow())
    db.session.add(source)
    db.session.commit()
    flash("Đã thêm nguồn tin; bài mới sẽ được lấy về trong lượt tới.", "success")
    return redirect(url_for("ui.feed_sources"))


@ui.get("/feed-sources/<int:source_id>/edit")
@require("feeds:write")
def feed_source_edit(source_id: int) -> tuple[str, int]:
    source = load_source(source_id)
    return _render(source, _values(source), {})


@ui.post("/feed-sources/<int:source_id>/edit")
@require("feeds:write")
def feed_source_update(source_id: int) -> tuple[str, int] | Response:
    source = load_source(source_id)
    values, form = _read(source)
    if form.errors:
        return _render(source, {**values, "tags": ", ".join(values["tags"])}, form.errors, 422)
    if values["url"] != source.url:
        # A different feed: what we remembered about the old one no longer applies.
        source.etag = None
        source.last_modified = None
    for name, value in values.items():
        setattr(source, name, value)
    if source.enabled and source.next_fetch_at is None:
        source.next_fetch_at = utcnow()
    db.session.commit()
    flash("Đã lưu nguồn tin.", "success")
    return redirect(url_for("ui.feed_sources"))


@ui.post("/feed-sources/<int:source_id>/toggle")
@require("feeds:write")
def feed_source_toggle(source_id: int) -> Response:
    source = load_source(source_id)
    source.enabled = not source.enabled
    if source.enabled:
        source.next_fetch_at = utcnow()
    db.session.commit()
    flash("Đã bật nguồn tin." if source.enabled else "Đã tắt nguồn tin.", "success")
    return redirect(url_for("ui.feed_sources"))
