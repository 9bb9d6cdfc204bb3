"""What one delivery writes, on both databases: the claim, its attempt row, the outcome.

On PostgreSQL the claim, the attempt row and the load are one statement and the success
outcome another, both built once per process; these tests hold them to what the general
path writes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import select

from publisher.db import PING_AFTER_IDLE_SECONDS, db
from publisher.delivery import records
from publisher.delivery.models import Attempt, Publication
from publisher.delivery.pipeline import deliver
from tests.factories import approved_content, due_publication, webhook_channel
from tests.fakes.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


@pytest.fixture
def unlisted_columns_raise(monkeypatch) -> Iterator[None]:
    """Reading a column the claim leaves out (records.DELIVERY_COLUMNS) raises."""
    monkeypatch.setattr(records, "RAISE_UNLISTED", True)
    records.claim_and_load.cache_clear()
    yield
    records.claim_and_load.cache_clear()


@pytest.mark.settings(OUTBOUND_ALLOW_PRIVATE=True)
def test_a_delivery_reads_only_the_columns_the_claim_loads(app, receiver, unlisted_columns_raise):
    with app.app_context():
        item = approved_content(db.session, title="Ngày hội hiến máu", body="<p>Đến sớm.</p>")
        channel = webhook_channel(db.session, receiver.url)
        planned = due_publication(db.session, item, channel)
        planned.render_context = {"title": "Lịch mới", "body_html": "<p>Đổi giờ.</p>"}
        plain = due_publication(db.session, item, channel)
        planned.status = plain.status = "queued"
        db.session.commit()
        ids, item_id = [planned.id, plain.id], item.id

    for pid in ids:
        with app.app_context():
            assert deliver(pid) == "published"

    bodies = {r["body"]["publication_id"]: r["body"] for r in receiver.requests}
    assert (bodies[ids[0]]["title"], bodies[ids[0]]["text"]) == ("Lịch mới", "Đổi giờ.")
    assert (bodies[ids[1]]["title"], bodies[ids[1]]["text"]) == ("Ngày hội hiến máu", "Đến sớm.")
    assert f"/articles/{item_id}-" in bodies[ids[1]]["link"]
    assert bodies[ids[1]]["language"] == "vi" and bodies[ids[1]]["idempotency_key"]


@pytest.mark.settings(OUTBOUND_ALLOW_PRIVATE=True)
def test_a_delivery_records_its_claim_attempt_and_outcome(app, receiver):
    with app.app_context():
        item = approved_content(db.session)
        channel = webhook_channel(db.session, receiver.url)
        first = due_publication(db.session, item, channel)
        second = due_publication(db.session, item, channel)
        first.status = second.status = "queued"
        db.session.commit()
        ids = [first.id, second.id]

    for pid in ids:  # twice: the statements built once serve every delivery
        with app.app_context():
            assert deliver(pid) == "published"
        with app.app_context():
            assert deliver(pid) == "skipped"  # no longer queued: claimed once only

    with app.app_context():
        for pid in ids:
            pub = db.session.get(Publication, pid)
            attempts = db.session.scalars(
                select(Attempt).where(Attempt.publication_id == pid)
            ).all()
            assert pub.status == "published" and pub.attempts == 1
            assert pub.external_id and pub.external_id.startswith(f"recv-pub-{pid}-")
            assert pub.published_at is not None and pub.lease_until is None
            assert pub.reconcile is False and pub.last_error is None
            assert pub.reconcile_since is not None
            assert len(attempts) == 1
            attempt = attempts[0]
            assert (attempt.number, attempt.action, attempt.outcome) == (1, "publish", "published")
            assert attempt.token == pub.attempt_token
            assert attempt.finished_at is not None and attempt.error is None
            assert pub.external_id in (attempt.response_excerpt or "")
    assert sorted(receiver.delivered_keys()) == sorted(set(receiver.delivered_keys()))
    assert len(receiver.requests) == 2


@pytest.mark.settings(OUTBOUND_ALLOW_PRIVATE=True)
def test_connections_dropped_during_a_long_call_cost_no_outcome(app, receiver):
    """On PostgreSQL the claim's connection goes back to the pool before the call; after a
    call longer than PING_AFTER_IDLE_SECONDS the outcome's check-out pings it, so a
    connection the server dropped meanwhile (a restart) is replaced and the outcome
    recorded."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the autocommit claim and its connection handling are PostgreSQL's")
        item = approved_content(db.session)
        channel = webhook_channel(db.session, receiver.url)
        pub = due_publication(db.session, item, channel)
        pub.status = "queued"
        db.session.commit()
        pid = pub.id
    receiver.slow(PING_AFTER_IDLE_SECONDS + 1.0)

    def drop_connections() -> None:
        # While the receiver holds the call: as a server restart would, end every other
        # connection to this database (the delivery's among them). Wait for the call itself,
        # not a fixed time: on a slow machine the claim may not have been committed yet.
        deadline = time.monotonic() + 30
        while not receiver.requests and time.monotonic() < deadline:
            time.sleep(0.02)
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (database,),
            )

    with app.app_context():
        url = db.engine.url
        database = url.database
        admin_url = url.set(drivername="postgresql").render_as_string(hide_password=False)
    killer = threading.Thread(target=drop_connections)
    killer.start()
    try:
        with app.app_context():
            assert deliver(pid) == "published"
    finally:
        killer.join()
    with app.app_context():
        row = db.session.get(Publication, pid)
        attempt = db.session.scalars(select(Attempt).where(Attempt.publication_id == pid)).one()
        assert row.status == "published" and row.lease_until is None
        assert attempt.outcome == "published" and attempt.finished_at is not None
    assert len(receiver.requests) == 1
