"""What one delivery writes, on both databases: the claim, its attempt row, the outcome.

On PostgreSQL the claim, the attempt row and the load are one statement and the success
outcome another, both built once per process; these tests hold them to what the general
path writes.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from publisher.db import db
from publisher.delivery.models import Attempt, Publication
from publisher.delivery.pipeline import deliver
from tests.factories import approved_content, due_publication, webhook_channel
from tests.fakes.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


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
