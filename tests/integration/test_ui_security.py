"""The editors' UI over HTTP: CSRF, login (rate limit, rotation, redirects), headers,
who may open what, and error pages in Vietnamese."""

from __future__ import annotations

import re

import pytest

from tests.integration.ui_support import HTML, PASSWORD, Person, make_person, signed_in

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)
EDITOR_PAGES = [
    "/",
    "/content",
    "/content/new",
    "/approvals",
    "/calendar",
    "/campaigns",
    "/drives",
    "/publications",
    "/channels",
    "/feed-sources",
    "/reports",
]
ADMIN_PAGES = ["/admin/users", "/admin/tokens", "/channels/new"]


def test_pages_send_security_headers(app):
    response = Person(app.test_client()).get("/login")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "geolocation=()" in response.headers["Permissions-Policy"]
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_cookie_is_secure_behind_https(database_url, tmp_path):
    from publisher import create_app
    from tests.conftest import app_config

    app = create_app(app_config(database_url, tmp_path, PUBLIC_BASE_URL="https://hienmau.test"))
    response = Person(app.test_client()).get("/login")
    assert "Secure" in response.headers["Set-Cookie"]
    assert app.permanent_session_lifetime.total_seconds() == 12 * 3600


def test_forms_without_the_session_token_are_refused(app):
    person, _ = signed_in(app, "editor")
    for token in (None, "", "gia-mao"):
        data = {"kind": "article", "title": "Giả mạo", "body": "x"}
        if token is not None:
            data["csrf_token"] = token
        response = person.client.post("/content/new", data=data, headers=HTML)
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert "Yêu cầu không hợp lệ" in page and "Biểu mẫu đã hết hạn" in page
    assert "Giả mạo" not in person.get("/content").get_data(as_text=True)
    # Scripts may send the token in a header instead.
    response = person.client.post(
        "/content/new",
        headers={**HTML, "X-CSRF-Token": person.token()},
        data={"kind": "article", "title": "Qua tiêu đề", "body": "x"},
    )
    assert response.status_code == 302


def test_login_form_needs_the_token_too(app):
    make_person(app, "bien-tap", "editor")
    client = app.test_client()
    response = client.post(
        "/login", headers=HTML, data={"username": "bien-tap", "password": PASSWORD}
    )
    assert response.status_code == 400


def test_login_rotates_the_session(app):
    make_person(app, "bien-tap", "editor")
    person = Person(app.test_client())
    old_token = person.token()
    with person.client.session_transaction() as session:
        session["planted"] = "by someone else"
    response = person.login("bien-tap")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    with person.client.session_transaction() as session:
        assert "planted" not in session
        # The cookie names a server-side session and nothing else about the person.
        assert session["sid"] and "user_id" not in session
        assert session.permanent
        assert session.get("_csrf") != old_token


def test_failed_login_says_so_in_vietnamese_and_counts(app):
    user_id = make_person(app, "bien-tap", "editor")
    response = Person(app.test_client()).login("bien-tap", "sai")
    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in response.get_data(as_text=True)
    from publisher.auth.models import User
    from publisher.db import db

    with app.app_context():
        assert db.session.get(User, user_id).failed_logins == 1


