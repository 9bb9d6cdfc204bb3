"""Sessions live on the server: a cookie signed with the right key opens nothing unless it names
an open session, and logout, a new password, deactivation and a role change end sessions.

Each test first plays the attack from outside (a forged or copied cookie, over HTTP) and then
checks that legitimate use still works."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from sqlalchemy import func, select

from publisher.auth.models import ApiToken, User, UserSession
from publisher.delivery.models import Channel
from tests.integration.ui_support import HTML, PASSWORD, Person, signed_in

CHANNEL = {
    "kind": "rss",
    "slug": "gia-mao",
    "name": "Kênh giả mạo",
    "settings": {"title": "Tin giả", "description": "Không được phê duyệt"},
}


def forge(app, client, payload: dict) -> str:
    """Sign ``payload`` as a session cookie with the app's SECRET_KEY, as an attacker holding
    the key would, and give it to ``client``."""
    serializer = app.session_interface.get_signing_serializer(app)
    cookie = serializer.dumps(payload)
    assert serializer.loads(cookie) == payload  # a perfectly valid signature
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    return cookie


def copy_cookie(app, person: Person):
    """A second browser holding a copy of ``person``'s session cookie."""
    csrf = person.token()
    name = app.config["SESSION_COOKIE_NAME"]
    thief = app.test_client()
    thief.set_cookie(name, person.client.get_cookie(name).value)
    return thief, csrf


def channel_count(app) -> int:
    from publisher.db import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Channel))


def assert_signed_out(app, client, csrf: str | None = None) -> None:
    """UI pages send it to the login page; the API answers 401, writes with the CSRF token too
    (the one in the client's cookie unless given)."""
    if csrf is None:
        with client.session_transaction() as session:
            csrf = session["_csrf"]
    before = channel_count(app)
    page = client.get("/content", headers=HTML)
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    assert client.get("/api/v1/content").status_code == 401
    write = client.post("/api/v1/channels", json=CHANNEL, headers={"X-CSRF-Token": csrf})
    assert write.status_code == 401
    assert write.mimetype == "application/problem+json"
    form = client.post(
        "/content/new",
        headers=HTML,
        data={"kind": "article", "title": "Lọt vào", "body": "x", "csrf_token": csrf},
    )
    assert form.status_code == 302 and form.headers["Location"].startswith("/login")
    assert channel_count(app) == before


def test_a_forged_cookie_for_a_service_account_opens_nothing(app):
    """Issue: with the known SECRET_KEY, a cookie forged for a `tokens create` account (no
    password, so a predictable auth version) opened /admin/users and created channels."""
    runner = app.test_cli_runner()
    made = runner.invoke(args=["tokens", "create", "doi-tac", "--role", "admin"])
    assert made.exit_code == 0, made.output
    raw = re.search(r"pub_[A-Za-z0-9_\-]+", made.output).group(0)
    from publisher.db import db

    with app.app_context():
        account = db.session.scalar(select(User).where(User.username == "doi-tac"))
        assert account.service_account and account.password_hash is None
        account_id = account.id
    attacker = app.test_client()
    old_version = hashlib.sha256(b"None|admin|True").hexdigest()[:16]
    for payload in (
        {"user_id": account_id, "auth_v": old_version, "_csrf": "x"},  # the old cookie format
        {"sid": "doan-bua", "user_id": account_id, "_csrf": "x"},  # a guessed session id
    ):
        forge(app, attacker, payload)
        admin_page = attacker.get("/admin/users", headers=HTML)
        assert admin_page.status_code == 302
        assert admin_page.headers["Location"].startswith("/login")
        write = attacker.post("/api/v1/channels", json=CHANNEL, headers={"X-CSRF-Token": "x"})
        assert write.status_code == 401
        form = attacker.post(
            "/channels/new",
            headers=HTML,
            data={"kind": "rss", "name": "Giả mạo", "csrf_token": "x"},
        )
        assert form.status_code == 302 and form.headers["Location"].startswith("/login")
    assert channel_count(app) == 0
    # The account's token still does what it is for: the API.
    bearer = {"Authorization": f"Bearer {raw}"}
    assert (
        app.test_client().post("/api/v1/channels", json=CHANNEL, headers=bearer).status_code == 201
    )


def test_service_accounts_cannot_sign_in_to_the_ui(app):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["tokens", "create", "may-chu", "--role", "admin"])
    raw = re.search(r"pub_[A-Za-z0-9_\-]+", made.output).group(0)
    from publisher.auth.services import hash_password
    from publisher.db import db

    with app.app_context():
        account = db.session.scalar(select(User).where(User.username == "may-chu"))
        # Even a password slipped into the row (a bad script, a restore) does not open the UI.
        account.password_hash = hash_password(PASSWORD)
        db.session.commit()
    person = Person(app.test_client())
    refused = person.login("may-chu", PASSWORD)
    assert refused.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in refused.get_data(as_text=True)
    assert person.get("/").status_code == 302
    # The API, with the token, is its way in.
    api = app.test_client().get("/api/v1/channels", headers={"Authorization": f"Bearer {raw}"})
    assert api.status_code == 200


