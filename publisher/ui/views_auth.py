"""Signing in and out."""

from __future__ import annotations

from flask import redirect, render_template, request, session, url_for
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response

from publisher.auth.services import authenticate
from publisher.db import db
from publisher.ui.blueprint import current_user, operator_home, safe_next, ui
from publisher.ui.ratelimit import register_login_attempt

FAILED = "Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đang tạm khoá."


def _home_for(user) -> str:
    return operator_home(user) if user.role == "operator" else url_for("ui.dashboard")


@ui.get("/login")
def login() -> str | Response:
    user = current_user()
    if user is not None:
        return redirect(_home_for(user))
    return render_template(
        "ui/login.html", next=request.args.get("next", ""), error=None, username=""
    )


@ui.post("/login")
def login_post() -> tuple[str, int] | Response:
    username = (request.form.get("username") or "").strip()[:80]
    password = request.form.get("password") or ""
    target = request.form.get("next", "")
    verdict = register_login_attempt()
    if not verdict.allowed:
        minutes = max(1, -(-verdict.retry_after // 60))
        raise TooManyRequests(
            f"Có quá nhiều lần đăng nhập từ địa chỉ này. Hãy thử lại sau khoảng {minutes} phút.",
            retry_after=verdict.retry_after,
        )
    user = authenticate(db.session, username, password) if username and password else None
    db.session.commit()  # the failure count and lockout must stick, success or not
    if user is None:
        page = render_template("ui/login.html", next=target, error=FAILED, username=username)
        return page, 401
    from publisher.app import _auth_version

    # A fresh session on every sign-in: nothing set before it (by anyone) carries over.
    session.clear()
    session["user_id"] = user.id
    session["auth_v"] = _auth_version(user)
    session.permanent = True
    return redirect(safe_next(target, _home_for(user)))


@ui.get("/logout")
def logout_page() -> str | Response:
    if current_user() is None:
        return redirect(url_for("ui.login"))
    return render_template("ui/logout.html")


@ui.post("/logout")
def logout() -> Response:
    session.clear()
    return redirect(url_for("ui.login", bye=1))
