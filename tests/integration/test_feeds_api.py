"""Feed sources through the API, the ``feeds import`` command and the dispatcher's hook."""

from __future__ import annotations

from datetime import timedelta

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import func, select

from content_library.db import utcnow
from content_library.models import ContentItem
from publisher.api.framework import SCHEMAS
from publisher.api.openapi import openapi_document
from publisher.feedimport.jobs import import_job_id
from publisher.feedimport.models import FeedSource
from tests.conftest import app_config, clean_database
from tests.integration.feed_server import feed_server
from tests.integration.feeds_support import campaign
from tests.servers import run_pipeline

API = "/api/v1/feed-sources"


@pytest.fixture
def feeds():
    with feed_server() as server:
        yield server


@pytest.fixture
def private_app(database_url, tmp_path):
    """An app that may fetch 127.0.0.1, as the tests' feed server needs."""
    from publisher import create_app

    application = create_app(app_config(database_url, tmp_path, FEED_IMPORT_ALLOW_PRIVATE=True))
    yield application
    clean_database(application)


def _user(application, role: str = "editor") -> dict[str, str]:
    from publisher.auth.services import create_token, create_user
    from publisher.db import db

    with application.app_context():
        user = create_user(db.session, f"{role}-feeds", role, password="correct horse battery")
        _token, raw = create_token(db.session, "test", user)
        db.session.commit()
        return {"Authorization": f"Bearer {raw}"}


def _matches(name: str, data: object) -> None:
    """The answer matches the schema the OpenAPI document publishes for it."""
    document = {"components": {"schemas": SCHEMAS}, "$ref": f"#/components/schemas/{name}"}
    Draft202012Validator(document).validate(data)


def test_create_list_get_and_patch(client, db, make_user):
    camp = campaign(db)
    db.commit()
    _uid, headers = make_user("editor")
    answer = client.post(
        API,
        headers=headers,
        json={
            "url": "https://baolaichau.vn/rss/xa-hoi.rss#top",
            "name": "Báo Lai Châu",
            "campaign_id": camp.id,
            "tags": ["báo chí"],
            "interval_minutes": 30,
        },
    )
    assert answer.status_code == 201, answer.json
    created = answer.json
    _matches("FeedSource", created)
    assert created["url"] == "https://baolaichau.vn/rss/xa-hoi.rss"  # no fragment
    assert created["enabled"] is True and created["interval_minutes"] == 30
    assert created["last_error"] is None and created["last_status"] is None
    assert created["imported_count"] == 0 and created["next_fetch_at"]
    listed = client.get(API, headers=headers).json
    assert listed["total"] == 1 and listed["items"][0]["id"] == created["id"]
    for key in ("last_error", "last_status", "last_fetched_at", "next_fetch_at", "imported_count"):
        assert key in listed["items"][0]
    one = client.get(f"{API}/{created['id']}", headers=headers)
    assert one.status_code == 200 and one.json == created
    patched = client.patch(
        f"{API}/{created['id']}",
        headers=headers,
        json={"enabled": False, "interval_minutes": 120, "tags": []},
    )
    assert patched.status_code == 200
    assert patched.json["enabled"] is False and patched.json["interval_minutes"] == 120
    assert client.get(f"{API}/999", headers=headers).status_code == 404
    default = client.post(API, headers=headers, json={"url": "http://tin.example/feed"}).json
    assert default["interval_minutes"] == 60 and default["name"] == ""


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://baolaichau.vn/rss"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "https://"}, "url"),
        ({"url": "https://baolaichau.vn/rss", "interval_minutes": 4}, "interval_minutes"),
        ({"url": "https://baolaichau.vn/rss", "interval_minutes": 10081}, "interval_minutes"),
        ({"url": "https://baolaichau.vn/rss", "campaign_id": 999}, "campaign_id"),
        ({"url": "https://baolaichau.vn/rss", "extra": 1}, "extra"),
        ({"name": "không có url"}, "url"),
    ],
)
def test_invalid_sources_are_refused_by_field(client, db, make_user, body, field):
    _uid, headers = make_user("editor")
    answer = client.post(API, headers=headers, json=body)
    assert answer.status_code == 422
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    errors = answer.json["errors"]
    assert any(field in key or field in message for key, message in errors.items()), errors
    assert db.scalar(select(func.count(FeedSource.id))) == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/feed.xml",
        "http://localhost/feed.xml",
        "http://10.0.0.5/rss",
        "http://[::1]/rss",
        "http://169.254.169.254/latest/meta-data/",
    ],
)
def test_private_addresses_are_refused_when_not_allowed(client, make_user, url):
    _uid, headers = make_user("editor")
    answer = client.post(API, headers=headers, json={"url": url})
    assert answer.status_code == 422
    assert "nội bộ" in answer.json["errors"]["url"]
    assert "OUTBOUND_ALLOW_PRIVATE" in answer.json["errors"]["url"]


