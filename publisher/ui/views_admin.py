"""Administration: people (roles, communes, passwords) and API tokens for partners."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from content_library.db import utcnow
from content_library.models import Commune
from publisher.auth.models import ROLES, ApiToken, User
from publisher.auth.services import (
    AuthError,
    create_token,
    create_user,
    set_active,
    set_password,
    set_role,
)
from publisher.db import db
from publisher.organisations.web import own_organisation_slug, scoped
from publisher.ui.blueprint import current_user, load_or_404, require, ui
from publisher.ui.formatting import ROLES as ROLE_LABELS
from publisher.ui.forms import Form
from publisher.ui.ratelimit import forget_username

AUTH_MESSAGES = {
    "already exists": "Tên đăng nhập này đã có người dùng.",
    "must be bound to a commune": "Cán bộ đài xã phải gắn với một xã/phường.",
    "only operators": "Chỉ cán bộ đài xã mới gắn với xã/phường.",
    "at least 8": "Mật khẩu cần ít nhất 8 ký tự.",
    "username must be": "Tên đăng nhập dài 1 đến 80 ký tự.",
    "unknown commune": "Xã/phường không tồn tại.",
    "service account": "Tài khoản dịch vụ chỉ dùng mã truy cập API, không có mật khẩu.",
    "expires-days": "Số ngày hiệu lực phải từ 0 trở lên.",
    "unknown role": "Vai trò không hợp lệ.",
}


def _auth_message(exc: AuthError) -> str:
    text = str(exc)
    return next((vi for key, vi in AUTH_MESSAGES.items() if key in text), text)


def load_user(user_id: int) -> User:
    return load_or_404(User, user_id)


def _communes() -> list[tuple[str, str]]:
    return [
        (c.code, c.full_name)
        for c in db.session.scalars(select(Commune).order_by(Commune.kind.desc(), Commune.name))
    ]


def _render_users(
    errors: dict[str, str], values: dict[str, str], status: int = 200
) -> tuple[str, int]:
    users = list(db.session.scalars(scoped(select(User).order_by(User.role, User.username), User)))
    names = dict(db.session.execute(select(Commune.code, Commune.kind + " " + Commune.name)).all())
    return render_template(
        "ui/users.html",
        users=users,
        errors=errors,
        values=values,
        communes=_communes(),
        commune_names=names,
        roles=[(r, ROLE_LABELS[r]) for r in ROLES],
        now=utcnow(),
    ), status


@ui.get("/admin/users")
@require("users:admin")
def users() -> tuple[str, int]:
    return _render_users({}, {})


@ui.post("/admin/users")
@require("users:admin")
def user_create() -> tuple[str, int] | Response:
    form = Form(request.form)
    username = form.text("username", required=True, max_length=80, label="Tên đăng nhập")
    display_name = form.text("display_name", max_length=200, label="Họ tên")
    role = form.choice("role", ROLES, label="Vai trò")
    commune = form.text("commune_code") or None
    password = request.form.get("password", "")
    if len(password) < 8:
        form.errors["password"] = "Mật khẩu cần ít nhất 8 ký tự."  # noqa: S105 - a message
    elif password != request.form.get("password_again", ""):
        form.errors["password_again"] = "Hai lần nhập mật khẩu không khớp."  # noqa: S105
    values = {
        "username": username,
        "display_name": display_name,
        "role": role or "",
        "commune_code": commune or "",
    }
    if form.errors:
        return _render_users(form.errors, values, 422)
    assert role is not None
    try:
        create_user(
            db.session,
            username,
            role,
            password=password,
            commune_code=commune if role == "operator" else None,
            display_name=display_name,
            organisation=own_organisation_slug(),
        )
    except AuthError as exc:
        db.session.rollback()
        field = "commune_code" if "commune" in str(exc) else "username"
        return _render_users({field: _auth_message(exc)}, values, 422)
    db.session.commit()
    flash(f"Đã tạo tài khoản “{username}”.", "success")
    return redirect(url_for("ui.users"))


@ui.post("/admin/users/<int:user_id>/active")
@require("users:admin")
def user_toggle(user_id: int) -> Response:
    user = load_user(user_id)
    me = current_user()
    if me is not None and user.id == me.id:
        flash("Không thể tự khoá tài khoản của mình.", "error")
        return redirect(url_for("ui.users"))
    # Deactivating ends the person's sessions and revokes their tokens at once.
    set_active(db.session, user, not user.active)
    db.session.commit()
    flash(f"Đã {'mở khoá' if user.active else 'khoá'} tài khoản “{user.username}”.", "success")
    return redirect(url_for("ui.users"))


@ui.post("/admin/users/<int:user_id>/password")
@require("users:admin")
def user_password(user_id: int) -> Response:
    user = load_user(user_id)
    password = request.form.get("new_password", "")
    if len(password) < 8:
        flash("Mật khẩu mới cần ít nhất 8 ký tự.", "error")
        return redirect(url_for("ui.users"))
    try:
        # Ends the person's sessions and revokes their tokens: whoever knew the old password
        # (or copied a cookie or token made with it) is out.
        set_password(db.session, user, password)
    except AuthError as exc:
        db.session.rollback()
        flash(_auth_message(exc), "error")
        return redirect(url_for("ui.users"))
    db.session.commit()
    forget_username(user.username)
    flash(f"Đã đặt mật khẩu mới cho “{user.username}”.", "success")
    return redirect(url_for("ui.users"))


@ui.post("/admin/users/<int:user_id>/role")
@require("users:admin")
def user_role(user_id: int) -> Response:
    user = load_user(user_id)
    me = current_user()
    if me is not None and user.id == me.id:
        flash("Không thể tự đổi vai trò của mình.", "error")
        return redirect(url_for("ui.users"))
    role = request.form.get("role", "")
    commune = request.form.get("commune_code") or None
    try:
        # The person's open sessions end: they sign in again under the new role.
        set_role(db.session, user, role, commune if role == "operator" else None)
    except AuthError as exc:
        db.session.rollback()
        flash(_auth_message(exc), "error")
        return redirect(url_for("ui.users"))
    db.session.commit()
    label = ROLE_LABELS.get(user.role, user.role)
    flash(f"Đã đổi vai trò của “{user.username}” thành {label}.", "success")
    return redirect(url_for("ui.users"))


def _render_tokens(
    new_token: str | None = None, status: int = 200, error: str | None = None
) -> tuple[str, int]:
    tokens = list(
        db.session.scalars(scoped(select(ApiToken).order_by(ApiToken.created_at.desc()), ApiToken))
    )
    owners = [
        (u.id, f"{u.username} ({ROLE_LABELS.get(u.role, u.role)})")
        for u in db.session.scalars(
            scoped(select(User).where(User.active.is_(True)).order_by(User.username), User)
        )
    ]
    return render_template(
        "ui/tokens.html",
        tokens=tokens,
        owners=owners,
        new_token=new_token,
        error=error,
        now=utcnow(),
    ), status


@ui.get("/admin/tokens")
@require("users:admin")
def tokens() -> tuple[str, int]:
    return _render_tokens()


@ui.post("/admin/tokens")
@require("users:admin")
def token_create() -> tuple[str, int] | Response:
    form = Form(request.form)
    name = form.text("name", required=True, max_length=120, label="Tên mã")
    owner_id = form.integer("user_id", minimum=1, required=True, label="Tài khoản")
    expires_days = form.integer("expires_days", minimum=0, maximum=36500, label="Số ngày hiệu lực")
    read_only = form.flag("read_only")
    owner = load_or_404(User, owner_id) if owner_id else None
    if "expires_days" in form.errors:
        return _render_tokens(status=422, error="Số ngày hiệu lực phải là số nguyên từ 0 trở lên.")
    if form.errors or owner is None or not owner.active:
        return _render_tokens(
            status=422, error="Hãy đặt tên mã và chọn một tài khoản đang hoạt động."
        )
    _token, raw = create_token(
        db.session, name, owner, read_only=read_only, expires_days=expires_days
    )
    db.session.commit()
    # Shown on this page only: never stored, never put in the (cookie) session, not cached.
    response = make_response(_render_tokens(new_token=raw))
    response.headers["Cache-Control"] = "no-store"
    return response


@ui.post("/admin/tokens/<int:token_id>/revoke")
@require("users:admin")
def token_revoke(token_id: int) -> Response:
    token = load_or_404(ApiToken, token_id)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()
    flash(f"Đã thu hồi mã “{token.name}”.", "success")
    return redirect(url_for("ui.tokens"))
