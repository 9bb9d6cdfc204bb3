"""The `publisher` command: users, tokens, seeding (idempotent), embedded serve."""

from __future__ import annotations

import re
import time

import requests
from sqlalchemy import func, select

from content_library.models import Campaign, ContentItem, Drive
from publisher.auth.models import ApiToken, User
from publisher.delivery.models import Channel, Publication
from publisher.organisations.models import GuidanceTarget, Organisation
from tests.servers import free_port, run_publisher, service_env, start_publisher


def test_users_create_with_password_on_stdin(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "lan", "--role", "editor", "--password-stdin"],
        input="mat-khau-dai-du\n",
    )
    assert result.exit_code == 0, result.output
    assert "created user lan (editor)" in result.output
    user = db.scalar(select(User).where(User.username == "lan"))
    assert user.password_hash and "mat-khau" not in user.password_hash
    again = runner.invoke(
        args=["users", "create", "lan", "--role", "editor", "--password-stdin"],
        input="mat-khau-dai-du\n",
    )
    assert again.exit_code != 0 and "already exists" in again.output


def test_operator_needs_a_real_commune(app):
    runner = app.test_cli_runner()
    missing = runner.invoke(
        args=["users", "create", "op", "--role", "operator", "--password-stdin"],
        input="mat-khau-dai-du\n",
    )
    assert missing.exit_code != 0 and "commune" in missing.output
    unknown = runner.invoke(
        args=[
            "users",
            "create",
            "op",
            "--role",
            "operator",
            "--commune",
            "99999",
            "--password-stdin",
        ],
        input="mat-khau-dai-du\n",
    )
    assert unknown.exit_code != 0 and "99999" in unknown.output
    ok = runner.invoke(
        args=[
            "users",
            "create",
            "op",
            "--role",
            "operator",
            "--commune",
            "03408",
            "--password-stdin",
        ],
        input="mat-khau-dai-du\n",
    )
    assert ok.exit_code == 0, ok.output


def test_token_is_printed_once_and_stored_hashed(app, db, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tokens", "create", "doi-tac-zalo", "--role", "editor"])
    assert result.exit_code == 0, result.output
    token = re.search(r"pub_[A-Za-z0-9_\-]+", result.output).group(0)
    stored = db.scalar(select(ApiToken))
    assert stored.token_hash != token and token not in stored.token_hash
    assert (
        client.get("/api/v1/content", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )


def counts(db) -> dict[str, int]:
    return {
        model.__name__: db.scalar(select(func.count()).select_from(model))
        for model in (User, Channel, ContentItem, Campaign, Drive, Publication, GuidanceTarget)
    }


def test_seed_demo_twice_adds_nothing(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed", "--demo"])
    assert first.exit_code == 0, first.output
    assert first.output.strip().splitlines()[-1].startswith("seeded:")
    after_first = counts(db)
    assert after_first["ContentItem"] >= 12 and after_first["Publication"] >= 10
    # The department's guidance waits in the newspaper's and a commune's inboxes.
    assert after_first["GuidanceTarget"] == 2
    newspaper = db.scalar(select(User).where(User.username == "baolaichau"))
    assert newspaper.organisation_id == db.scalar(
        select(Organisation.id).where(Organisation.slug == "bao-lai-chau")
    )
    second = runner.invoke(args=["seed", "--demo"])
    assert second.exit_code == 0, second.output
    db.expire_all()
    assert counts(db) == after_first
    articles = db.scalar(
        select(func.count())
        .select_from(ContentItem)
        .where(ContentItem.kind == "article", ContentItem.is_template.is_(False))
    )
    posters = db.scalar(
        select(func.count())
        .select_from(ContentItem)
        .where(ContentItem.kind == "poster", ContentItem.is_template.is_(False))
    )
    scripts = db.scalar(
        select(func.count())
        .select_from(ContentItem)
        .where(ContentItem.kind == "script", ContentItem.is_template.is_(False))
    )
    assert articles >= 6 and posters >= 2 and scripts >= 4


def test_embedded_serve_says_so_and_delivers(tmp_path):
    from tests.fakes.receiver import Receiver

    env = service_env(
        SECRET_KEY="embedded-test-secret-0123456789",
        INSTANCE_PATH=str(tmp_path),
        DISPATCH_TICK_SECONDS="0.5",
        OUTBOUND_ALLOW_PRIVATE="1",  # the receiver listens on 127.0.0.1
    )
    port = free_port()
    run_publisher(env, "db", "upgrade", timeout=120)
    run_publisher(env, "seed", timeout=120)
    done = run_publisher(env, "tokens", "create", "admin-cli", "--role", "admin")
    token = re.search(r"pub_[A-Za-z0-9_\-]+", done.stdout).group(0)
    server = start_publisher("serve", ["serve", "--port", str(port)], env, tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert "embedded mode" in server.output()
        with Receiver() as receiver, requests.Session() as http:
            http.headers["Authorization"] = f"Bearer {token}"
            done = run_publisher(env, "tokens", "create", "approver-cli", "--role", "approver")
            approver = re.search(r"pub_[A-Za-z0-9_\-]+", done.stdout).group(0)
            item = http.post(
                base + "/api/v1/content",
                json={"kind": "article", "title": "Hiến máu", "body": "Xin chào"},
            ).json()
            http.post(f"{base}/api/v1/content/{item['id']}/submit")
            assert (
                requests.post(
                    f"{base}/api/v1/content/{item['id']}/approve",
                    timeout=10,
                    headers={"Authorization": f"Bearer {approver}"},
                ).status_code
                == 200
            )
            channel = http.post(
                base + "/api/v1/channels",
                json={
                    "kind": "webhook",
                    "slug": "doi-tac",
                    "name": "Đối tác",
                    "settings": {"url": receiver.url, "secret": "receiver-secret-0123456789"},
                },
            ).json()
            pub = http.post(
                base + "/api/v1/publications",
                json={
                    "content_id": item["id"],
                    "channel_id": channel["id"],
                    "scheduled_at": "2020-01-01T00:00:00+07:00",
                    "expires_at": "2099-01-01T00:00:00+07:00",
                },
            ).json()
            deadline = time.monotonic() + 30
            status = None
            while time.monotonic() < deadline:
                status = http.get(f"{base}/api/v1/publications/{pub['id']}").json()["status"]
                if status == "published":
                    break
                time.sleep(0.3)
            assert status == "published", server.output()[-2000:]
            assert len(receiver.requests) == 1
    finally:
        server.stop()
