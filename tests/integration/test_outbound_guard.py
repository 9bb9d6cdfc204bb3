"""Webhook SSRF: a configured URL may not reach loopback or private addresses.

The attack: an admin points a webhook at ``http://127.0.0.1:<port>/internal`` and the
service's answer from that internal server is shown to editors. With
``OUTBOUND_ALLOW_PRIVATE`` off (the default) the URL is refused when saved (API 422,
UI message) and again when the webhook is called (the name may resolve elsewhere by
then), before anything is sent. With it on (tests, closed networks) delivery works and
editors see only a short plain-text excerpt of the receiver's answer.
"""

from __future__ import annotations

import ipaddress

import pytest
from sqlalchemy import func, select

from channels import outbound
from publisher.delivery.models import Channel, Publication
from tests.factories import approved_content, due_publication, webhook_channel
from tests.fakes.receiver import Receiver
from tests.integration.ui_support import signed_in
from tests.servers import run_pipeline

SECRET = "receiver-secret-0123456789"
PRIVATE_URLS = (
    "http://localhost:8080/hook",
    "http://127.0.0.1:5000/internal",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://10.1.2.3/hook",
    "http://192.168.1.10/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://0.0.0.0:6379/",
    "http://100.64.0.1/hook",
)


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


def _create(client, headers, url: str, slug: str = "doi-tac"):
    return client.post(
        "/api/v1/channels",
        json={
            "kind": "webhook",
            "slug": slug,
            "name": "Đối tác",
            "settings": {"url": url, "secret": SECRET},
        },
        headers=headers,
    )


def test_saving_a_private_webhook_url_is_refused_by_the_api(client, db, make_user, receiver):
    _, admin = make_user("admin")
    for url in (receiver.url.replace("/hook", "/internal"), *PRIVATE_URLS):
        answer = _create(client, admin, url)
        assert answer.status_code == 422, (url, answer.get_json())
        assert answer.mimetype == "application/problem+json"
        errors = answer.get_json()["errors"]
        assert list(errors) == ["settings.url"], url
        assert "OUTBOUND_ALLOW_PRIVATE" in errors["settings.url"]
    assert db.scalar(select(func.count()).select_from(Channel)) == 0
    # A public address is saved (not resolvable here: checked again at each call).
    assert _create(client, admin, "https://doi-tac.example.vn/hook").status_code == 201


def test_changing_a_webhook_to_a_private_url_is_refused(client, db, make_user):
    _, admin = make_user("admin")
    created = _create(client, admin, "https://doi-tac.example.vn/hook").get_json()
    answer = client.patch(
        f"/api/v1/channels/{created['id']}",
        json={"settings": {"url": "http://127.0.0.1:9/internal"}},
        headers=admin,
    )
    assert answer.status_code == 422
    assert "settings.url" in answer.get_json()["errors"]
    db.expire_all()
    assert db.get(Channel, created["id"]).settings["url"] == "https://doi-tac.example.vn/hook"


def test_the_ui_says_why_in_vietnamese(app, db):
    admin, _ = signed_in(app, "admin")
    answer = admin.post(
        "/channels/new",
        {
            "kind": "webhook",
            "name": "Đối tác",
            "slug": "doi-tac",
            "s_url": "http://127.0.0.1:9/internal",
            "s_secret": SECRET,
            "enabled": "1",
        },
    )
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "Địa chỉ nội bộ (máy này, mạng riêng) bị chặn để bảo mật" in page
    assert "loopback and private addresses" not in page  # the Vietnamese half only
    assert db.scalar(select(func.count()).select_from(Channel)) == 0


def test_a_url_saved_while_allowed_is_refused_at_connect_time(app, db, receiver, client, make_user):
    """Saved when private addresses were allowed (or when the name resolved elsewhere):
    with the setting off, the call is refused before anything is sent."""
    _, editor = make_user("editor")
    item = approved_content(db)
    channel = webhook_channel(db, receiver.url, allow_private=True)
    pub = due_publication(db, item, channel)
    db.commit()
    assert app.config["SETTINGS"].OUTBOUND_ALLOW_PRIVATE is False
    run_pipeline(app)
    db.expire_all()
    row = db.get(Publication, pub.id)
    assert receiver.requests == [], "nothing may reach the internal address"
    assert row.status == "failed"
    assert row.last_error_class == "permanent"
    assert "OUTBOUND_ALLOW_PRIVATE" in row.last_error
    db.commit()
    shown = client.get(f"/api/v1/publications/{pub.id}", headers=editor).get_json()
    assert shown["status"] == "failed"
    assert "127.0.0.1" in shown["last_error"]


