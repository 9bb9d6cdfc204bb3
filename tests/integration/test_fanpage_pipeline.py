"""The Facebook Page channel through the whole pipeline: dispatcher, worker, adapter, emulator.

The app talks to a live Graph emulator over real HTTP (the Page requires ``appsecret_proof``),
on SQLite and PostgreSQL. Every test counts the emulator's posts, so a double post cannot
hide behind a right-looking status.
"""

from __future__ import annotations

import io
import json
import os
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from flask import current_app
from PIL import Image
from rq.timeouts import TimerDeathPenalty
from sqlalchemy import select

from channels.base import MediaFile
from channels.fanpage import FanpageAdapter, compose_message, photo_for_graph
from content_library.assets import process_image
from content_library.db import utcnow
from content_library.models import Asset
from jobqueue.worker import EmbeddedWorker
from publisher import create_app
from publisher.db import db as publisher_db
from publisher.delivery.channels import adapter_for, create_channel, update_channel
from publisher.delivery.dispatch import dispatch_once
from publisher.delivery.models import Attempt, Channel, Publication
from publisher.delivery.render import article_path, render
from tests.conftest import app_config, clean_database
from tests.fakes import GraphEmulator, appsecret_proof
from tests.integration.pipeline_support import api, fresh, outcomes, publication, set_row
from tests.servers import run_pipeline

PAGE_ID = "1001"
APP_SECRET = "app-secret-of-the-province"
TIMEOUT = 1.0  # CHANNEL_TIMEOUT_SECONDS: the adapter's read timeout
JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# ---- fixtures and helpers -----------------------------------------------------------------


@pytest.fixture
def graph() -> Iterator[GraphEmulator]:
    with GraphEmulator() as emulator:
        yield emulator


@pytest.fixture
def token(graph: GraphEmulator) -> str:
    return graph.add_page(PAGE_ID, "Hội Chữ thập đỏ tỉnh Lai Châu", app_secret=APP_SECRET)


@pytest.fixture
def app(database_url: str, tmp_path: Path, graph: GraphEmulator) -> Iterator[object]:
    """The app pointed at the emulator; overrides conftest's ``app`` (so ``db`` and ``client``)."""
    application = create_app(
        app_config(
            database_url,
            tmp_path,
            FACEBOOK_GRAPH_URL=graph.base_url,
            CHANNEL_TIMEOUT_SECONDS=TIMEOUT,
            LEASE_SECONDS=30,
            # No backoff: the next round retries or reconciles at once.
            RETRY_BACKOFF_SECONDS=(0.0,),
        )
    )
    yield application
    clean_database(application)


@pytest.fixture
def admin(make_user) -> dict[str, str]:
    return make_user("admin")[1]


def fanpage_channel(db, token: str, *, checked: bool = True, slug: str = "trang-hien-mau"):
    """A Page channel; ``checked`` marks its token as checked just now (no check job queued)."""
    channel = create_channel(
        db,
        kind="fanpage",
        slug=slug,
        name="Trang Hội Chữ thập đỏ tỉnh Lai Châu",
        settings={"page_id": PAGE_ID, "access_token": token, "app_secret": APP_SECRET},
        secret_key=current_app.config["SETTINGS"].SECRET_KEY,
    )
    if checked:
        channel.health_checked_at = utcnow()
    return channel


def post_calls(graph: GraphEmulator) -> list:
    return [r for r in graph.requests_log if r.method == "POST"]


def buc_usage(minutes: int) -> dict[str, str]:
    entry = {
        "type": "pages",
        "call_count": 100,
        "total_cputime": 30,
        "total_time": 30,
        "estimated_time_to_regain_access": minutes,
    }
    return {"X-Business-Use-Case-Usage": json.dumps({PAGE_ID: [entry]})}


def assert_published_once(db, graph: GraphEmulator, pub_id: int) -> dict:
    """The row is published with the id of the one post on the Page that carries its words."""
    row = fresh(db, Publication, pub_id)
    assert row.status == "published", row.last_error
    assert row.reconcile is False
    posts = graph.posts(PAGE_ID)
    mine = [p for p in posts if p["id"] == row.external_id]
    assert len(mine) == 1
    same_words = [p for p in posts if p["message"] == mine[0]["message"]]
    assert len(same_words) == 1, "posted twice"
    assert row.external_url == mine[0]["permalink_url"]
    return mine[0]


# ---- what goes out -------------------------------------------------------------------------


