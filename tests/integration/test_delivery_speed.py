"""On time and cheap: the dispatcher wakes for due work, channels are prepared once, phases
are timed only when a benchmark asks."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from content_library.db import utcnow
from content_library.models import ContentItem
from publisher import create_app
from publisher.db import db as database
from publisher.delivery.channels import delivery_adapter, update_channel
from publisher.delivery.dispatch import claim_due, dispatch_once, run_dispatcher
from publisher.delivery.models import Channel, Publication
from tests.conftest import app_config, clean_database
from tests.factories import approved_content, due_publication, webhook_channel
from tests.fakes.receiver import Receiver
from tests.servers import service_env, start_publisher
from tests.unit.adapter_fixtures import post

# The receivers listen on 127.0.0.1.
pytestmark = pytest.mark.settings(OUTBOUND_ALLOW_PRIVATE=True)


@pytest.fixture(params=["embedded", "redis"])
def sleepy_app(request, database_url, tmp_path):
    """An app whose dispatcher's longest sleep is far longer than any test waits."""
    redis = request.getfixturevalue("redis_url") if request.param == "redis" else None
    application = create_app(
        app_config(
            database_url,
            tmp_path,
            REDIS_URL=redis,
            DISPATCH_TICK_SECONDS=60,
            OUTBOUND_ALLOW_PRIVATE=True,
        )
    )
    yield application
    clean_database(application)


