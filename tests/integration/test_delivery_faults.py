"""Faults on a real Redis and PostgreSQL, with real `publisher worker` and `dispatch` processes.

Each test has a Redis of its own (so it may kill or flush it) and counts deliveries at a
real HTTP receiver: every publication must arrive once (by idempotency key) or end with
a reason.
"""

from __future__ import annotations

import secrets
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from publisher.delivery.dispatch import dispatch_once
from publisher.delivery.models import Publication
from tests.conftest import app_config, clean_database, migrate_and_seed_communes
from tests.factories import approved_content, due_publication, webhook_channel
from tests.fakes.receiver import Receiver
from tests.servers import RedisServer, Service, service_env, start_publisher, wait_until

pytestmark = pytest.mark.slow

FAST = {
    "LEASE_SECONDS": "4",
    "VANISHED_JOB_SECONDS": "1",
    "RETRY_BACKOFF_SECONDS": "1,1,2",
    "CHANNEL_TIMEOUT_SECONDS": "8",
    "DISPATCH_TICK_SECONDS": "0.3",
    # The webhook receiver listens on 127.0.0.1.
    "OUTBOUND_ALLOW_PRIVATE": "1",
}


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


@pytest.fixture
def world(postgres_url, private_redis, tmp_path):
    """An app on PostgreSQL and the private Redis, plus the environment for CLI processes."""
    from publisher import create_app

    migrate_and_seed_communes(postgres_url)
    prefix = f"faults-{secrets.token_hex(3)}"
    secret = "fault-test-secret-key-0123456789"
    config = app_config(
        postgres_url,
        tmp_path,
        REDIS_URL=private_redis.url,
        QUEUE_PREFIX=prefix,
        SECRET_KEY=secret,
        **FAST,
    )
    app = create_app(config)
    env = service_env(
        DATABASE_URL=postgres_url,
        REDIS_URL=private_redis.url,
        QUEUE_PREFIX=prefix,
        SECRET_KEY=secret,
        PUBLIC_BASE_URL="http://publisher.test",
        **FAST,
    )
    processes: list[Service] = []

    def spawn(*args: str) -> Service:
        process = start_publisher(f"{args[0]}-{len(processes)}", list(args), env, tmp_path)
        processes.append(process)
        return process

    spawn.processes = processes  # type: ignore[attr-defined]
    yield app, spawn
    for process in processes:
        process.stop(signal.SIGKILL, timeout=5)
    clean_database(app)


def make_publications(app, receiver: Receiver, count: int) -> list[int]:
    from publisher.db import db

    with app.app_context():
        item = approved_content(db.session)
        channel = webhook_channel(db.session, receiver.url)
        ids = [due_publication(db.session, item, channel).id for _ in range(count)]
        db.session.commit()
    return ids


def statuses(app) -> dict[str, int]:
    from publisher.db import db

    with app.app_context():
        rows = db.session.execute(
            select(Publication.status, func.count()).group_by(Publication.status)
        ).all()
        db.session.rollback()
    return dict(rows)


def dispatch(app) -> None:
    with app.app_context():
        dispatch_once()


def logs(spawn) -> str:
    """The last lines each process started by ``spawn`` wrote, for a failure's message."""
    return "\n".join(f"--- {p.name}\n{p.output()[-3000:]}" for p in spawn.processes)


def test_worker_killed_mid_delivery_is_delivered_exactly_once(world, receiver):
    app, spawn = world
    receiver.slow(6.0, times=1)
    [pub_id] = make_publications(app, receiver, 1)
    spawn("worker")
    dispatch(app)
    wait_until(lambda: len(receiver.requests) == 1, 20, "the delivery to reach the receiver")
    # The receiver holds the answer: kill the worker and its work horse while the call is open.
    for process in list(spawn.processes):
        process.stop(signal.SIGKILL)
    assert statuses(app) == {"publishing": 1}
    time.sleep(float(FAST["LEASE_SECONDS"]) + 0.5)
    dispatch(app)  # reaps the lease: unconfirmed, then claims it again for reconciliation
    spawn("worker")
    wait_until(
        lambda: statuses(app) == {"published": 1},
        30,
        lambda: f"publication {pub_id} to be published\n{logs(spawn)}",
    )
    # The resend carries the same Idempotency-Key: the receiver counts one delivery.
    assert receiver.delivered_keys() == {receiver.requests[0]["key"]}
    assert all(r["key"] == receiver.requests[0]["key"] for r in receiver.requests)
    assert receiver.bad_signatures == 0


@pytest.mark.parametrize(
    "worker_args", [["worker"], ["worker", "--no-fork"]], ids=["forking", "in-process"]
)
def test_redis_flushed_while_queued_loses_nothing(world, receiver, private_redis, worker_args):
    app, spawn = world
    ids = make_publications(app, receiver, 30)
    dispatch(app)
    assert statuses(app) == {"queued": 30}
    redis.Redis.from_url(private_redis.url).flushall()
    time.sleep(float(FAST["VANISHED_JOB_SECONDS"]) + 0.2)
    spawn("dispatch")
    spawn(*worker_args)
    wait_until(
        lambda: statuses(app) == {"published": 30},
        60,
        lambda: f"all {len(ids)} publications to be published\n{logs(spawn)}",
    )
    assert len(receiver.requests) == 30
    assert len(receiver.delivered_keys()) == 30


def test_redis_restarted_mid_run_loses_nothing(world, receiver, private_redis):
    app, spawn = world
    make_publications(app, receiver, 60)
    spawn("dispatch")
    spawn("worker")
    wait_until(lambda: len(receiver.requests) >= 5, 30, "deliveries to start")
    private_redis.restart()
    wait_until(
        lambda: statuses(app) == {"published": 60},
        90,
        lambda: f"all published\n{logs(spawn)}",
    )
    assert len(receiver.delivered_keys()) == 60
    assert len(receiver.requests) == 60


def test_three_dispatchers_three_workers_500_publications_each_once(world, receiver):
    app, spawn = world
    make_publications(app, receiver, 500)
    for _ in range(3):
        spawn("dispatch")
    for _ in range(3):
        spawn("worker")
    wait_until(
        lambda: statuses(app) == {"published": 500},
        240,
        lambda: f"500 publications to be published\n{logs(spawn)}",
        interval=0.5,
    )
    assert len(receiver.requests) == 500
    assert len(receiver.delivered_keys()) == 500
    assert receiver.bad_signatures == 0