def test_text_post_is_published_once(app, db, graph, token):
    pub = publication(db, fanpage_channel(db, token))
    run_pipeline(app, db)
    post = assert_published_once(db, graph, pub.id)
    assert post["message"] == (
        "Chủ nhật Đỏ 1: hiến máu tình nguyện\n\n"
        "Mời bạn đến Nhà văn hóa tỉnh Lai Châu, đợt 1, từ 7 giờ 30."
    )
    assert post["link"] is None
    assert len(graph.posts(PAGE_ID)) == 1
    assert fresh(db, Publication, pub.id).attempts == 1
    assert outcomes(db, pub.id) == ["published"]
    calls = post_calls(graph)
    assert len(calls) == 1
    assert calls[0].params["appsecret_proof"] == appsecret_proof(APP_SECRET, token)


def test_article_is_posted_as_a_link_to_its_public_page(app, db, graph, token):
    pub = publication(db, fanpage_channel(db, token), kind="article")
    run_pipeline(app, db)
    post = assert_published_once(db, graph, pub.id)
    title = "Chủ nhật Đỏ 1: hiến máu tình nguyện"
    assert post["link"] == "http://publisher.test" + article_path(pub.content_id, title)
    assert post["link"].startswith(f"http://publisher.test/articles/{pub.content_id}-")
    assert "http" not in post["message"]  # the link travels as the link, not in the words
    assert len(graph.posts(PAGE_ID)) == 1


def _webp(alpha: bool, size: tuple[int, int] = (600, 800)) -> bytes:
    image = Image.new("RGBA" if alpha else "RGB", size, (196, 18, 48, 200)[: 4 if alpha else 3])
    for x in range(0, size[0], 40):  # some detail, so the encoders have work to do
        image.paste((255, 255, 255, 255)[: 4 if alpha else 3], (x, 0, x + 8, size[1]))
    out = io.BytesIO()
    image.save(out, "WEBP", quality=85)
    return out.getvalue()


@pytest.mark.parametrize(
    ("alpha", "magic", "mime"), [(False, JPEG_MAGIC, "image/jpeg"), (True, PNG_MAGIC, "image/png")]
)
def test_webp_poster_arrives_as_a_photo_graph_accepts(app, db, graph, token, alpha, magic, mime):
    processed = process_image(_webp(alpha), max_bytes=10 << 20, max_pixels=40_000_000)
    assert processed.mime == "image/webp"
    asset = Asset(
        sha256=processed.sha256,
        mime=processed.mime,
        filename="ap-phich.webp",
        width=processed.width,
        height=processed.height,
        bytes=len(processed.data),
        data=processed.data,
        thumbnail=processed.thumbnail,
    )
    db.add(asset)
    db.flush()
    pub = publication(db, fanpage_channel(db, token), kind="poster", asset_id=asset.id)
    run_pipeline(app, db)

    post = assert_published_once(db, graph, pub.id)
    assert len(graph.posts(PAGE_ID)) == 1
    photos = graph.photos(PAGE_ID)
    assert len(photos) == 1
    photo = photos[0]
    assert photo["published"] and photo["post_id"] == post["id"]
    assert photo["data"].startswith(magic) and photo["mime"] == mime
    assert len(photo["data"]) <= 4 * 1024 * 1024
    with Image.open(io.BytesIO(photo["data"])) as received:
        assert received.size == (600, 800)
    # A photo has no link preview: the public page's address ends the caption.
    title = "Chủ nhật Đỏ 1: hiến máu tình nguyện"
    assert photo["caption"].endswith(
        "\n\nhttp://publisher.test" + article_path(pub.content_id, title)
    )


def test_an_oversized_poster_is_brought_under_four_megabytes():
    noise = Image.frombytes("RGB", (1600, 1400), os.urandom(1600 * 1400 * 3))
    out = io.BytesIO()
    noise.save(out, "PNG")
    big = MediaFile(filename="to.png", mime="image/png", data=out.getvalue())
    assert len(big.data) > 4 * 1024 * 1024

    small = FanpageAdapter.prepare_media(big)

    assert small.mime == "image/jpeg" and small.filename == "to.jpg"
    assert small.data.startswith(JPEG_MAGIC) and len(small.data) <= 4 * 1024 * 1024
    fine = MediaFile(filename="a.png", mime="image/png", data=PNG_MAGIC + b"x")
    assert photo_for_graph(fine) is fine


# ---- outcome unknown: reconcile, never post twice ---------------------------------------------


def _graph_500_not_stored(graph: GraphEmulator) -> bool:
    graph.inject_error(1, method="POST")
    return False


def _graph_503_after_store(graph: GraphEmulator) -> bool:
    graph.inject_error(2, method="POST", after_store=True)
    return True


def _proxy_502_page(graph: GraphEmulator) -> bool:
    graph.inject_raw(502, "<html><body>502 Bad Gateway</body></html>", method="POST")
    return False


