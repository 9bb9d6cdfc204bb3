"""A signed-in person in the Flask test client: logs in through /login, posts forms with the
session's CSRF token, reads pages as a browser asks for them (Accept: text/html)."""

from __future__ import annotations

import re
from typing import Any

PASSWORD = "mật-khẩu-thử-123"
HTML = {"Accept": "text/html,application/xhtml+xml"}


def make_person(app: Any, username: str, role: str, commune_code: str | None = None) -> int:
    from publisher.auth.services import create_user
    from publisher.db import db

    with app.app_context():
        user = create_user(
            db.session,
            username,
            role,
            password=PASSWORD,
            commune_code=commune_code,
            display_name=username,
        )
        db.session.commit()
        return user.id


def open_session(client: Any, user_id: int) -> str:
    """Give the test client a session of ``user_id`` as the login page would; returns its id."""
    from datetime import timedelta

    from publisher.auth.models import User
    from publisher.auth.sessions import start_session
    from publisher.db import db
    from publisher.security import SESSION_ID_KEY

    with client.application.app_context():
        raw = start_session(db.session, db.session.get(User, user_id), timedelta(hours=12))
        db.session.commit()
    with client.session_transaction() as session:
        session[SESSION_ID_KEY] = raw
    return raw


class Person:
    def __init__(self, client: Any) -> None:
        self.client = client

    def token(self) -> str:
        with self.client.session_transaction() as session:
            token = session.get("_csrf")
        if token is None:
            # Any page with a form creates it: the logout page when signed in, else login.
            for path in ("/logout", "/login"):
                self.client.get(path, headers=HTML)
                with self.client.session_transaction() as session:
                    token = session.get("_csrf")
                if token is not None:
                    break
        assert token is not None
        return token

    def login(self, username: str, password: str = PASSWORD, **extra: str) -> Any:
        return self.client.post(
            "/login",
            headers=HTML,
            data={"username": username, "password": password, "csrf_token": self.token(), **extra},
        )

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, headers=HTML, **kw)

    def post(self, path: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
        return self.client.post(
            path, headers=HTML, data={"csrf_token": self.token(), **(data or {})}, **kw
        )


def signed_in(
    app: Any, role: str, username: str | None = None, commune_code: str | None = None
) -> tuple[Person, int]:
    username = username or f"{role}-ui"
    user_id = make_person(app, username, role, commune_code)
    person = Person(app.test_client())
    response = person.login(username)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return person, user_id


def flashes(html: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", m).strip()
        for m in re.findall(r'class="notice notice--\w+"[^>]*>(.*?)</div>', html, re.S)
    ]
