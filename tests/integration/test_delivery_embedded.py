"""Delivery through the embedded queue: dispatcher, worker and webhook, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from content_library.db import utcnow
from publisher.delivery.dispatch import dispatch_once
from publisher.delivery.models import Attempt, Publication
from tests.factories import approved_content, due_publication, webhook_channel
from tests.fakes.receiver import Receiver
from tests.servers import drain_queues, run_pipeline

# Webhook receivers listen on 127.0.0.1.
pytestmark = pytest.mark.settings(OUTBOUND_ALLOW_PRIVATE=True)


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


def test_due_publication_is_delivered_once(app, db, receiver):
    item = approved_content(db)
    channel = webhook_channel(db, receiver.url)
    pub = due_publication(db, item, channel)
    db.commit()
    run_pipeline(app, rounds=2)
    db.expire_all()
    row = db.get(Publication, pub.id)
    assert row.status == "published"
    assert row.attempts == 1
    assert len(receiver.requests) == 1
    sent = receiver.requests[0]
    assert sent["signed"] is True
    assert sent["body"]["title"] == "Hiến máu cứu người"
    # The receiver answers {"id": "recv-<key>"}: the id we keep is the one it gave.
    assert sent["key"].startswith(f"pub-{pub.id}-")
    assert row.external_id == f"recv-{sent['key']}"
    attempts = db.scalars(select(Attempt).where(Attempt.publication_id == pub.id)).all()
    assert [a.outcome for a in attempts] == ["published"]


def test_server_error_is_retried_with_backoff_then_delivered(app, db, receiver):
    receiver.fail_next((500, "boom"), (503, "busy"))
    item = approved_content(db)
    channel = webhook_channel(db, receiver.url)
    pub = due_publication(db, item, channel)
    db.commit()
    run_pipeline(app)
    db.expire_all()
    row = db.get(Publication, pub.id)
    assert row.status == "scheduled"
    assert row.last_error_class == "transient"
    assert row.next_attempt_at > utcnow() + timedelta(seconds=30)  # first backoff is 60 s
    row.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.commit()
    run_pipeline(app)
    row.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.commit()
    run_pipeline(app)
    db.expire_all()
    row = db.get(Publication, pub.id)
    assert row.status == "published"
    assert row.attempts == 3
    assert len(receiver.delivered_keys()) == 1


def test_client_error_fails_with_the_reason(app, db, receiver):
    receiver.fail_next((400, '{"error": "unknown campaign"}'))
    item = approved_content(db)
    pub = due_publication(db, item, webhook_channel(db, receiver.url))
    db.commit()
    run_pipeline(app)
    db.expire_all()
    row = db.get(Publication, pub.id)
    assert row.status == "failed"
    assert "HTTP 400" in row.last_error and "unknown campaign" in row.last_error


def test_expired_publication_is_never_sent(app, db, receiver):
    item = approved_content(db)
    now = utcnow()
    pub = due_publication(
        db,
        item,
        webhook_channel(db, receiver.url),
        at=now - timedelta(hours=2),
        expires_at=now - timedelta(minutes=1),
    )
    db.commit()
    run_pipeline(app)
    db.expire_all()
    assert db.get(Publication, pub.id).status == "expired"
    assert receiver.requests == []


def test_cancelled_while_queued_is_never_sent(app, db, receiver):
    from publisher.delivery.publications import cancel

    item = approved_content(db)
    pub = due_publication(db, item, webhook_channel(db, receiver.url))
    db.commit()
    with app.app_context():
        dispatch_once()
    db.expire_all()
    row = db.get(Publication, pub.id)
    assert row.status == "queued"
    cancel(db, row)
    db.commit()
    drain_queues(app)
    db.expire_all()
    assert db.get(Publication, pub.id).status == "cancelled"
    assert receiver.requests == []


def test_a_dead_workers_attempt_is_closed_when_its_lease_is_reaped(app, db, receiver):
    item = approved_content(db)
    pub = due_publication(db, item, webhook_channel(db, receiver.url))
    started = utcnow() - timedelta(minutes=10)
    pub.status, pub.attempt_token, pub.attempts = "publishing", "dead-worker", 1
    pub.lease_until = started + timedelta(minutes=3)
    db.add(Attempt(publication_id=pub.id, number=1, token="dead-worker", started_at=started))
    db.commit()
    with app.app_context():
        assert dispatch_once().reaped == 1
    db.expire_all()
    attempt = db.scalars(select(Attempt).where(Attempt.publication_id == pub.id)).one()
    assert attempt.outcome == "worker_lost" and attempt.finished_at is not None
    assert db.get(Publication, pub.id).status in ("unconfirmed", "queued")