def _dropped_after_store(graph: GraphEmulator) -> bool:
    graph.drop_after_store()
    return True


def _timeout_after_store(graph: GraphEmulator) -> bool:
    graph.delay(TIMEOUT + 1.5, method="POST")  # stored, then answered too late
    return True


def _timeout_not_stored(graph: GraphEmulator) -> bool:
    # Graph failed the request (nothing stored) and its error answer came after our timeout:
    # to the adapter this read timeout looks exactly like the one above.
    graph.inject_error(2, method="POST")
    graph.delay(TIMEOUT + 1.5, method="POST")
    return False


@pytest.mark.parametrize(
    "fault",
    [
        _graph_500_not_stored,
        _graph_503_after_store,
        _proxy_502_page,
        _dropped_after_store,
        _timeout_after_store,
        _timeout_not_stored,
    ],
)
def test_unknown_outcome_is_reconciled_before_posting_again(app, db, graph, token, fault):
    pub = publication(db, fanpage_channel(db, token))
    stored = fault(graph)

    run_pipeline(app, db)

    row = fresh(db, Publication, pub.id)
    assert row.status == "unconfirmed" and row.reconcile is True
    assert row.last_error_class == "unknown" and "đối chiếu" in row.last_error
    assert len(graph.posts(PAGE_ID)) == (1 if stored else 0)
    assert len(post_calls(graph)) == 1

    run_pipeline(app, db)

    post = assert_published_once(db, graph, pub.id)
    assert len(graph.posts(PAGE_ID)) == 1
    lookups = [r for r in graph.requests_log if r.path.endswith("/published_posts")]
    assert len(lookups) == 1
    if stored:
        assert len(post_calls(graph)) == 1, "posted again although the post existed"
        assert outcomes(db, pub.id) == ["unknown", "reconciled_found"]
        assert fresh(db, Publication, pub.id).external_id == post["id"]
    else:
        assert len(post_calls(graph)) == 2
        assert outcomes(db, pub.id) == ["unknown", "reconciled_absent", "published"]


@pytest.mark.parametrize("post_exists", [True, False])
def test_worker_killed_mid_call_is_reaped_and_reconciled(app, db, graph, token, post_exists):
    channel = fanpage_channel(db, token)
    pub = publication(db, channel)
    db.commit()
    started = utcnow() - timedelta(seconds=40)
    if post_exists:
        # The dead worker's call reached Facebook before the worker died.
        adapter = adapter_for(channel)
        adapter.publish(render(db, pub))
        adapter.close()
    pub.status, pub.attempts, pub.attempt_token = "publishing", 1, "dead-worker-token"
    pub.reconcile_since, pub.lease_until = started, utcnow() - timedelta(seconds=1)
    db.add(
        Attempt(
            publication_id=pub.id,
            number=1,
            action="publish",
            token="dead-worker-token",
            started_at=started,
            worker="machine-2:4242",
        )
    )
    before = len(post_calls(graph))

    reports = run_pipeline(app, db)

    assert reports[0].reaped == 1
    post = assert_published_once(db, graph, pub.id)
    assert len(graph.posts(PAGE_ID)) == 1
    row = fresh(db, Publication, pub.id)
    if post_exists:
        assert len(post_calls(graph)) == before == 1
        assert row.external_id == post["id"]
        assert outcomes(db, pub.id) == ["worker_lost", "reconciled_found"]
    else:
        assert before == 0 and len(post_calls(graph)) == 1
        assert outcomes(db, pub.id) == ["worker_lost", "reconciled_absent", "published"]


def test_unconfirmed_row_past_its_deadline_is_reconciled_not_expired(app, db, graph, token):
    channel = fanpage_channel(db, token)
    pub = publication(db, channel)
    db.commit()
    adapter = adapter_for(channel)
    result = adapter.publish(render(db, pub))
    adapter.close()
    now = utcnow()
    # Claimed for reconciliation, then its job vanished (Redis restarted) past the deadline.
    pub.status, pub.reconcile, pub.attempts = "queued", True, 1
    pub.reconcile_since, pub.queued_at = now - timedelta(minutes=3), now - timedelta(minutes=2)
    pub.expires_at, pub.job_id = now - timedelta(seconds=5), "deliver-gone"

    run_pipeline(app, db)

    assert_published_once(db, graph, pub.id)
    assert fresh(db, Publication, pub.id).external_id == result.external_id
    assert len(graph.posts(PAGE_ID)) == 1 and len(post_calls(graph)) == 1