def test_logout_ends_the_session_for_a_copied_cookie(app):
    person, _ = signed_in(app, "admin")
    thief, csrf = copy_cookie(app, person)
    assert thief.get("/content", headers=HTML).status_code == 200
    created = thief.post("/api/v1/channels", json=CHANNEL, headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201  # while the session is open, the copy works
    assert person.post("/logout").status_code == 302
    assert_signed_out(app, thief, csrf)
    assert person.get("/content").headers["Location"].startswith("/login")
    # Signing in again works and makes a new session.
    assert person.login("admin-ui").status_code == 302
    assert person.get("/content").status_code == 200


def test_a_new_password_ends_every_session_and_revokes_tokens(app):
    from publisher.auth.services import create_token
    from publisher.db import db

    admin, _ = signed_in(app, "admin")
    editor, editor_id = signed_in(app, "editor")
    second = Person(app.test_client())
    assert second.login("editor-ui").status_code == 302
    second.token()  # a page with a form, as a browser would have open
    thief, _csrf = copy_cookie(app, editor)
    with app.app_context():
        _row, raw = create_token(db.session, "script", db.session.get(User, editor_id))
        db.session.commit()
    bearer = {"Authorization": f"Bearer {raw}"}
    assert app.test_client().get("/api/v1/content", headers=bearer).status_code == 200
    response = admin.post(f"/admin/users/{editor_id}/password", {"new_password": "mới-456789"})
    assert response.status_code == 302
    for client in (editor.client, second.client, thief):
        assert_signed_out(app, client)
    assert app.test_client().get("/api/v1/content", headers=bearer).status_code == 401
    with app.app_context():
        assert db.session.scalar(select(ApiToken)).revoked_at is not None
    # The admin's own session is untouched, and the new password signs in.
    assert admin.get("/admin/users").status_code == 200
    assert Person(app.test_client()).login("editor-ui", "mới-456789").status_code == 302


def test_deactivation_ends_sessions_and_revokes_tokens(app):
    from publisher.auth.services import create_token
    from publisher.db import db

    admin, _ = signed_in(app, "admin")
    editor, editor_id = signed_in(app, "editor")
    thief, csrf = copy_cookie(app, editor)
    with app.app_context():
        _row, raw = create_token(db.session, "script", db.session.get(User, editor_id))
        db.session.commit()
    assert admin.post(f"/admin/users/{editor_id}/active").status_code == 302
    assert_signed_out(app, thief, csrf)
    bearer = {"Authorization": f"Bearer {raw}"}
    assert app.test_client().get("/api/v1/content", headers=bearer).status_code == 401
    # Reactivated, the person signs in again; the old token stays revoked.
    assert admin.post(f"/admin/users/{editor_id}/active").status_code == 302
    assert Person(app.test_client()).login("editor-ui").status_code == 302
    assert app.test_client().get("/api/v1/content", headers=bearer).status_code == 401


def test_a_role_change_ends_sessions(app):
    admin, _ = signed_in(app, "admin")
    approver, approver_id = signed_in(app, "approver")
    thief, csrf = copy_cookie(app, approver)
    refused = admin.post(f"/admin/users/{approver_id}/role", {"role": "operator"})
    assert refused.status_code == 302  # an operator needs a commune: nothing changed
    assert thief.get("/approvals", headers=HTML).status_code == 200
    changed = admin.post(f"/admin/users/{approver_id}/role", {"role": "editor"})
    assert changed.status_code == 302
    assert "thành Biên tập viên" in admin.get("/admin/users").get_data(as_text=True)
    assert_signed_out(app, thief, csrf)
    again = Person(app.test_client())
    assert again.login("approver-ui").status_code == 302
    assert (
        again.post("/content/new", {"kind": "article", "title": "B", "body": "x"}).status_code
        == 302
    )
    again.post("/content/1/submit")
    assert again.post("/content/1/approve").status_code == 403  # now an editor


def test_an_expired_session_is_over(app):
    from publisher.db import db

    person, user_id = signed_in(app, "editor")
    with app.app_context():
        row = db.session.scalar(select(UserSession).where(UserSession.user_id == user_id))
        row.expires_at = row.created_at - timedelta(seconds=1)
        db.session.commit()
    assert_signed_out(app, person.client, person.token())


def test_the_database_keeps_only_a_hash_of_the_session_id(app):
    from publisher.db import db

    person, user_id = signed_in(app, "editor")
    with person.client.session_transaction() as session:
        raw = session["sid"]
    with app.app_context():
        row = db.session.scalar(select(UserSession).where(UserSession.user_id == user_id))
        assert row.id_hash == hashlib.sha256(raw.encode()).hexdigest()
        assert raw not in row.id_hash


def test_a_token_opens_no_ui_page(app, client):
    result = app.test_cli_runner().invoke(args=["tokens", "create", "may", "--role", "admin"])
    raw = re.search(r"pub_[A-Za-z0-9_\-]+", result.output).group(0)
    headers = {**HTML, "Authorization": f"Bearer {raw}"}
    page = client.get("/admin/users", headers=headers)
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    assert (
        client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    )