def _queued_at(app, pub_id: int, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            row = database.session.get(Publication, pub_id)
            if row.status == "queued":
                return row.queued_at, row.scheduled_at
        time.sleep(0.05)
    return None, None


def test_dispatcher_is_rung_by_a_new_publication_and_sleeps_until_it_is_due(sleepy_app):
    app = sleepy_app
    with Receiver() as receiver, app.app_context():
        item = approved_content(database.session)
        channel = webhook_channel(database.session, receiver.url)
        database.session.commit()
        item_id, channel_id = item.id, channel.id
    stop = threading.Event()
    thread = threading.Thread(target=run_dispatcher, args=(app,), kwargs={"stop": stop})
    thread.start()
    try:
        time.sleep(1.0)  # the first pass is over: the dispatcher sleeps (up to 60 s)
        with app.app_context():
            # Due now: the commit's ring must wake it, not the 60 s tick.
            item, channel = (
                database.session.get(ContentItem, item_id),
                database.session.get(Channel, channel_id),
            )
            now_pub = due_publication(database.session, item, channel)
            database.session.commit()
            now_id = now_pub.id
        queued_at, _ = _queued_at(app, now_id, 5)
        assert queued_at is not None, "a due publication waited for the tick"

        with app.app_context():
            # Due in 1.5 s: woken by the commit, the dispatcher sleeps until then, no longer.
            item, channel = (
                database.session.get(ContentItem, item_id),
                database.session.get(Channel, channel_id),
            )
            later = due_publication(
                database.session, item, channel, at=utcnow() + timedelta(seconds=1.5)
            )
            database.session.commit()
            later_id = later.id
        queued_at, scheduled_at = _queued_at(app, later_id, 6)
        assert queued_at is not None, "a publication due soon waited for the tick"
        assert queued_at >= scheduled_at  # never claimed early
        assert queued_at - scheduled_at < timedelta(seconds=1.5)
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


def test_a_stopped_dispatcher_returns_within_a_second_of_the_stop(sleepy_app):
    stop = threading.Event()
    thread = threading.Thread(target=run_dispatcher, args=(sleepy_app,), kwargs={"stop": stop})
    thread.start()
    time.sleep(0.5)
    stopped = time.monotonic()
    stop.set()
    thread.join(5)
    assert not thread.is_alive()
    assert time.monotonic() - stopped < 2.0


def test_prepared_channel_follows_a_rotated_secret_and_keeps_its_http_session(app, db):
    channel = webhook_channel(db, "http://127.0.0.1:9/hook", secret="first-secret-0123456789")
    db.commit()
    first = delivery_adapter(channel)
    again = delivery_adapter(channel)
    assert first.config.settings["secret"] == "first-secret-0123456789"
    # Same channel, same configuration: the connections are reused, the secret not decrypted again.
    assert again.session is first.session
    assert again.config is first.config

    update_channel(
        db,
        channel,
        {"settings": {"secret": "second-secret-0123456789"}},
        secret_key=app.config["SETTINGS"].SECRET_KEY,
    )
    db.commit()
    rotated = delivery_adapter(channel)
    assert rotated.config.settings["secret"] == "second-secret-0123456789"
    assert rotated.config is not first.config


def test_the_dispatcher_claims_a_batch_once_and_enqueues_it_in_due_order(app, db):
    item = approved_content(db)
    channel = webhook_channel(db, "http://127.0.0.1:9/hook")
    now = utcnow()
    # Created in one order, due in another.
    late = due_publication(db, item, channel, at=now - timedelta(seconds=1))
    early = due_publication(db, item, channel, at=now - timedelta(seconds=3))
    middle = due_publication(db, item, channel, at=now - timedelta(seconds=2))
    later = due_publication(db, item, channel, at=now + timedelta(hours=1))
    db.commit()
    queue = app.extensions["jobqueue"]

    assert claim_due(queue, utcnow()) == (3, 0)
    db.expire_all()
    rows = {p.id: p for p in db.scalars(select(Publication))}
    assert {rows[p.id].status for p in (early, middle, late)} == {"queued"}
    assert rows[later.id].status == "scheduled"
    jobs = queue.queue().get_jobs()
    assert [job.args for job in jobs] == [(early.id,), (middle.id,), (late.id,)]
    # Each row names its job, so a job Redis loses can be put back.
    assert [job.id for job in jobs] == [rows[p.id].job_id for p in (early, middle, late)]
    assert claim_due(queue, utcnow()) == (0, 0)  # claimed once
    db.rollback()


PROXY_VARIABLES = (
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
)


def test_a_prepared_channel_follows_the_proxies_in_the_environment(app, db, monkeypatch):
    """The kept session reads the proxy settings cheaply, but a proxy set, bypassed or
    removed in the environment still applies to the very next delivery."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    with Receiver() as receiver, Receiver() as proxy:
        channel = webhook_channel(db, receiver.url)
        db.commit()

        def deliver_one(number: int) -> None:
            adapter = delivery_adapter(channel)
            adapter.publish(post(publication_id=number))

        deliver_one(1)  # no proxy: straight to the receiver
        assert (len(receiver.requests), len(proxy.requests)) == (1, 0)

        proxy_url = proxy.url.rsplit("/", 1)[0]
        monkeypatch.setenv("HTTP_PROXY", proxy_url)
        deliver_one(2)  # through the proxy, which a plain request to it would not reach
        assert (len(receiver.requests), len(proxy.requests)) == (1, 1)
        assert proxy.requests[-1]["key"] == "pub-2-abc"

        monkeypatch.setenv("no_proxy", "127.0.0.1")
        deliver_one(3)  # bypassed for this host
        assert (len(receiver.requests), len(proxy.requests)) == (2, 1)

        monkeypatch.delenv("no_proxy")
        monkeypatch.setenv("http_proxy", proxy_url)  # lower case, as curl spells it
        monkeypatch.delenv("HTTP_PROXY")
        deliver_one(4)
        assert (len(receiver.requests), len(proxy.requests)) == (2, 2)

        monkeypatch.delenv("http_proxy")
        deliver_one(5)
        assert (len(receiver.requests), len(proxy.requests)) == (3, 2)
        # All five went through the one kept session.
        assert delivery_adapter(channel).session is delivery_adapter(channel).session


def test_phase_timings_are_written_only_when_asked(database_url, redis_url, tmp_path: Path):
    if not database_url.startswith("postgresql"):
        pytest.skip("the forking worker runs against PostgreSQL here")
    config = app_config(database_url, tmp_path, REDIS_URL=redis_url, OUTBOUND_ALLOW_PRIVATE=True)
    app = create_app(config)
    phase_log = tmp_path / "phases.jsonl"
    try:
        with Receiver() as receiver:
            with app.app_context():
                item = approved_content(database.session)
                channel = webhook_channel(database.session, receiver.url)
                pub = due_publication(database.session, item, channel)
                database.session.commit()
                pub_id = pub.id
                dispatch_once()
            env = service_env(
                DATABASE_URL=database_url,
                REDIS_URL=redis_url,
                SECRET_KEY=config["SECRET_KEY"],
                QUEUE_PREFIX=config["QUEUE_PREFIX"],
                PUBLIC_BASE_URL=config["PUBLIC_BASE_URL"],
                PUBLISHER_PHASE_LOG=str(phase_log),
                OUTBOUND_ALLOW_PRIVATE="1",  # the receiver listens on 127.0.0.1
            )
            worker = start_publisher("worker", ["worker", "--burst"], env, tmp_path)
            try:
                assert worker.wait(120) == 0, worker.output()
            finally:
                worker.stop()
            assert len(receiver.requests) == 1
        with app.app_context():
            status = database.session.scalar(
                select(Publication.status).where(Publication.id == pub_id)
            )
        assert status == "published"
        lines = [json.loads(line) for line in phase_log.read_text().splitlines()]
        # The horse's line (it made the call), then the worker's share of the same job:
        # it prepared the delivery before the fork and recorded the outcome after.
        assert len(lines) == 2, lines
        horse, worker_share = lines
        assert "+" not in horse and worker_share.pop("+") == 1
        for name in ("fork", "http", "rq"):
            seconds, faults = horse[name]
            assert seconds >= 0 and faults >= 0, name
        for name in ("connection", "claim", "loads", "render", "outcome"):
            seconds, faults = worker_share[name]
            assert seconds >= 0 and faults >= 0, name
        assert "claim" not in horse and "http" not in worker_share
        assert horse["http"][0] > 0
    finally:
        clean_database(app)