def test_reconcile_looks_only_after_the_uncertain_call(app, db, graph, token):
    """The same words posted before the uncertain call (by hand, a reminder) are not our post."""
    channel = fanpage_channel(db, token)
    pub = publication(db, channel)
    message = compose_message(render(db, pub))
    graph.inject_error(17, method="POST")  # the first attempt is refused: nothing posted
    run_pipeline(app, db)
    assert fresh(db, Publication, pub.id).status == "scheduled"
    # Three hours later (the first attempt's start is backdated to say so); an editor posted
    # the same words by hand in between, and the next call's outcome is unknown.
    hand_made = graph.add_post(PAGE_ID, message, created_time=utcnow() - timedelta(hours=2))
    set_row(db, Channel, channel.id, paused_until=None)
    set_row(
        db,
        Publication,
        pub.id,
        next_attempt_at=utcnow() - timedelta(seconds=1),
        reconcile_since=utcnow() - timedelta(hours=3),
    )
    graph.inject_error(1, method="POST")

    run_pipeline(app, db, rounds=2)

    row = fresh(db, Publication, pub.id)
    assert row.status == "published" and row.external_id != hand_made
    assert [p["id"] for p in graph.posts(PAGE_ID)] == [hand_made, row.external_id]
    assert outcomes(db, pub.id) == ["rate_limited", "unknown", "reconciled_absent", "published"]


class ThreadWorker(EmbeddedWorker):
    """A worker off the main thread: RQ's default job timeout needs SIGALRM (main thread only)."""

    death_penalty_class = TimerDeathPenalty


def test_a_worker_whose_lease_ran_out_never_posts(database_url, tmp_path, app, db, graph, token):
    """A slow lookup outlives the lease; the row is reaped and posted by another worker. The
    slow worker must notice the row is no longer its own instead of posting a second time."""
    race = create_app(
        app_config(
            database_url,
            tmp_path / "race",
            FACEBOOK_GRAPH_URL=graph.base_url,
            CHANNEL_TIMEOUT_SECONDS=10,
            LEASE_SECONDS=0.5,
            RETRY_BACKOFF_SECONDS=(0.0,),
        )
    )
    errors: list[BaseException] = []

    def other_machine() -> None:
        try:
            with race.app_context():
                deadline = time.monotonic() + 8
                while time.monotonic() < deadline:  # until the slow worker holds the row
                    status = publisher_db.session.scalar(
                        select(Publication.status).where(Publication.id == pub.id)
                    )
                    publisher_db.session.commit()
                    if status == "publishing":
                        break
                    time.sleep(0.02)
                while time.monotonic() < deadline:  # until its lease runs out and is reaped
                    if dispatch_once().reaped:
                        break
                    time.sleep(0.05)
            queue = race.extensions["jobqueue"]
            worker = ThreadWorker(queue.queues(), connection=queue.redis)
            worker.app = race
            worker.work(burst=True, logging_level="WARNING", with_scheduler=False)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    try:
        pub = publication(db, fanpage_channel(db, token))
        graph.inject_error(1, method="POST")
        run_pipeline(race, db)
        assert fresh(db, Publication, pub.id).status == "unconfirmed"
        graph.delay(2.5, method="GET", path_contains="published_posts")  # the slow lookup
        thread = threading.Thread(target=other_machine)
        thread.start()
        run_pipeline(race, db)
        thread.join(10)
        assert not thread.is_alive() and errors == []

        assert_published_once(db, graph, pub.id)
        assert len(graph.posts(PAGE_ID)) == 1
        assert len(post_calls(graph)) == 2  # the first, failed call and the other worker's
        assert "lost" in outcomes(db, pub.id)
    finally:
        clean_database(race)


def test_lookup_refused_leaves_the_row_for_a_person(app, db, graph, token, admin, client):
    pub = publication(db, fanpage_channel(db, token))
    graph.inject_error(2, method="POST", after_store=True)  # posted, but answered 503
    run_pipeline(app, db)
    graph.inject_error(
        100,
        method="GET",
        path_contains="published_posts",
        message="(#100) Tried accessing nonexisting field (message)",
    )

    run_pipeline(app, db)

    row = fresh(db, Publication, pub.id)
    assert row.status == "unconfirmed" and row.reconcile is True  # not "failed": it may exist
    assert "check by hand" in row.last_error and "nonexisting field" in row.last_error
    assert row.next_attempt_at > utcnow() + timedelta(hours=23)
    assert len(graph.posts(PAGE_ID)) == 1 and len(post_calls(graph)) == 1

    # Facebook answers again; the editor asks for another look now.
    answer = api(client, db, "POST", f"/api/v1/publications/{pub.id}/retry", admin, json={})
    assert answer.status_code == 200
    run_pipeline(app, db)

    assert_published_once(db, graph, pub.id)
    assert len(post_calls(graph)) == 1