def test_duplicates_and_permissions(client, make_user):
    _uid, editor = make_user("editor")
    _uid, approver = make_user("approver")
    _uid, operator = make_user("operator")
    body = {"url": "https://baolaichau.vn/rss"}
    assert client.post(API, headers=editor, json=body).status_code == 201
    assert client.post(API, headers=editor, json=body).status_code == 409
    assert (
        client.post(API, headers=approver, json={"url": "https://a.example/rss"}).status_code == 403
    )
    assert client.get(API, headers=approver).status_code == 200
    assert client.get(API, headers=operator).status_code == 403
    assert client.get(API).status_code == 401
    other = client.post(API, headers=editor, json={"url": "https://b.example/rss"}).json
    clash = client.patch(f"{API}/{other['id']}", headers=editor, json=body)
    assert clash.status_code == 409


def test_openapi_describes_the_feed_source_endpoints(app):
    with app.app_context():
        paths = openapi_document()["paths"]
    assert set(paths[API]) == {"get", "post"}
    assert set(paths[API + "/{id}"]) == {"get", "patch"}
    assert "post" in paths[API + "/{id}/import"]


def test_import_now_returns_the_report(private_app, feeds):
    client = private_app.test_client()
    headers = _user(private_app)
    created = client.post(API, headers=headers, json={"url": feeds.url("/rss.xml")}).json
    answer = client.post(f"{API}/{created['id']}/import", headers=headers)
    assert answer.status_code == 200, answer.json
    _matches("FeedImportReport", answer.json)
    assert answer.json["created"] == 2 and answer.json["error"] is None
    assert answer.json["source"]["imported_count"] == 2
    assert answer.json["source"]["name"] == "Báo Lai Châu"
    looped = client.post(API, headers=headers, json={"url": feeds.url("/loop-a")}).json
    report = client.post(f"{API}/{looped['id']}/import", headers=headers).json
    assert report["status"] == "error" and report["error"] == "Vòng lặp chuyển hướng"
    listed = client.get(API, headers=headers).json["items"]
    assert [s["last_error"] for s in listed] == [None, "Vòng lặp chuyển hướng"]
    assert [s["last_status"] for s in listed] == ["ok", "error"]


def test_cli_once_imports_every_enabled_source(private_app, feeds):
    from publisher.db import db

    with private_app.app_context():
        db.session.add_all(
            [
                FeedSource(url=feeds.url("/rss.xml"), name="Báo Lai Châu"),
                FeedSource(url=feeds.url("/enormous.xml"), name="Quá lớn"),
                FeedSource(url=feeds.url("/atom.xml"), name="Tắt", enabled=False),
            ]
        )
        db.session.commit()
    result = private_app.test_cli_runner().invoke(args=["feeds", "import", "--once"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "source 1 (Báo Lai Châu): 2 created, 0 already known or skipped"
    assert lines[1] == "source 2 (Quá lớn): error: Nguồn tin quá lớn (trên 5 MB)"
    assert lines[-1] == "2 sources: 2 drafts created, 0 skipped, 0 not modified, 1 failed"
    again = private_app.test_cli_runner().invoke(args=["feeds", "import", "--once"])
    assert again.output.strip().splitlines()[0].endswith("0 created, 2 already known or skipped")


def test_the_dispatcher_enqueues_due_sources_once_and_the_worker_imports(private_app, feeds):
    from publisher.db import db
    from publisher.delivery.dispatch import dispatch_once

    with private_app.app_context():
        due = FeedSource(url=feeds.url("/rss.xml"), next_fetch_at=utcnow() - timedelta(minutes=1))
        later = FeedSource(url=feeds.url("/atom.xml"), next_fetch_at=utcnow() + timedelta(hours=1))
        db.session.add_all([due, later])
        db.session.commit()
        due_id, due_at = due.id, due.next_fetch_at
        assert dispatch_once().extra["feed_imports"] == 1
        queue = private_app.extensions["jobqueue"]
        assert queue.job_alive(import_job_id(due_id, due_at))
        # A second tick (or a second dispatcher) does not enqueue the same import again.
        assert dispatch_once().extra["feed_imports"] == 0
    run_pipeline(private_app)
    with private_app.app_context():
        source = db.session.get(FeedSource, due_id)
        assert source.last_status == "ok" and source.imported_count == 2
        assert source.next_fetch_at > utcnow() + timedelta(minutes=50)
        assert db.session.scalar(select(func.count(ContentItem.id))) == 2
        assert dispatch_once().extra["feed_imports"] == 0


def test_the_job_keeps_refusing_private_addresses_by_default(app, db, feeds):
    from publisher.feedimport import import_feed

    source = FeedSource(url=feeds.url("/rss.xml"))
    db.add(source)
    db.commit()
    assert import_feed(source.id) == "error"
    db.expire_all()
    assert db.get(FeedSource, source.id).last_error == "Địa chỉ nội bộ bị chặn"
    assert feeds.requests_to("/rss.xml") == []
