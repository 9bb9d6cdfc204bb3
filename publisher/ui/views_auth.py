"""Signing in and out."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, session, url_for
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response

from publisher.auth.services import authenticate
from publisher.auth.sessions import end_session, start_session
from publisher.db import db
from publisher.security import SESSION_ID_KEY
from publisher.ui.blueprint import current_user, operator_home, safe_next, ui
from publisher.ui.ratelimit import count_login_attempt

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
    if not username or not password:
        return _refused(target, username)
    attempt = count_login_attempt(username)
    if not attempt.address_allowed:
        minutes = max(1, -(-attempt.retry_after // 60))
        raise TooManyRequests(
            f"Có quá nhiều lần đăng nhập từ địa chỉ này. Hãy thử lại sau khoảng {minutes} phút.",
            retry_after=attempt.retry_after,
        )
    # A locked username is checked like any other (against a dummy hash) and answered like a
    # wrong password: the same page, status and time, so it reveals nothing.
    user = authenticate(db.session, username, password, locked=attempt.username_locked)
    if user is None:
        db.session.commit()  # the failure count sticks
        return _refused(target, username)
    attempt.succeeded()
    # A fresh session on every sign-in: nothing set before it (by anyone) carries over.
    session.clear()
    session[SESSION_ID_KEY] = start_session(
        db.session, user, current_app.permanent_session_lifetime
    )
    session.permanent = True
    db.session.commit()
    return redirect(safe_next(target, _home_for(user)))


def _refused(target: str, username: str) -> tuple[str, int]:
    page = render_template("ui/login.html", next=target, error=FAILED, username=username)
    return page, 401


@ui.get("/logout")
def logout_page() -> str | Response:
    if current_user() is None:
        return redirect(url_for("ui.login"))
    return render_template("ui/logout.html")


@ui.post("/logout")
def logout() -> Response:
    raw = session.get(SESSION_ID_KEY)
    if isinstance(raw, str) and raw:
        end_session(db.session, raw)
        db.session.commit()
    session.clear()
    return redirect(url_for("ui.login", bye=1))