def test_row_held_while_unconfirmed_is_still_reconciled_after_its_deadline(app, db, graph, token):
    channel = fanpage_channel(db, token)
    uncertain = publication(db, channel, 1)
    graph.inject_error(2, method="POST", after_store=True)  # posted, but answered 503
    run_pipeline(app, db)
    assert fresh(db, Publication, uncertain.id).status == "unconfirmed"
    # Another row of the channel goes first and meets the Page's limit; the channel rests
    # while the uncertain row waits in the queue.
    other = publication(db, channel, 2)
    set_row(db, Publication, other.id, next_attempt_at=utcnow() - timedelta(minutes=10))
    graph.inject_error(32, method="POST", extra_headers=buc_usage(minutes=5))

    run_pipeline(app, db)

    row = fresh(db, Publication, uncertain.id)
    assert row.status == "unconfirmed" and row.reconcile is True and row.attempts == 1
    assert outcomes(db, uncertain.id) == ["unknown"]
    # The drive is over before the channel may call again: the post exists all the same.
    past = utcnow() - timedelta(seconds=1)
    set_row(db, Publication, uncertain.id, expires_at=past, next_attempt_at=past)
    set_row(db, Channel, channel.id, paused_until=past)
    set_row(db, Publication, other.id, next_attempt_at=past)
    run_pipeline(app, db)

    assert_published_once(db, graph, uncertain.id)
    assert_published_once(db, graph, other.id)
    assert len(graph.posts(PAGE_ID)) == 2 and len(post_calls(graph)) == 3


# ---- rate limits and throttling ------------------------------------------------------------


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80001])
def test_rate_limit_pauses_the_channel_and_reschedules(app, db, graph, token, admin, client, code):
    channel = fanpage_channel(db, token)
    first, second = publication(db, channel, 1), publication(db, channel, 2)
    graph.inject_error(code, method="POST", extra_headers=buc_usage(minutes=7))

    run_pipeline(app, db)

    now = utcnow()
    wait = timedelta(minutes=7)
    ch = fresh(db, Channel, channel.id)
    assert now + wait - timedelta(seconds=30) < ch.paused_until <= now + wait
    for pub in (first, second):
        row = fresh(db, Publication, pub.id)
        assert row.status == "scheduled"
        assert row.attempts == 0  # a limit is not the publication's fault
        assert now + wait - timedelta(seconds=30) < row.next_attempt_at <= now + wait
    assert f"Facebook {code}" in fresh(db, Publication, first.id).last_error
    assert fresh(db, Publication, second.id).last_error == ch.health_reason
    assert outcomes(db, first.id) == ["rate_limited"]
    assert outcomes(db, second.id) == []  # held by the pause, never called
    assert len(post_calls(graph)) == 1 and graph.posts(PAGE_ID) == []
    health = api(client, db, "GET", f"/api/v1/channels/{channel.id}", admin).get_json()["health"]
    assert health["status"] == "paused" and health["until"]
    assert "giới hạn" in health["reason"]

    run_pipeline(app, db)  # still resting: nothing is called
    assert len(post_calls(graph)) == 1

    # Seven minutes later.
    past = utcnow() - timedelta(seconds=1)
    set_row(db, Channel, channel.id, paused_until=past)
    for pub in (first, second):
        set_row(db, Publication, pub.id, next_attempt_at=past)
    run_pipeline(app, db)

    for pub in (first, second):
        assert_published_once(db, graph, pub.id)
        assert fresh(db, Publication, pub.id).attempts == 1
    assert len(graph.posts(PAGE_ID)) == 2


def test_policy_block_pauses_the_channel_for_hours(app, db, graph, token):
    channel = fanpage_channel(db, token)
    pub = publication(db, channel)
    graph.inject_error(368, 1390008, method="POST")

    run_pipeline(app, db)

    row, ch = fresh(db, Publication, pub.id), fresh(db, Channel, channel.id)
    assert row.status == "scheduled" and row.attempts == 0
    assert row.next_attempt_at > utcnow() + timedelta(hours=5)
    assert ch.paused_until > utcnow() + timedelta(hours=5)
    assert "deemed abusive" in row.last_error and "tạm chặn" in row.last_error
    assert graph.posts(PAGE_ID) == []


def test_usage_near_the_limit_throttles_the_channel(app, db, graph, token, admin, client):
    channel = fanpage_channel(db, token)
    first, second = publication(db, channel, 1), publication(db, channel, 2)
    graph.set_usage(app=85)  # every answer says 85 %: slow down before Graph refuses

    run_pipeline(app, db)

    assert_published_once(db, graph, first.id)
    ch = fresh(db, Channel, channel.id)
    assert utcnow() + timedelta(seconds=30) < ch.paused_until <= utcnow() + timedelta(seconds=75)
    row = fresh(db, Publication, second.id)
    assert row.status == "scheduled" and row.attempts == 0
    assert row.next_attempt_at == ch.paused_until
    assert len(graph.posts(PAGE_ID)) == 1 and len(post_calls(graph)) == 1
    health = api(client, db, "GET", f"/api/v1/channels/{channel.id}", admin).get_json()["health"]
    assert health["status"] == "paused"


