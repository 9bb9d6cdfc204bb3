"""Channels: their health, their settings (secrets write-only), rules, and the token check."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from channels.registry import adapter_class, kinds
from content_library.search import slugify
from publisher.db import db
from publisher.delivery.channels import (
    ChannelInvalid,
    create_channel,
    health,
    held_count,
    update_channel,
)
from publisher.delivery.crypto import decrypt_secrets
from publisher.delivery.models import Channel
from publisher.extensions import extension_for
from publisher.organisations.visibility import owner_for_new_row
from publisher.organisations.web import scoped
from publisher.planning.errors import RulesInvalid
from publisher.planning.rules import rules_from_dict
from publisher.ui.blueprint import current_user, load_or_404, require, ui
from publisher.ui.formatting import CHANNEL_KINDS, SLOTS
from publisher.ui.forms import Form, parse_hhmm


def _label(kind: str, name: str) -> str:
    """A setting's Vietnamese label, as the kind's adapter declares it."""
    return adapter_class(kind).settings_schema.get(name, {}).get("label", name)


def load_channel(channel_id: int) -> Channel:
    return load_or_404(Channel, channel_id)


def _secret_key() -> str:
    return current_app.config["SETTINGS"].SECRET_KEY


@ui.get("/channels")
@require("channels:read")
def channels() -> str:
    rows = [
        (c, health(c), held_count(db.session, c.id))
        for c in db.session.scalars(
            scoped(select(Channel).order_by(Channel.kind, Channel.name), Channel)
        )
    ]
    return render_template("ui/channels.html", rows=rows, kinds=kinds())


@ui.get("/channels/<int:channel_id>")
@require("channels:read")
def channel_detail(channel_id: int) -> str:
    channel = load_channel(channel_id)
    try:
        secrets_set = sorted(decrypt_secrets(_secret_key(), channel.secrets_encrypted))
    except RuntimeError:
        secrets_set = []
    rules = rules_from_dict(channel.kind, channel.rules, (channel.settings or {}).get("slots"))
    return render_template(
        "ui/channel_detail.html",
        channel=channel,
        state=health(channel),
        held=held_count(db.session, channel.id),
        secrets_set=secrets_set,
        rules=rules,
        schema=adapter_class(channel.kind).settings_schema,
        **extension_for(channel.kind).channel_context(db.session, channel),
    )


@ui.post("/channels/<int:channel_id>/check")
@require("channels:read")
def channel_check(channel_id: int) -> Response:
    channel = load_channel(channel_id)
    from publisher.delivery.pipeline import check_channel

    verdict = check_channel(channel.id)
    db.session.expire_all()
    channel = load_channel(channel_id)
    if verdict == "ok":
        flash("Mã truy cập hợp lệ; kênh hoạt động bình thường.", "success")
    elif verdict == "unknown":
        flash("Chưa kiểm tra được (kênh không trả lời). Hãy thử lại sau ít phút.", "error")
    else:
        flash(f"Kênh cần cấp quyền lại: {channel.health_reason}", "error")
    return redirect(url_for("ui.channel_detail", channel_id=channel.id))


def _render_form(
    kind: str,
    channel: Channel | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> tuple[str, int]:
    page = render_template(
        "ui/channel_form.html",
        kind=kind,
        channel=channel,
        values=values,
        errors=errors,
        schema=adapter_class(kind).settings_schema,
        slot_names=SLOTS,
        **extension_for(kind).channel_context(db.session, channel),
    )
    return page, status


def _initial_values(kind: str, channel: Channel | None) -> dict[str, Any]:
    stored = dict(channel.settings or {}) if channel else {}
    rules = rules_from_dict(kind, channel.rules if channel else None, stored.get("slots"))
    quiet = rules.quiet_hours
    return {
        "name": channel.name if channel else "",
        "slug": channel.slug if channel else "",
        "enabled": channel.enabled if channel else True,
        "settings": stored,
        "quiet_on": quiet is not None,
        "quiet_start": f"{quiet[0]:%H:%M}" if quiet else "22:00",
        "quiet_end": f"{quiet[1]:%H:%M}" if quiet else "06:00",
        "daily_cap": rules.daily_cap or "",
    }


def _read_settings(kind: str, form: Form, channel: Channel | None) -> dict[str, Any]:
    """Settings typed into the form; blank secrets are left out, so stored ones are kept."""
    out: dict[str, Any] = {}
    for name, spec in adapter_class(kind).settings_schema.items():
        field = f"s_{name}"
        kind_of = spec.get("type", "string")
        label = spec.get("label", name)
        widget = spec.get("widget")
        if widget == "communes":
            out[name] = [c for c in form.data.getlist(field) if c] or None
        elif widget == "slots":
            slots = {}
            for slot in SLOTS:
                raw = form.data.get(f"{field}_{slot}", "")
                value = parse_hhmm(raw)
                if raw and value is None:
                    form.errors[f"{field}_{slot}"] = "Giờ phát phải theo dạng HH:MM."
                elif value:
                    slots[slot] = value
            out[name] = slots or None
        elif kind_of == "integer":
            out[name] = form.integer(
                field,
                minimum=spec.get("minimum"),
                maximum=spec.get("maximum"),
                label=label,
            )
        elif kind_of == "list":
            out[name] = form.tags(field) or None
        else:
            value = form.text(field, max_length=spec.get("max_length", 2000), label=label)
            if spec.get("secret") and not value:
                if channel is None and spec.get("required"):
                    form.errors[field] = "Bắt buộc khi tạo kênh."
                continue
            out[name] = value or None
    return out


def _read_rules(kind: str, form: Form, settings: dict[str, Any]) -> dict[str, Any]:
    quiet = None
    if form.flag("quiet_on"):
        start = parse_hhmm(form.data.get("quiet_start"))
        end = parse_hhmm(form.data.get("quiet_end"))
        if start is None or end is None or start == end:
            form.errors["quiet_start"] = (
                "Giờ yên lặng cần giờ bắt đầu và kết thúc khác nhau (HH:MM)."
            )
        quiet = [start, end]
    cap = form.integer("daily_cap", minimum=1, maximum=1000, label="Giới hạn mỗi ngày")
    rules = {"quiet_hours": quiet, "daily_cap": cap}
    if not form.errors:
        try:
            rules_from_dict(kind, rules, settings.get("slots"))
        except RulesInvalid as exc:
            form.errors["quiet_start"] = "; ".join(exc.errors.values())
    return rules


def _settings_errors(kind: str, exc: ChannelInvalid) -> dict[str, str]:
    errors = {}
    for key, message in exc.errors.items():
        name = key.removeprefix("settings.")
        label = _label(kind, name)
        field = f"s_{name}" if key.startswith("settings.") else name
        # Messages written "tiếng Việt / English" show their Vietnamese half here.
        errors[field] = (
            f"{label}: {message.split(' / ')[0]}"
            if key.startswith("settings.")
            else ("Mã kênh này đã được dùng." if name == "slug" else message)
        )
    return errors


@ui.get("/channels/new")
@require("channels:write")
def channel_new() -> str | tuple[str, int]:
    kind = request.args.get("kind", "")
    if kind not in kinds():
        return render_template(
            "ui/channel_kind.html",
            kinds=kinds(),
            labels=CHANNEL_KINDS,
            adapters={k: adapter_class(k) for k in kinds()},
        )
    return _render_form(kind, None, _initial_values(kind, None), {})


@ui.post("/channels/new")
@require("channels:write")
def channel_create() -> tuple[str, int] | Response:
    kind = request.form.get("kind", "")
    if kind not in kinds():
        abort(400)
    form = Form(request.form)
    name = form.text("name", required=True, max_length=200, label="Tên kênh")
    slug = slugify(form.text("slug", max_length=80) or name)
    settings = _read_settings(kind, form, None)
    rules = _read_rules(kind, form, settings)
    values = {
        **_initial_values(kind, None),
        "name": name,
        "slug": slug,
        "enabled": form.flag("enabled"),
        "settings": settings,
        "quiet_on": rules["quiet_hours"] is not None,
        "daily_cap": rules["daily_cap"] or "",
    }
    if not form.errors:
        try:
            channel = create_channel(
                db.session,
                kind=kind,
                slug=slug,
                name=name,
                settings={k: v for k, v in settings.items() if v is not None},
                enabled=form.flag("enabled"),
                rules=rules,
                secret_key=_secret_key(),
            )
            channel.organisation_id = owner_for_new_row(db.session, current_user())
        except ChannelInvalid as exc:
            db.session.rollback()
            form.errors.update(_settings_errors(kind, exc))
        else:
            db.session.commit()
            flash(f"Đã tạo kênh “{channel.name}”.", "success")
            return redirect(url_for("ui.channel_detail", channel_id=channel.id))
    return _render_form(kind, None, values, form.errors, 422)


@ui.get("/channels/<int:channel_id>/edit")
@require("channels:write")
def channel_edit(channel_id: int) -> tuple[str, int]:
    channel = load_channel(channel_id)
    return _render_form(channel.kind, channel, _initial_values(channel.kind, channel), {})


@ui.post("/channels/<int:channel_id>/edit")
@require("channels:write")
def channel_update(channel_id: int) -> tuple[str, int] | Response:
    channel = load_channel(channel_id)
    form = Form(request.form)
    name = form.text("name", required=True, max_length=200, label="Tên kênh")
    settings = _read_settings(channel.kind, form, channel)
    rules = _read_rules(channel.kind, form, settings)
    if not form.errors:
        try:
            update_channel(
                db.session,
                channel,
                {
                    "name": name,
                    "enabled": form.flag("enabled"),
                    "settings": settings,
                    "rules": rules,
                },
                secret_key=_secret_key(),
            )
        except ChannelInvalid as exc:
            db.session.rollback()
            form.errors.update(_settings_errors(channel.kind, exc))
        else:
            db.session.commit()
            flash("Đã lưu cấu hình kênh.", "success")
            return redirect(url_for("ui.channel_detail", channel_id=channel.id))
    values = {
        **_initial_values(channel.kind, channel),
        "name": name,
        "enabled": form.flag("enabled"),
        "settings": settings,
        "quiet_on": rules["quiet_hours"] is not None,
        "daily_cap": rules["daily_cap"] or "",
    }
    return _render_form(channel.kind, channel, values, form.errors, 422)