def test_failed_login_attempts_are_limited_per_address(app):
    make_person(app, "bien-tap", "editor")
    limit = app.config["SETTINGS"].LOGIN_RATE_LIMIT
    person = Person(app.test_client())
    for _ in range(limit):
        assert person.login("khong-co", "sai").status_code == 401
    response = person.login("bien-tap")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Quá nhiều lần thử" in response.get_data(as_text=True)
    # Another address is not affected.
    other = Person(app.test_client())
    response = other.client.post(
        "/login",
        headers=HTML,
        environ_base={"REMOTE_ADDR": "10.0.0.7"},
        data={"username": "bien-tap", "password": PASSWORD, "csrf_token": other.token()},
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("target", "landing"),
    [
        ("/content?kind=poster", "/content?kind=poster"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_login_only_returns_to_pages_of_this_site(app, target, landing):
    make_person(app, "bien-tap", "editor")
    response = Person(app.test_client()).login("bien-tap", next=target)
    assert response.headers["Location"] == landing


def test_operators_land_on_their_commune_page(app):
    make_person(app, "dai-xa", "operator", commune_code="03408")
    response = Person(app.test_client()).login("dai-xa")
    assert response.headers["Location"] == "/communes/03408"


def test_people_signed_out_are_sent_to_login(app):
    response = Person(app.test_client()).get("/content?q=hien+mau")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert "content" in response.headers["Location"]


def test_operators_get_a_vietnamese_403_on_editor_pages(app):
    person, _ = signed_in(app, "operator", commune_code="03408")
    assert person.get("/").headers["Location"] == "/communes/03408"
    for path in EDITOR_PAGES[1:] + ADMIN_PAGES:
        response = person.get(path)
        assert response.status_code == 403, path
        page = response.get_data(as_text=True)
        assert "Bạn không có quyền truy cập trang này" in page
        assert response.mimetype == "text/html"
    response = person.post("/content/new", {"kind": "article", "title": "x", "body": "x"})
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["editor", "approver"])
def test_only_admins_open_admin_pages(app, role):
    person, _ = signed_in(app, role)
    for path in EDITOR_PAGES:
        assert person.get(path).status_code == 200, path
    for path in ADMIN_PAGES:
        assert person.get(path).status_code == 403, path


def test_editors_cannot_approve(app):
    person, _ = signed_in(app, "editor")
    person.post("/content/new", {"kind": "article", "title": "Bài", "body": "Nội dung"})
    person.post("/content/1/submit")
    assert person.post("/content/1/approve").status_code == 403


def test_error_pages_are_vietnamese_html_for_browsers_and_json_for_the_api(app):
    person, _ = signed_in(app, "editor")
    response = person.get("/khong-co-trang-nay")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "Không tìm thấy trang" in response.get_data(as_text=True)
    assert person.get("/content/999999").status_code == 404
    api = person.client.get("/api/v1/khong-co")
    assert api.mimetype == "application/problem+json"
    response = person.client.put("/login", headers=HTML)
    assert response.status_code in (400, 405)


def test_logout_needs_a_form_and_ends_the_session(app):
    person, _ = signed_in(app, "editor")
    assert person.get("/logout").status_code == 200  # a page with the button, nothing done
    assert person.get("/content").status_code == 200
    response = person.post("/logout")
    assert response.status_code == 302
    assert person.get("/content").status_code == 302


def test_a_new_password_ends_old_sessions(app):
    admin, _ = signed_in(app, "admin")
    editor, editor_id = signed_in(app, "editor")
    assert editor.get("/content").status_code == 200
    response = admin.post(
        f"/admin/users/{editor_id}/password", {"new_password": "mật-khẩu-mới-456"}
    )
    assert response.status_code == 302
    assert editor.get("/content").status_code == 302


def test_pages_load_nothing_from_other_sites(app):
    person, _ = signed_in(app, "admin")
    for path in EDITOR_PAGES + ADMIN_PAGES + ["/login"]:
        page = person.get(path).get_data(as_text=True)
        for attribute, value in re.findall(r'\s(src|href|action)="([^"]*)"', page):
            assert value.startswith(("/", "#", "data:", "?")), (path, attribute, value)


def test_static_files_are_versioned_and_cached(app):
    person, _ = signed_in(app, "editor")
    page = person.get("/").get_data(as_text=True)
    css = re.search(r'href="(/static/ui/ui\.css\?v=[0-9a-f]+)"', page).group(1)
    response = person.client.get(css)
    assert response.status_code == 200 and response.mimetype == "text/css"
    assert "max-age=604800" in response.headers["Cache-Control"]
    response.close()


def test_a_crash_shows_a_vietnamese_page_and_is_logged(app, monkeypatch, caplog):
    import publisher.ui.views_reports as reports

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    person, _ = signed_in(app, "editor")
    monkeypatch.setattr(reports, "deliveries_per_week", broken)
    response = person.get("/reports")
    assert response.status_code == 500 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Lỗi hệ thống" in page and "boom" not in page
    assert "unhandled error in a UI page" in caplog.text
    assert person.get("/content").status_code == 200  # the session and database go on


def test_api_writes_with_a_session_cookie_need_the_csrf_header(app, client, db):
    from publisher.auth.services import create_user
    from tests.integration.ui_support import open_session

    user = create_user(db, "session-editor", "editor", password="mat-khau-dai-du")
    db.commit()
    open_session(client, user.id)
    with client.session_transaction() as sess:
        sess["_csrf"] = "token-of-this-session"
    body = {"kind": "article", "title": "Tiêu đề", "body": "Nội dung"}
    assert client.get("/api/v1/content").status_code == 200
    refused = client.post("/api/v1/content", json=body)
    assert refused.status_code == 400
    assert refused.mimetype == "application/problem+json"
    accepted = client.post(
        "/api/v1/content", json=body, headers={"X-CSRF-Token": "token-of-this-session"}
    )
    assert accepted.status_code == 201