# ---- broken credentials: flag the channel, hold its publications -----------------------------


def _break_token(graph: GraphEmulator, token: str, code: int, subcode: int | None) -> None:
    if code == 102:
        graph.inject_error(102, method="POST", sticky=True)
    elif subcode == 463:
        graph.set_token_expiry(token, expires_at=utcnow() - timedelta(hours=1))
    else:
        graph.invalidate_token(token, subcode)


@pytest.mark.parametrize(("code", "subcode"), [(190, 460), (190, 463), (102, None)])
def test_unusable_token_flags_the_channel_and_holds_until_new_token(
    app, db, graph, token, admin, client, code, subcode
):
    channel = fanpage_channel(db, token)
    pubs = [publication(db, channel, n) for n in (1, 2, 3)]
    _break_token(graph, token, code, subcode)

    run_pipeline(app, db, rounds=2)

    ch = fresh(db, Channel, channel.id)
    assert ch.health_status == "needs_attention"
    assert "Mã truy cập của Trang không dùng được" in ch.health_reason
    assert (f"Facebook {code}/{subcode}" if subcode else "Facebook 102") in ch.health_reason
    assert len(post_calls(graph)) == 1  # the others were never attempted
    for pub in pubs:
        row = fresh(db, Publication, pub.id)
        assert row.status == "scheduled" and row.attempts == 0
        assert row.last_error == ch.health_reason  # each held row says why it waits
    assert outcomes(db, pubs[1].id) == outcomes(db, pubs[2].id) == []
    health = api(client, db, "GET", f"/api/v1/channels/{channel.id}", admin).get_json()["health"]
    assert health["status"] == "needs_attention" and "cấp lại quyền" in health["reason"]

    # An admin re-authorises the Page and pastes the new token.
    graph.clear_faults()
    graph.add_token("EAANEWPAGETOKEN", PAGE_ID)
    answer = api(
        client,
        db,
        "PATCH",
        f"/api/v1/channels/{channel.id}",
        admin,
        json={"settings": {"access_token": "EAANEWPAGETOKEN"}},
    )
    assert answer.status_code == 200 and answer.get_json()["health"]["status"] == "ok"

    run_pipeline(app, db)

    for pub in pubs:
        assert_published_once(db, graph, pub.id)
        assert fresh(db, Publication, pub.id).attempts == 1
    assert len(graph.posts(PAGE_ID)) == 3


def test_every_unusable_token_is_named_in_the_channel_reason(app, db, graph, token):
    """The other 190 subcodes take the path above; each gets its own words for the admin."""
    reasons = {
        458: "gỡ ứng dụng",
        459: "checkpoint",
        464: "chưa được xác minh",
        467: "đã đăng xuất",
        492: "không còn vai trò quản trị",
    }
    channel = fanpage_channel(db, token)
    for n, (subcode, words) in enumerate(reasons.items(), start=1):
        new_token = f"EAAPAGETOKEN{subcode}"
        graph.add_token(new_token, PAGE_ID)
        update_channel(
            db,
            fresh(db, Channel, channel.id),
            {"settings": {"access_token": new_token}},
            secret_key=current_app.config["SETTINGS"].SECRET_KEY,
        )
        set_row(db, Channel, channel.id, health_checked_at=utcnow())
        graph.invalidate_token(new_token, subcode)
        pub = publication(db, channel, n)

        run_pipeline(app, db)

        ch = fresh(db, Channel, channel.id)
        assert ch.health_status == "needs_attention"
        assert f"Facebook 190/{subcode}" in ch.health_reason and words in ch.health_reason
        assert fresh(db, Publication, pub.id).status == "scheduled"
    assert graph.posts(PAGE_ID) == []


