"""`publisher secrets rotate`: channel secrets move to the new SECRET_KEY in one transaction,
every session ends, and the old key opens nothing any more."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import func, select

from publisher.auth.models import UserSession
from publisher.delivery.crypto import SecretsUnreadable, decrypt_secrets, encrypt_secrets
from publisher.delivery.models import Channel
from tests.conftest import app_config
from tests.factories import webhook_channel
from tests.integration.ui_support import HTML, signed_in

HOOK_SECRET = "chia-khoa-cua-doi-tac-0123456789"


@pytest.fixture
def rotated_app(app, database_url, tmp_path):
    """The same database, started with a fresh SECRET_KEY (as after changing .env)."""
    from publisher import create_app
    from publisher.db import db

    rotated = create_app(app_config(database_url, tmp_path, SECRET_KEY=secrets.token_urlsafe(48)))
    yield rotated
    with rotated.app_context():
        db.session.remove()
        db.engine.dispose()


def stored(app) -> dict[str, str | None]:
    from publisher.db import db

    with app.app_context():
        return dict(db.session.execute(select(Channel.slug, Channel.secrets_encrypted)).all())


def rotate(app, old_key: str):
    return app.test_cli_runner().invoke(args=["secrets", "rotate"], input=old_key + "\n")


def test_rotation_moves_channel_secrets_and_ends_sessions(app, rotated_app):
    from publisher.db import db

    old_key = app.config["SETTINGS"].SECRET_KEY
    new_key = rotated_app.config["SETTINGS"].SECRET_KEY
    with app.app_context():
        first = webhook_channel(db.session, "https://doitac.example/hook", secret=HOOK_SECRET)
        second = webhook_channel(
            db.session, "https://khac.example/hook", secret="bi-mat-thu-hai-0123456789"
        )
        db.session.commit()
        first_slug, second_slug, first_id = first.slug, second.slug, first.id
    person, _ = signed_in(app, "admin")
    cookie = person.client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    # Before: the new key cannot read what the old one wrote.
    before = stored(app)
    for token in before.values():
        with pytest.raises(SecretsUnreadable):
            decrypt_secrets(new_key, token)

    result = rotate(rotated_app, old_key)
    assert result.exit_code == 0, result.output
    assert "re-encrypted the secrets of 2 channel(s); ended 1 session(s)" in result.output

    after = stored(app)
    assert decrypt_secrets(new_key, after[first_slug])["secret"] == HOOK_SECRET
    assert decrypt_secrets(new_key, after[second_slug])["secret"] == "bi-mat-thu-hai-0123456789"
    for token in after.values():
        with pytest.raises(SecretsUnreadable):
            decrypt_secrets(old_key, token)
    with rotated_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0
    # The old cookie, even re-signed with the new key by someone who knows both, is over.
    thief = rotated_app.test_client()
    serializer = rotated_app.session_interface.get_signing_serializer(rotated_app)
    old_payload = app.session_interface.get_signing_serializer(app).loads(cookie)
    thief.set_cookie(rotated_app.config["SESSION_COOKIE_NAME"], serializer.dumps(old_payload))
    assert thief.get("/admin/users", headers=HTML).headers["Location"].startswith("/login")
    # The service reads its channels under the new key.
    admin, _ = signed_in(rotated_app, "admin", username="quan-tri-moi")
    page = admin.get(f"/channels/{first_id}").get_data(as_text=True)
    assert "Đã lưu (ẩn)" in page and HOOK_SECRET not in page
    # Running it again (a second machine, a retry) changes nothing and breaks nothing.
    again = rotate(rotated_app, old_key)
    assert again.exit_code == 0 and "of 0 channel(s)" in again.output
    assert decrypt_secrets(new_key, stored(app)[first_slug])["secret"] == HOOK_SECRET


def test_a_wrong_old_key_changes_nothing(app, rotated_app):
    from publisher.db import db

    old_key = app.config["SETTINGS"].SECRET_KEY
    with app.app_context():
        webhook_channel(db.session, "https://doitac.example/hook", secret=HOOK_SECRET)
        odd = webhook_channel(db.session, "https://khac.example/hook")
        odd_slug = odd.slug
        # One channel written under a third key: the rotation must not half-happen.
        odd.secrets_encrypted = encrypt_secrets(secrets.token_urlsafe(40), {"secret": "x"})
        db.session.commit()
    person, _ = signed_in(app, "admin")
    before = stored(app)
    result = rotate(rotated_app, old_key)
    assert result.exit_code != 0
    assert f"'{odd_slug}'" in result.output and "nothing was changed" in result.output
    assert stored(app) == before
    assert person.get("/admin/users").status_code == 200  # sessions untouched too
    wrong = rotate(rotated_app, "khong-phai-khoa-cu-" + "x" * 20)
    assert wrong.exit_code != 0 and stored(app) == before


def test_the_old_key_must_be_given_and_differ(app, monkeypatch):
    result = app.test_cli_runner().invoke(args=["secrets", "rotate"], input="\n")
    assert result.exit_code != 0 and "OLD_SECRET_KEY" in result.output
    monkeypatch.setenv("OLD_SECRET_KEY", app.config["SETTINGS"].SECRET_KEY)
    same = app.test_cli_runner().invoke(args=["secrets", "rotate"])
    assert same.exit_code != 0 and "put the NEW key in SECRET_KEY" in same.output
