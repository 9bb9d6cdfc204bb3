"""SIGTERM (``docker stop``) lets the worker finish its delivery and stops the dispatcher cleanly.

The real ``publisher worker`` and ``publisher dispatch`` run as processes against a
private Redis and a throwaway PostgreSQL database; the test process schedules and
enqueues through the same database and Redis.
"""

from __future__ import annotations

import secrets
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import migrate_and_seed_communes
from tests.factories import approved_content, due_publication, webhook_channel
from tests.fakes.receiver import Receiver
from tests.servers import RedisServer, Service, publisher_command, service_env, throwaway_database
from tests.servers import wait_until as wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]
# Random and long: production refuses short keys and every key written in the repository.
SECRET_KEY = "graceful-" + secrets.token_hex(24)


@pytest.fixture
def setting(tmp_path: Path) -> Iterator[dict[str, object]]:
    """Settings shared by this process's app and the service processes."""
    redis = RedisServer(tmp_path / "redis").start()
    try:
        with throwaway_database() as url:
            migrate_and_seed_communes(url)
            yield {
                "DATABASE_URL": url,
                "REDIS_URL": redis.url,
                "SECRET_KEY": SECRET_KEY,
                "PUBLISHER_ENV": "production",
                "INSTANCE_PATH": str(tmp_path / "instance"),
                "QUEUE_PREFIX": f"graceful-{secrets.token_hex(4)}",
                "LEASE_SECONDS": 60,
                "OUTBOUND_ALLOW_PRIVATE": True,  # the receiver listens on 127.0.0.1
            }
    finally:
        redis.stop()


@pytest.fixture
def services(tmp_path: Path) -> Iterator[list[Service]]:
    started: list[Service] = []
    yield started
    for service in started:
        service.kill()


def test_sigterm_lets_the_worker_finish_the_delivery_in_hand(setting, services, tmp_path):
    from publisher import create_app
    from publisher.db import db
    from publisher.delivery.dispatch import dispatch_once
    from publisher.delivery.models import Attempt, Publication

    app = create_app(setting)
    with Receiver() as receiver:
        receiver.slow(4.0)
        with app.app_context():
            item = approved_content(db.session)
            pub = due_publication(db.session, item, webhook_channel(db.session, receiver.url))
            db.session.commit()
            pub_id = pub.id
            assert dispatch_once().claimed == 1
        worker = Service("worker", publisher_command("worker"), service_env(**setting), tmp_path)
        services.append(worker)
        wait_for(lambda: receiver.requests, 60, "the delivery to reach the receiver")

        worker.signal(signal.SIGTERM)  # mid-delivery: the receiver holds the answer 4 s
        sent_at = time.monotonic()
        assert worker.wait(30) == 0, worker.output()
        waited = time.monotonic() - sent_at

        with app.app_context():
            # Recorded before the worker exited: the horse finished, the parent waited for it.
            row = db.session.get(Publication, pub_id)
            assert row.status == "published", (row.status, row.last_error, worker.output())
            assert row.attempts == 1
            outcomes = db.session.scalars(
                select(Attempt.outcome).where(Attempt.publication_id == pub_id)
            ).all()
            assert outcomes == ["published"]
        app.extensions["db"]["engine"].dispose()
        assert len(receiver.requests) == 1
        assert "warm shut down requested" in worker.output()
        assert waited > 1.0  # it did wait for the slow answer rather than dying at once


def test_sigterm_stops_the_dispatcher_between_ticks(setting, services, tmp_path):
    env = service_env(**setting, DISPATCH_TICK_SECONDS=30, LOG_FORMAT="json")
    dispatcher = Service("dispatch", publisher_command("dispatch"), env, tmp_path)
    services.append(dispatcher)
    wait_for(lambda: "dispatcher ticking" in dispatcher.output(), 60, "the dispatcher to start")
    time.sleep(0.5)  # into the 30 s wait between ticks
    sent_at = time.monotonic()
    dispatcher.signal(signal.SIGTERM)
    assert dispatcher.wait(15) == 0, dispatcher.output()
    assert time.monotonic() - sent_at < 10  # not the rest of the 30 s tick
    assert "SIGTERM received" in dispatcher.output()