@pytest.mark.parametrize("code", [10, 200])
def test_missing_permission_holds_until_a_check_passes(app, db, graph, token, admin, client, code):
    channel = fanpage_channel(db, token)
    first, second = publication(db, channel, 1), publication(db, channel, 2)
    if code == 200:
        graph.set_scopes(token, ["pages_read_engagement", "pages_show_list"])
    else:
        graph.inject_error(10, method="POST")

    run_pipeline(app, db)

    ch = fresh(db, Channel, channel.id)
    assert ch.health_status == "needs_attention" and "thiếu quyền" in ch.health_reason
    for pub in (first, second):
        row = fresh(db, Publication, pub.id)
        assert row.status == "scheduled" and row.attempts == 0
        assert f"Facebook {code}" in row.last_error and "thiếu quyền" in row.last_error
    assert graph.posts(PAGE_ID) == [] and len(post_calls(graph)) == 1

    graph.set_scopes(token, ["pages_manage_posts", "pages_read_engagement", "pages_show_list"])
    answer = api(client, db, "POST", f"/api/v1/channels/{channel.id}/check", admin)
    assert answer.status_code == 200
    assert answer.get_json()["health"]["status"] == "ok"

    run_pipeline(app, db)

    for pub in (first, second):
        assert_published_once(db, graph, pub.id)
    assert len(graph.posts(PAGE_ID)) == 2


# ---- permanent refusals --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "subcode", "graph_text", "kind"),
    [
        (100, None, "(#100) Invalid parameter", "script"),
        (506, None, "(#506) Duplicate status message", "script"),
        (324, 1366046, "(#324) Requires upload file", "poster"),
    ],
)
def test_permanent_refusal_fails_with_the_graph_message(
    app, db, graph, token, admin, client, code, subcode, graph_text, kind
):
    extra = {}
    if kind == "poster":
        processed = process_image(
            _webp(False, (300, 400)), max_bytes=10 << 20, max_pixels=40_000_000
        )
        asset = Asset(
            sha256=processed.sha256,
            mime=processed.mime,
            filename="p.webp",
            width=300,
            height=400,
            bytes=len(processed.data),
            data=processed.data,
            thumbnail=processed.thumbnail,
        )
        db.add(asset)
        db.flush()
        extra["asset_id"] = asset.id
    channel = fanpage_channel(db, token)
    pub = publication(db, channel, kind=kind, **extra)
    graph.inject_error(code, subcode, method="POST")

    run_pipeline(app, db, rounds=2)

    row = fresh(db, Publication, pub.id)
    assert row.status == "failed" and row.attempts == 1 and row.reconcile is False
    assert row.last_error_class == "permanent"
    assert graph_text in row.last_error  # the editor sees what Facebook said
    assert fresh(db, Channel, channel.id).health_status == "ok"
    assert graph.posts(PAGE_ID) == [] and len(post_calls(graph)) == 1
    shown = api(client, db, "GET", f"/api/v1/publications/{pub.id}", admin).get_json()
    assert graph_text in shown["last_error"]
    assert shown["attempt_log"][0]["outcome"] == "permanent"


# ---- withdrawing ---------------------------------------------------------------------------


@pytest.mark.parametrize("already_gone", [False, True])
def test_cancelling_a_published_post_deletes_it(app, db, graph, token, admin, client, already_gone):
    pub = publication(db, fanpage_channel(db, token))
    run_pipeline(app, db)
    post = assert_published_once(db, graph, pub.id)
    if already_gone:  # someone deleted it by hand on Facebook
        answer = requests.delete(
            f"{graph.base_url}/v25.0/{post['id']}",
            params={"access_token": token, "appsecret_proof": appsecret_proof(APP_SECRET, token)},
            timeout=5,
        )
        assert answer.json() == {"success": True}
    graph.clear_log()

    answer = api(client, db, "POST", f"/api/v1/publications/{pub.id}/cancel", admin)
    assert answer.status_code == 200 and answer.get_json()["withdraw_pending"] is True
    run_pipeline(app, db)

    row = fresh(db, Publication, pub.id)
    assert row.status == "cancelled" and row.withdrawn_at is not None
    assert row.withdraw_pending is False
    assert graph.posts(PAGE_ID) == []
    deletes = [r for r in graph.requests_log if r.method == "DELETE"]
    assert len(deletes) == 1 and deletes[0].status == (400 if already_gone else 200)


def test_withdrawal_with_a_broken_token_waits_for_the_new_token(
    app, db, graph, token, admin, client
):
    channel = fanpage_channel(db, token)
    pub = publication(db, channel)
    run_pipeline(app, db)
    assert_published_once(db, graph, pub.id)
    graph.invalidate_token(token, 467)

    api(client, db, "POST", f"/api/v1/publications/{pub.id}/cancel", admin)
    run_pipeline(app, db, rounds=2)

    row = fresh(db, Publication, pub.id)
    assert row.status == "published" and row.withdraw_pending is True
    assert "chờ kênh được sửa" in row.last_error
    assert fresh(db, Channel, channel.id).health_status == "needs_attention"
    assert len([r for r in graph.requests_log if r.method == "DELETE"]) == 1
    assert len(graph.posts(PAGE_ID)) == 1

    graph.add_token("EAANEWPAGETOKEN", PAGE_ID)
    api(
        client,
        db,
        "PATCH",
        f"/api/v1/channels/{channel.id}",
        admin,
        json={"settings": {"access_token": "EAANEWPAGETOKEN"}},
    )
    run_pipeline(app, db)

    row = fresh(db, Publication, pub.id)
    assert row.status == "cancelled" and row.withdraw_pending is False
    assert graph.posts(PAGE_ID) == []