def test_a_name_that_rebinds_to_loopback_is_refused_after_connecting(
    app, db, receiver, monkeypatch
):
    # The resolver says "public" for the name check; the socket still lands on 127.0.0.1.
    monkeypatch.setattr(
        outbound, "_resolve", lambda host, port: [ipaddress.ip_address("93.184.216.34")]
    )
    item = approved_content(db)
    channel = webhook_channel(db, receiver.url, allow_private=True)
    pub = due_publication(db, item, channel)
    db.commit()
    run_pipeline(app)
    db.expire_all()
    row = db.get(Publication, pub.id)
    assert receiver.requests == []
    assert row.status == "failed"
    assert "connected to non-public 127.0.0.1" in row.last_error


@pytest.mark.settings(OUTBOUND_ALLOW_PRIVATE=True)
def test_allowed_private_delivery_works_and_editors_see_a_short_plain_excerpt(
    app, db, receiver, client, make_user
):
    page = (
        "<html><head><script>steal()</script></head><body>\x1b[31m"
        + "<h1>Internal admin</h1>\r\nX-Injected: yes\u202e "
        + "secret-config " * 60
        + "</body></html>"
    )
    receiver.fail_next((403, page))
    _, editor = make_user("editor")
    item = approved_content(db)
    first = due_publication(db, item, webhook_channel(db, receiver.url))
    second = due_publication(db, approved_content(db), webhook_channel(db, receiver.url))
    db.commit()
    run_pipeline(app)
    db.expire_all()
    refused, delivered = db.get(Publication, first.id), db.get(Publication, second.id)
    assert len(receiver.requests) == 2
    assert delivered.status == "published"
    assert refused.status == "failed" and "HTTP 403" in refused.last_error
    db.commit()
    shown = client.get(f"/api/v1/publications/{first.id}", headers=editor).get_json()
    (attempt,) = shown["attempt_log"]
    for text in (attempt["response_excerpt"], shown["last_error"]):
        assert "<" not in text and ">" not in text
        assert not any(ord(ch) < 32 or ch == "\u202e" for ch in text), repr(text)
        assert "steal()" in text or "Internal admin" in text  # readable, not dropped
    assert len(attempt["response_excerpt"]) <= 200
    assert len(shown["last_error"]) <= 260  # our words plus at most 200 of theirs


@pytest.mark.settings(OUTBOUND_ALLOW_PRIVATE=True)
def test_the_new_name_allows_loopback_feed_sources_too(client, make_user):
    _, editor = make_user("editor")
    answer = client.post(
        "/api/v1/feed-sources", json={"url": "http://127.0.0.1:9/rss.xml"}, headers=editor
    )
    assert answer.status_code == 201, answer.get_json()


def test_feed_sources_are_refused_by_default_with_the_setting_named(client, make_user):
    _, editor = make_user("editor")
    answer = client.post(
        "/api/v1/feed-sources", json={"url": "http://127.0.0.1:9/rss.xml"}, headers=editor
    )
    assert answer.status_code == 422
    assert "OUTBOUND_ALLOW_PRIVATE" in answer.get_json()["errors"]["url"]


def test_the_older_setting_name_still_works():
    from publisher.settings import Settings

    assert Settings.load({}, {}).OUTBOUND_ALLOW_PRIVATE is False
    assert Settings.load({"FEED_IMPORT_ALLOW_PRIVATE": "1"}).OUTBOUND_ALLOW_PRIVATE is True
    assert Settings.load({"OUTBOUND_ALLOW_PRIVATE": "on"}).OUTBOUND_ALLOW_PRIVATE is True
    both = {"FEED_IMPORT_ALLOW_PRIVATE": "1", "OUTBOUND_ALLOW_PRIVATE": "0"}
    assert Settings.load(both).OUTBOUND_ALLOW_PRIVATE is False  # the new name wins


def test_the_ui_refuses_a_private_feed_source_in_vietnamese(app, db):
    from publisher.feedimport.models import FeedSource

    editor, _ = signed_in(app, "editor")
    for url in ("http://127.0.0.1:9/rss.xml", "http://169.254.169.254/latest/meta-data/"):
        answer = editor.post("/feed-sources/new", {"url": url, "interval_minutes": "60"})
        assert answer.status_code == 422, url
        assert "Địa chỉ nội bộ (máy này, mạng riêng) bị chặn" in answer.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(FeedSource)) == 0
    saved = editor.post(
        "/feed-sources/new", {"url": "https://baolaichau.vn/rss.rss", "interval_minutes": "60"}
    )
    assert saved.status_code == 302
