"""A delivery split around the fork: the worker prepares and records, the horse only calls.

Each test runs one job as ``jobqueue.worker.AppContextWorker`` does, with real forks:
``start_job`` here, ``fork()``, ``deliver()`` in the horse, ``end_job`` here once the
horse is gone (publisher.horses). Both databases; a loopback receiver.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from channels.base import ChannelBroken, DeliveryResult, Permanent, RateLimited, Transient, Unknown
from content_library.db import utcnow
from publisher.db import db
from publisher.delivery.dispatch import DELIVER_JOB
from publisher.delivery.handoff import HANDED_BACK, Called, OutcomeBox
from publisher.delivery.models import Attempt, Channel, Publication
from publisher.delivery.pipeline import deliver
from publisher.horses import HandedDownConnection, SplitDeliveries
from tests.factories import approved_content, due_publication, webhook_channel
from tests.fakes.receiver import Receiver

pytestmark = pytest.mark.settings(OUTBOUND_ALLOW_PRIVATE=True)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


@pytest.fixture
def worker(app) -> Iterator[tuple[SplitDeliveries, HandedDownConnection]]:
    with app.app_context():
        engine = db.engine
    handed = HandedDownConnection(engine)
    yield SplitDeliveries(app), handed
    engine.dispose()


def queued(app, receiver: Receiver, count: int = 1, **kw) -> list[int]:
    with app.app_context():
        item = approved_content(db.session)
        channel = webhook_channel(db.session, receiver.url)
        pubs = [due_publication(db.session, item, channel, **kw) for _ in range(count)]
        for pub in pubs:
            pub.status = "queued"
        db.session.commit()
        return [pub.id for pub in pubs]


def run_job(app, worker, publication_id: int, *, before_fork=None, during=None) -> str:
    """One delivery job the forking worker's way; the horse's answer (or what killed it)."""
    split, handed = worker
    job = SimpleNamespace(func_name=DELIVER_JOB, args=(publication_id,), kwargs={})
    read, write = os.pipe()
    handed.before_fork()
    split.start_job(job)
    if before_fork is not None:
        before_fork()
    horse = os.fork()
    if horse == 0:
        os.close(read)
        code = 0
        try:
            handed.in_horse()
            with app.app_context():
                answer = deliver(publication_id)
            handed.horse_done()
        except BaseException as exc:  # report, never return into pytest
            answer, code = f"error: {exc!r}", 1
        os.write(write, answer.encode())
        os._exit(code)
    os.close(write)
    if during is not None:
        during(horse)
    _, status = os.waitpid(horse, 0)
    with os.fdopen(read) as out:
        answer = out.read()
    handed.after_horse()
    split.end_job(job)
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return answer


def row(app, publication_id: int) -> tuple[Publication, list[Attempt]]:
    with app.app_context():
        pub = db.session.get(Publication, publication_id)
        attempts = db.session.scalars(
            select(Attempt).where(Attempt.publication_id == publication_id).order_by(Attempt.id)
        ).all()
        db.session.expunge_all()
        return pub, list(attempts)


def test_the_horse_calls_and_the_worker_records(app, receiver, worker):
    first, second = queued(app, receiver, 2)

    def claimed_in_the_worker() -> None:
        pub, attempts = row(app, first)
        assert pub.status == "publishing" and receiver.requests == []
        assert [(a.action, a.outcome) for a in attempts] == [("publish", None)]

    assert run_job(app, worker, first, before_fork=claimed_in_the_worker) == HANDED_BACK
    assert run_job(app, worker, second) == HANDED_BACK  # the next job, on the same connection
    assert len(receiver.requests) == 2 and receiver.bad_signatures == 0
    for pid, request in zip((first, second), receiver.requests, strict=True):
        pub, attempts = row(app, pid)
        assert (pub.status, pub.lease_until, pub.external_id) == (
            "published",
            None,
            f"recv-{request['key']}",
        )
        assert [(a.action, a.outcome) for a in attempts] == [("publish", "published")]
        assert attempts[0].finished_at is not None


@pytest.mark.parametrize(
    "answer",
    [(503, "busy"), (400, "bad request"), (429, "quota used", {"Retry-After": "120"})],
    ids=["transient", "permanent", "rate-limited"],
)
def test_a_failed_call_is_recorded_as_in_one_process(app, receiver, worker, answer):
    split_pid, whole_pid = queued(app, receiver, 2)
    receiver.fail_next(answer)
    assert run_job(app, worker, split_pid) == HANDED_BACK
    with app.app_context():
        # The same answer to a delivery made whole in one process, once the channel rests
        # no more (a 429 pauses it).
        db.session.execute(Channel.__table__.update().values(paused_until=None))
        db.session.commit()
    receiver.fail_next(answer)
    with app.app_context():
        whole_outcome = deliver(whole_pid)
    (split, split_attempts), (whole, whole_attempts) = row(app, split_pid), row(app, whole_pid)
    assert whole_outcome != "published"

    def seen(pub: Publication, attempts: list[Attempt]) -> tuple[object, ...]:
        return (
            pub.status,
            pub.last_error_class,
            pub.last_error,
            pub.attempts,
            pub.reconcile,
            pub.lease_until,
            [(a.outcome, a.error, a.response_excerpt) for a in attempts],
        )

    assert seen(split, split_attempts) == seen(whole, whole_attempts)
    assert split.last_error_class in {"transient", "permanent", "rate_limited"}
    # The retry time follows from the same rule (backoff, or the Retry-After).
    if split.next_attempt_at is not None:
        gap = abs(split.next_attempt_at - whole.next_attempt_at)
        assert gap < timedelta(seconds=30)


def test_an_outcome_too_large_for_the_box_is_recorded_by_the_horse(app, receiver, worker):
    split, _ = worker
    split.box = OutcomeBox(size=16)
    [pid] = queued(app, receiver)
    assert run_job(app, worker, pid) == "published"  # recorded in the horse, not handed back
    pub, attempts = row(app, pid)
    assert pub.status == "published" and pub.external_id == f"recv-{receiver.requests[0]['key']}"
    assert [a.outcome for a in attempts] == ["published"]
    assert len(receiver.requests) == 1


def test_a_horse_killed_mid_call_leaves_the_row_to_its_lease(app, receiver, worker, caplog):
    first, second = queued(app, receiver, 2)
    receiver.slow(5.0)

    def kill_once_called(horse: int) -> None:
        deadline = time.monotonic() + 20
        while not receiver.requests and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(horse, signal.SIGKILL)

    with caplog.at_level(logging.WARNING, logger="publisher.horses"):
        assert run_job(app, worker, first, during=kill_once_called) == "signal 9"
    assert "ended without the call's outcome" in caplog.text
    pub, attempts = row(app, first)
    # Claimed and durable before the call; nothing guessed after it: the lease decides.
    assert pub.status == "publishing" and pub.lease_until > utcnow()
    assert [(a.outcome, a.finished_at) for a in attempts] == [(None, None)]
    # The worker goes on: the next job is delivered (on a fresh connection, since the
    # killed horse could not vouch for the one it inherited).
    assert run_job(app, worker, second) == HANDED_BACK
    assert row(app, second)[0].status == "published"


def test_nothing_to_call_is_settled_in_the_worker(app, receiver, worker):
    [pid] = queued(app, receiver)
    with app.app_context():
        db.session.get(Publication, pid).expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()

    def settled() -> None:
        assert row(app, pid)[0].status == "expired"

    assert run_job(app, worker, pid, before_fork=settled) == "expired"
    assert row(app, pid)[0].status == "expired"
    assert receiver.requests == []


def test_a_row_to_reconcile_is_finished_whole_in_the_horse(app, receiver, worker, caplog):
    [pid] = queued(app, receiver)
    with app.app_context():
        pub = db.session.get(Publication, pid)
        pub.reconcile = True
        pub.reconcile_since = utcnow() - timedelta(minutes=1)
        db.session.commit()
    # A webhook cannot be asked; the receiver dedupes by key, so the horse sends again and
    # records the outcome itself.
    with caplog.at_level(logging.WARNING, logger="publisher.horses"):
        assert run_job(app, worker, pid) == "published"
    assert "without the call's outcome" not in caplog.text  # the worker knew it was recorded
    pub, attempts = row(app, pid)
    assert (pub.status, pub.reconcile) == ("published", False)
    assert [a.action for a in attempts] == ["reconcile"]
    assert len(receiver.requests) == 1


@pytest.mark.parametrize(
    "error",
    [
        Transient("receiver answered HTTP 503", excerpt="busy", code="503"),
        Permanent("refused", code="400"),
        ChannelBroken("token expired"),
        Unknown("no answer in 30 s"),
        RateLimited("slow down", retry_after=42.5, excerpt="quota"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_the_box_carries_every_error_class(error):
    box = OutcomeBox()
    box.clear()
    assert box.take() is None
    assert box.put(Called(error=error))
    back = box.take()
    assert back is not None and back.result is None and type(back.error) is type(error)
    assert (str(back.error), back.error.excerpt, back.error.code, back.error.error_class) == (
        str(error),
        error.excerpt,
        error.code,
        error.error_class,
    )
    assert getattr(back.error, "retry_after", None) == getattr(error, "retry_after", None)
    assert box.take() is None  # taken once


def test_the_box_carries_a_result_and_refuses_what_does_not_fit():
    box = OutcomeBox(size=512)
    result = DeliveryResult("post-1", "https://example.test/p/1", "ok: đã nhận", 3.5)
    assert box.put(Called(result=result))
    assert box.take() == Called(result=result)
    assert not box.put(Called(result=DeliveryResult("x" * 600)))
    assert box.take() is None
    assert not box.put(Called(result=DeliveryResult(b"post-2")))  # not a plain value
    assert box.take() is None