# ---- token health --------------------------------------------------------------------------


def test_daily_token_check_flags_an_invalid_token_and_holds_the_channel(app, db, graph, token):
    expected = "không hợp lệ hoặc đã bị thu hồi"
    channel = fanpage_channel(db, token, checked=False)
    pub = publication(db, channel)
    pub.next_attempt_at = utcnow() + timedelta(seconds=2)  # due after the first check
    graph.invalidate_token(token, 460)

    reports = run_pipeline(app, db)

    assert reports[0].extra["token_checks"] == 1
    ch = fresh(db, Channel, channel.id)
    assert ch.health_status == "needs_attention"
    assert expected in ch.health_reason and "cấp lại quyền" in ch.health_reason
    assert ch.health_checked_at is not None
    # Checked now: the next check is a day away.
    with app.app_context():
        assert dispatch_once().extra["token_checks"] == 0
        assert dispatch_once(utcnow() + timedelta(hours=25)).extra["token_checks"] == 1
    set_row(db, Publication, pub.id, next_attempt_at=utcnow() - timedelta(seconds=1))
    run_pipeline(app, db)
    row = fresh(db, Publication, pub.id)
    assert row.status == "scheduled" and row.attempts == 0  # held, not attempted
    assert expected in row.last_error
    assert post_calls(graph) == [] and graph.posts(PAGE_ID) == []


@pytest.mark.parametrize(
    ("spoil", "expected"),
    [
        (
            lambda g, t: g.set_token_expiry(t, expires_at=utcnow() + timedelta(days=3)),
            "Mã truy cập sẽ hết hạn sau 2 ngày",
        ),
        (
            lambda g, t: g.set_token_expiry(
                t, data_access_expires_at=utcnow() + timedelta(hours=5)
            ),
            "Quyền truy cập dữ liệu sẽ hết hạn sau chưa đầy 1 ngày",
        ),
    ],
)
def test_daily_token_check_flags_a_soon_expiring_token_but_keeps_posting(
    app, db, graph, token, client, admin, spoil, expected
):
    channel = fanpage_channel(db, token, checked=False)
    pub = publication(db, channel)
    pub.next_attempt_at = utcnow() + timedelta(seconds=2)  # due after the first check
    spoil(graph, token)

    reports = run_pipeline(app, db)

    assert reports[0].extra["token_checks"] == 1
    ch = fresh(db, Channel, channel.id)
    assert ch.health_status == "expiring"
    assert expected in ch.health_reason and "cấp lại quyền" in ch.health_reason
    shown = api(client, db, "GET", f"/api/v1/channels/{channel.id}", admin).get_json()
    assert shown["health"]["status"] == "needs_attention"
    assert expected in shown["health"]["reason"]
    # Flagged for people, not held: the token still works until it lapses.
    set_row(db, Publication, pub.id, next_attempt_at=utcnow() - timedelta(seconds=1))
    run_pipeline(app, db)
    row = fresh(db, Publication, pub.id)
    assert row.status == "published" and row.attempts == 1
    assert len(graph.posts(PAGE_ID)) == 1


def test_check_action_returns_the_new_health(app, db, graph, token, admin, client):
    channel = fanpage_channel(db, token, checked=False)
    db.commit()

    healthy = api(client, db, "POST", f"/api/v1/channels/{channel.id}/check", admin)
    assert healthy.status_code == 200
    assert healthy.get_json()["health"]["status"] == "ok"
    assert healthy.get_json()["health"]["checked_at"]
    assert [r.path for r in graph.requests_log] == ["/v25.0/debug_token"]

    graph.set_token_expiry(token, expires_at=utcnow() + timedelta(days=2, hours=1))
    soon = api(client, db, "POST", f"/api/v1/channels/{channel.id}/check", admin).get_json()
    assert soon["health"]["status"] == "needs_attention"
    assert "sẽ hết hạn sau 2 ngày" in soon["health"]["reason"]
    assert soon["health"]["token_expires_at"]

    graph.set_token_expiry(token, expires_at=0)  # re-authorised with a non-expiring token
    again = api(client, db, "POST", f"/api/v1/channels/{channel.id}/check", admin).get_json()
    assert (again["health"]["status"], again["health"]["reason"]) == ("ok", "")
    assert graph.posts(PAGE_ID) == []
