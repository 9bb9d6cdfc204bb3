"""The Zalo OA channel through the whole pipeline: dispatcher, worker, adapter, emulator.

The app talks to a live Zalo emulator over real HTTP, on SQLite and PostgreSQL. Every test
counts the emulator's articles, so a duplicate cannot hide behind a right-looking status.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import select

from channels.zalo import EXPIRES_SETTING
from content_library.db import utcnow
from content_library.models import Campaign
from publisher import create_app
from publisher.delivery.channels import update_channel
from publisher.delivery.crypto import decrypt_secrets
from publisher.delivery.models import Attempt, Channel, Publication
from publisher.delivery.pipeline import check_channel
from tests.conftest import app_config, clean_database
from tests.fakes.zalo_oa import ZaloEmulator
from tests.integration.pipeline_support import api, fresh, outcomes, publication, set_row
from tests.servers import run_pipeline

APP_ID = "3012345678901234567"
TIMEOUT = 1.0


@pytest.fixture
def zalo() -> Iterator[ZaloEmulator]:
    with ZaloEmulator() as emulator:
        yield emulator


@pytest.fixture
def app_secret() -> str:
    return secrets.token_urlsafe(12)


@pytest.fixture
def tokens(zalo: ZaloEmulator, app_secret: str) -> tuple[str, str]:
    return zalo.add_app(APP_ID, app_secret)


@pytest.fixture
def app(database_url: str, tmp_path: Path, zalo: ZaloEmulator) -> Iterator[object]:
    application = create_app(
        app_config(
            database_url,
            tmp_path,
            ZALO_OPENAPI_URL=zalo.base_url,
            ZALO_OAUTH_URL=zalo.base_url,
            ZALO_VERIFY_POLL_SECONDS="0.02",
            ZALO_VERIFY_WAIT_SECONDS="2",
            CHANNEL_TIMEOUT_SECONDS=TIMEOUT,
            LEASE_SECONDS=30,
            RETRY_BACKOFF_SECONDS=(0.0,),
        )
    )
    yield application
    clean_database(application)


@pytest.fixture
def admin(make_user) -> dict[str, str]:
    return make_user("admin")[1]


def zalo_channel(db, tokens, app_secret, **settings):
    from publisher.delivery.channels import create_channel

    access, refresh = tokens
    channel = create_channel(
        db,
        kind="zalo",
        slug="zalo-hien-mau",
        name="Hội Chữ thập đỏ tỉnh Lai Châu",
        settings={
            "app_id": APP_ID,
            "app_secret": app_secret,
            "access_token": access,
            "refresh_token": refresh,
            **settings,
        },
        secret_key=current_app.config["SETTINGS"].SECRET_KEY,
    )
    channel.health_checked_at = utcnow()
    return channel


def stored(db, channel_id: int) -> dict:
    row = fresh(db, Channel, channel_id)
    key = current_app.config["SETTINGS"].SECRET_KEY
    return {**row.settings, **decrypt_secrets(key, row.secrets_encrypted)}


def assert_published_once(db, zalo: ZaloEmulator, pub_id: int) -> dict:
    row = fresh(db, Publication, pub_id)
    assert row.status == "published", row.last_error
    assert row.reconcile is False
    articles = zalo.articles()
    mine = [a for a in articles if a["id"] == row.external_id]
    assert len(mine) == 1
    assert len([a for a in articles if a["title"] == mine[0]["title"]]) == 1, "created twice"
    assert row.external_url == mine[0]["link_view"]
    return mine[0]


def creates(zalo: ZaloEmulator) -> int:
    return len(zalo.calls("/article/create"))


# ---- what goes out -------------------------------------------------------------------------


def test_article_is_published_once_with_the_campaign_image(app, db, zalo, tokens, app_secret):
    campaign = Campaign(
        slug="chu-nhat-do-2025",
        name="Chủ nhật Đỏ 2025",
        starts_on=utcnow().date(),
        ends_on=utcnow().date(),
    )
    db.add(campaign)
    db.flush()
    pub = publication(
        db, zalo_channel(db, tokens, app_secret), kind="article", campaign_id=campaign.id
    )
    run_pipeline(app, db)
    article = assert_published_once(db, zalo, pub.id)
    assert article["title"] == "Chủ nhật Đỏ 1: hiến máu tình nguyện"
    assert article["author"] == "Hội Chữ thập đỏ tỉnh Lai Châu"
    assert article["status"] == "show"
    cover = article["cover"]["photo_url"]
    assert cover.startswith("http://publisher.test/campaigns/chu-nhat-do-2025/image.png?v=")
    assert any("/articles/" in p.get("content", "") for p in article["body"])
    assert outcomes(db, pub.id) == ["published"]
    assert creates(zalo) == 1


# ---- faults: exactly once ------------------------------------------------------------------


def test_gateway_errors_on_reads_are_retried_within_the_call(app, db, zalo, tokens, app_secret):
    pub = publication(db, zalo_channel(db, tokens, app_secret))
    zalo.inject_raw(502, path_contains="/article/verify", times=2)
    run_pipeline(app, db)
    assert_published_once(db, zalo, pub.id)
    assert creates(zalo) == 1


@pytest.mark.parametrize("after_store", [False, True])
def test_create_gateway_error_is_reconciled_not_repeated(
    app, db, zalo, tokens, app_secret, after_store
):
    pub = publication(db, zalo_channel(db, tokens, app_secret))
    zalo.inject_raw(502, path_contains="/article/create", after_store=after_store)
    run_pipeline(app, db)
    row = fresh(db, Publication, pub.id)
    assert row.status == "unconfirmed" and row.reconcile is True
    assert len(zalo.articles()) == (1 if after_store else 0)

    run_pipeline(app, db)

    assert_published_once(db, zalo, pub.id)
    assert len(zalo.articles()) == 1
    if after_store:
        assert creates(zalo) == 1, "created again although the article existed"
        assert outcomes(db, pub.id) == ["unknown", "reconciled_found"]
    else:
        assert creates(zalo) == 2
        assert outcomes(db, pub.id) == ["unknown", "reconciled_absent", "published"]


def test_store_then_drop_makes_no_duplicate(app, db, zalo, tokens, app_secret):
    pub = publication(db, zalo_channel(db, tokens, app_secret))
    zalo.drop_after_store(path_contains="/article/create")
    run_pipeline(app, db, rounds=2)
    assert_published_once(db, zalo, pub.id)
    assert creates(zalo) == 1 and len(zalo.articles()) == 1


def test_create_that_answers_too_late_makes_no_duplicate(app, db, zalo, tokens, app_secret):
    pub = publication(db, zalo_channel(db, tokens, app_secret))
    zalo.delay(TIMEOUT + 1.0, path_contains="/article/create")
    run_pipeline(app, db)
    assert fresh(db, Publication, pub.id).status == "unconfirmed"
    run_pipeline(app, db)
    assert_published_once(db, zalo, pub.id)
    assert creates(zalo) == 1


def test_verify_outlasting_the_wait_is_found_by_listing(app, db, zalo, tokens, app_secret):
    pub = publication(db, zalo_channel(db, tokens, app_secret))
    zalo.state.processing_polls = 10_000  # Zalo is still processing when the wait ends
    run_pipeline(app, db)
    row = fresh(db, Publication, pub.id)
    assert row.status == "unconfirmed" and "chưa xác nhận" in row.last_error
    zalo.state.processing_polls = 0
    run_pipeline(app, db)
    assert_published_once(db, zalo, pub.id)
    assert creates(zalo) == 1


@pytest.mark.parametrize(("code", "hours"), [(-32, 1 / 60), (-211, 1)])
def test_rate_limit_and_quota_pause_and_keep_the_attempt(
    app, db, zalo, tokens, app_secret, code, hours
):
    channel = zalo_channel(db, tokens, app_secret)
    first, second = publication(db, channel, 1), publication(db, channel, 2)
    zalo.inject_error(code, "limit", path_contains="/article/create")
    run_pipeline(app, db)

    wait = timedelta(hours=hours)
    ch = fresh(db, Channel, channel.id)
    assert utcnow() + wait - timedelta(seconds=30) < ch.paused_until <= utcnow() + wait
    for pub in (first, second):
        row = fresh(db, Publication, pub.id)
        assert row.status == "scheduled" and row.attempts == 0
    assert f"Zalo {code}" in fresh(db, Publication, first.id).last_error
    assert zalo.articles() == []

    past = utcnow() - timedelta(seconds=1)
    set_row(db, Channel, channel.id, paused_until=past)
    for pub in (first, second):
        set_row(db, Publication, pub.id, next_attempt_at=past)
    run_pipeline(app, db)
    for pub in (first, second):
        assert_published_once(db, zalo, pub.id)
    assert len(zalo.articles()) == 2


def test_permanent_refusal_fails_with_zalo_message(app, db, zalo, tokens, app_secret):
    pub = publication(db, zalo_channel(db, tokens, app_secret))
    zalo.inject_error(-248, "Content violates platform standards", path_contains="/create")
    run_pipeline(app, db, rounds=2)
    row = fresh(db, Publication, pub.id)
    assert row.status == "failed" and "violates platform standards" in row.last_error
    assert zalo.articles() == [] and creates(zalo) == 1


# ---- tokens ---------------------------------------------------------------------------------


def test_expired_access_token_is_refreshed_once_and_the_new_pair_kept(
    app, db, zalo, tokens, app_secret
):
    channel = zalo_channel(db, tokens, app_secret)
    first = publication(db, channel, 1)
    zalo.expire_access_tokens()
    run_pipeline(app, db)

    assert_published_once(db, zalo, first.id)
    assert [r["verdict"] for r in zalo.refreshes] == ["ok"]
    assert zalo.refreshes[0]["refresh_token"] == tokens[1]
    kept = stored(db, channel.id)
    assert kept["access_token"] != tokens[0] and kept["refresh_token"] != tokens[1]
    assert kept[EXPIRES_SETTING]

    # The next expiry spends the stored (new) refresh token, never the old one again.
    second = publication(db, channel, 2)
    zalo.expire_access_tokens()
    run_pipeline(app, db)
    assert_published_once(db, zalo, second.id)
    assert [r["verdict"] for r in zalo.refreshes] == ["ok", "ok"]
    assert zalo.refreshes[1]["refresh_token"] == kept["refresh_token"]
    stored_before = stored(db, channel.id)
    assert tokens[1] not in [r["refresh_token"] for r in zalo.refreshes[1:]]

    # The channel stays editable: the kept expiry passes validation with other changes.
    edited = update_channel(
        db,
        fresh(db, Channel, channel.id),
        {"settings": {"author": "Ban chỉ đạo"}},
        secret_key=current_app.config["SETTINGS"].SECRET_KEY,
    )
    db.commit()
    after = stored(db, edited.id)
    assert after["author"] == "Ban chỉ đạo"
    assert after[EXPIRES_SETTING] == stored_before[EXPIRES_SETTING]


def test_broken_refresh_holds_flags_and_recovers_after_reauthorising(
    app, db, zalo, tokens, app_secret, admin, client
):
    channel = zalo_channel(db, tokens, app_secret)
    pubs = [publication(db, channel, n) for n in (1, 2)]
    zalo.expire_access_tokens()
    zalo.revoke(APP_ID)
    run_pipeline(app, db, rounds=2)

    ch = fresh(db, Channel, channel.id)
    assert ch.health_status == "needs_attention" and "cấp quyền lại" in ch.health_reason
    for pub in pubs:
        row = fresh(db, Publication, pub.id)
        assert row.status == "scheduled" and row.attempts == 0
    assert zalo.articles() == []
    # One create was tried with the stale token (its expiry was not known): refused.
    assert [c.answer["error"] for c in zalo.calls("/article/create")] == [-216]
    assert len(zalo.refreshes) == 1
    health = api(client, db, "GET", f"/api/v1/channels/{channel.id}", admin).get_json()["health"]
    assert health["status"] == "needs_attention"

    # The OA admin authorises the app again; the operator pastes the new pair.
    access, refresh = zalo.add_app("3099999999999999999", app_secret)
    answer = api(
        client,
        db,
        "PATCH",
        f"/api/v1/channels/{channel.id}",
        admin,
        json={
            "settings": {
                "app_id": "3099999999999999999",
                "access_token": access,
                "refresh_token": refresh,
            }
        },
    )
    assert answer.status_code == 200 and answer.get_json()["health"]["status"] == "ok"
    run_pipeline(app, db)
    for pub in pubs:
        assert_published_once(db, zalo, pub.id)


def test_check_refreshes_ahead_of_expiry_and_flags_a_revoked_app(
    app, db, zalo, tokens, app_secret, admin, client
):
    channel = zalo_channel(db, tokens, app_secret)
    db.commit()
    answer = api(client, db, "POST", f"/api/v1/channels/{channel.id}/check", admin)
    assert answer.status_code == 200
    health = answer.get_json()["health"]
    assert health["status"] == "ok" and health["token_expires_at"]
    assert [r["verdict"] for r in zalo.refreshes] == ["ok"]
    assert stored(db, channel.id)["refresh_token"] != tokens[1]

    with app.app_context():
        assert check_channel(channel.id) == "ok"
    assert len(zalo.refreshes) == 1  # still fresh: nothing spent

    zalo.revoke(APP_ID)
    set_row(
        db,
        Channel,
        channel.id,
        settings={**fresh(db, Channel, channel.id).settings, EXPIRES_SETTING: ""},
    )
    with app.app_context():
        assert check_channel(channel.id) == "needs_attention"
    ch = fresh(db, Channel, channel.id)
    assert ch.health_status == "needs_attention" and "cấp quyền lại" in ch.health_reason


# ---- broadcast and withdrawal --------------------------------------------------------------


def test_broadcast_outcome_is_recorded_and_never_repeated(app, db, zalo, tokens, app_secret):
    channel = zalo_channel(db, tokens, app_secret, broadcast=True)
    pub = publication(db, channel)
    zalo.drop_after_store(path_contains="/oa/message")
    run_pipeline(app, db, rounds=2)
    article = assert_published_once(db, zalo, pub.id)
    assert [b["article_ids"] for b in zalo.broadcasts] == [[article["id"]]]
    assert len(zalo.calls("/oa/message")) == 1
    excerpt = db.scalar(select(Attempt.response_excerpt).where(Attempt.publication_id == pub.id))
    db.commit()
    assert "không rõ kết quả" in excerpt


def test_cancelling_a_published_article_removes_it(
    app, db, zalo, tokens, app_secret, admin, client
):
    pub = publication(db, zalo_channel(db, tokens, app_secret))
    run_pipeline(app, db)
    assert_published_once(db, zalo, pub.id)
    answer = api(client, db, "POST", f"/api/v1/publications/{pub.id}/cancel", admin)
    assert answer.status_code == 200 and answer.get_json()["withdraw_pending"] is True
    run_pipeline(app, db)
    row = fresh(db, Publication, pub.id)
    assert row.status == "cancelled" and row.withdrawn_at is not None
    assert zalo.articles() == []
    assert len(zalo.calls("/article/remove")) == 1


# ---- the API and logs keep secrets ---------------------------------------------------------


def test_channel_through_the_api_keeps_secrets_out_of_answers_and_logs(
    app, db, zalo, tokens, app_secret, admin, client, caplog
):
    caplog.set_level(logging.DEBUG)
    access, refresh = tokens
    answer = api(
        client,
        db,
        "POST",
        "/api/v1/channels",
        admin,
        json={
            "kind": "zalo",
            "slug": "zalo-oa",
            "name": "Zalo OA tỉnh",
            "settings": {
                "app_id": APP_ID,
                "app_secret": app_secret,
                "access_token": access,
                "refresh_token": refresh,
                "broadcast": False,
            },
        },
    )
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_data(as_text=True)
    channel_id = answer.get_json()["id"]
    assert answer.get_json()["health"]["status"] == "ok"
    set_row(db, Channel, channel_id, health_checked_at=utcnow())
    pub = publication(db, db.get(Channel, channel_id))
    zalo.expire_access_tokens()
    run_pipeline(app, db)
    assert_published_once(db, zalo, pub.id)
    kept = stored(db, channel_id)
    listed = api(client, db, "GET", "/api/v1/channels", admin).get_data(as_text=True)
    shown = api(client, db, "GET", f"/api/v1/channels/{channel_id}", admin).get_data(as_text=True)
    pubs = api(client, db, "GET", f"/api/v1/publications/{pub.id}", admin).get_data(as_text=True)
    logs = caplog.text
    for secret in (app_secret, access, refresh, kept["access_token"], kept["refresh_token"]):
        for text in (body, listed, shown, pubs, logs):
            assert secret not in text

    bad = api(
        client,
        db,
        "POST",
        "/api/v1/channels",
        admin,
        json={"kind": "zalo", "slug": "zalo-2", "name": "x", "settings": {"app_id": "1"}},
    )
    assert bad.status_code == 422 or bad.status_code == 400
    assert "settings.access_token" in bad.get_data(as_text=True)


def test_concurrent_checks_spend_the_refresh_token_once(app, db, zalo, tokens, app_secret):
    import threading

    channel = zalo_channel(db, tokens, app_secret)
    db.commit()
    zalo.delay(0.3, path_contains="/v4/oa/access_token")  # a slow renewal widens the race
    verdicts: list[str] = []

    def check() -> None:
        with app.app_context():
            verdicts.append(check_channel(channel.id))

    threads = [threading.Thread(target=check) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert verdicts == ["ok", "ok", "ok"]
    assert [r["verdict"] for r in zalo.refreshes] == ["ok"]
    kept = stored(db, channel.id)
    assert kept["refresh_token"] != tokens[1] and kept[EXPIRES_SETTING]
