"""The forking worker's hooks: deliveries split around the fork, and one warm connection.

Deliveries (``SplitDeliveries``): the worker prepares each delivery in its own process
(claim, checks, rendering, the attempt row, committed), forks the horse for the channel
call only, and records the outcome the horse hands back; see publisher.delivery.handoff.

The connection (``HandedDownConnection``), for what horses still do in the database (a
row to reconcile, a withdrawal, a credentials check, a delivery the worker could not
prepare):

A horse that opened its own connection paid for it on every job: the connect itself, and
a new PostgreSQL backend whose catalog caches start cold, so the job's first statements
ran slowly too. The worker instead keeps one connection in its pool and never uses it
between jobs (RQ's loop talks only to Redis, and runs one horse at a time); each horse
inherits the pool and uses the connection, pinging it first only when more than a second
has passed since the previous horse vouched for it (as for any pooled connection). Use is
strictly sequential: the worker touches the pool only while no horse is alive.

A horse that ends with the connection closed, inside a transaction, or not at all
(killed, timed out) may have left it half-way through a conversation with the server,
so it does not vouch for it: it writes its verdict to a byte of memory shared with the
worker, and the worker closes the connection and opens a fresh one before the next fork.
psycopg's automatic server-side prepared statements are off on these connections: each
horse's copy of the connection would not know what an earlier horse had prepared.

SQLite has no server to keep warm: there each horse drops the inherited pool without
closing it (``engine.dispose(close=False)``, SQLAlchemy's multiprocessing rule) and opens
its own, as before.
"""

from __future__ import annotations

import logging
import mmap
import time
from functools import partial
from typing import Any

from flask import Flask
from sqlalchemy import Engine, event

from jobqueue import timing
from publisher.db import IDLE_SINCE
from publisher.delivery.dispatch import DELIVER_JOB
from publisher.delivery.handoff import HANDED_BACK, RECORDED, OutcomeBox, Ready, hand_over
from publisher.delivery.pipeline import complete, prepare, record_call

log = logging.getLogger(__name__)


class HandedDownConnection:
    """Hooks for ``jobqueue.worker.AppContextWorker``: before fork, in the horse, after it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.verdict = mmap.mmap(-1, 1)  # shared with every horse (MAP_SHARED, anonymous)
        self.inherited: Any = None
        self.warm = engine.dialect.name == "postgresql"
        if self.warm:
            event.listen(engine, "connect", _no_server_side_prepare)

    def before_fork(self) -> None:
        """In the worker: make sure the pool holds one live connection for the next horse."""
        self.verdict[0] = 0
        if self.warm and not self.engine.pool.checkedin():  # type: ignore[attr-defined]
            with self.engine.connect():
                pass  # opens one, and leaves it idle in the pool

    def in_horse(self) -> None:
        """In the horse, first thing: use the inherited connection, or drop the pool."""
        if not self.warm:
            self.engine.dispose(close=False)
            return
        self.inherited = _pooled_dbapi_connection(self.engine)

    def horse_done(self) -> None:
        """In the horse, last thing: vouch for the connection if it is idle and open."""
        conn = self.inherited
        if conn is None or conn.closed:
            return
        from psycopg.pq import TransactionStatus

        if conn.info.transaction_status == TransactionStatus.IDLE:
            self.verdict[0] = 1

    def after_horse(self) -> None:
        """In the worker, once the horse is gone: keep the connection or close it."""
        if not self.warm:
            return
        if self.verdict[0] != 1:
            self.engine.dispose()  # closes the parent's copy; the next fork opens anew
            return
        # The horse saw it alive and idle as it ended: a horse forked within a second
        # skips the ping, like any connection used a moment ago (see publisher.db).
        record = _pooled_record(self.engine)
        if record is not None:
            record.info[IDLE_SINCE] = time.monotonic()


class SplitDeliveries:
    """Hooks for ``jobqueue.worker.AppContextWorker``: a delivery job is prepared before the
    fork and recorded after it, here; the horse only makes the call."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.box = OutcomeBox()
        self.ready: Ready | None = None
        self.timed = False

    def start_job(self, job: Any) -> None:
        """In the worker, before the fork: prepare a delivery and leave the horse the rest."""
        self.ready, self.timed = None, False
        hand_over(0, None)
        publication_id = _delivery_id(job)
        if publication_id is None:
            return
        timing.start()
        self.timed = True
        try:
            with self.app.app_context():
                prepared = prepare(publication_id)
        except Exception:
            # The horse delivers it whole, as before the split: a claim made here before
            # the fault is found taken there ("skipped"), and its lease runs out.
            log.exception(
                "preparing the delivery failed in the worker; the work horse tries it whole",
                extra={"publication_id": publication_id},
            )
            return
        if isinstance(prepared, str):
            hand_over(publication_id, partial(str, prepared))  # nothing to call
            return
        self.ready = prepared
        self.box.clear()
        hand_over(publication_id, partial(self._call, prepared))

    def _call(self, ready: Ready) -> str:
        """In the horse: the call, its outcome handed back; recorded here when it won't fit,
        and for a row to reconcile (lookup first, then maybe the call, all in the horse)."""
        outcome = complete(ready, self.box.put)
        if outcome != HANDED_BACK:
            self.box.mark_recorded()
        return outcome

    def end_job(self, job: Any) -> None:
        """In the worker, once the horse is gone: record the outcome it handed back."""
        hand_over(0, None)
        ready, self.ready = self.ready, None
        timed, self.timed = self.timed, False
        if ready is not None:
            timing.resume()
            self._record(ready)
        if timed:
            timing.finish(continued=True)

    def _record(self, ready: Ready) -> None:
        extra = {"publication_id": ready.pub.id}
        try:
            called = self.box.take()
            if called is None:
                if self.box.state() != RECORDED:
                    # Killed or timed out mid-call: the outcome is unknown. The row stays
                    # ``publishing`` until its lease runs out; the dispatcher then marks it
                    # for reconciliation, which asks the channel before posting again.
                    log.warning("the work horse ended without the call's outcome", extra=extra)
                return
            with self.app.app_context():
                record_call(ready.pub, ready.channel, ready.token, ready.attempt_id, called)
        except Exception:
            # As for a horse lost after its call: the lease runs out, reconciliation asks.
            log.exception("recording the call's outcome failed", extra=extra)


def _delivery_id(job: Any) -> int | None:
    if job.func_name != DELIVER_JOB or len(job.args) != 1 or job.kwargs:
        return None
    publication_id = job.args[0]
    return publication_id if isinstance(publication_id, int) else None


def _no_server_side_prepare(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.prepare_threshold = None


def _pooled_record(engine: Engine) -> Any:
    """The pool's record of the connection idle in it, without checking it out."""
    queue = getattr(engine.pool, "_pool", None)
    records = list(getattr(queue, "queue", ()))
    return records[0] if records else None


def _pooled_dbapi_connection(engine: Engine) -> Any:
    record = _pooled_record(engine)
    return None if record is None else record.dbapi_connection


def install(app: Flask, engine: Engine) -> HandedDownConnection:
    """Wire the hooks into the app, where the forking worker class looks for them."""
    handed = HandedDownConnection(engine)
    app.extensions["before_fork"] = handed.before_fork
    app.extensions["after_fork"] = handed.in_horse
    app.extensions["horse_done"] = handed.horse_done
    app.extensions["after_horse"] = handed.after_horse
    split = SplitDeliveries(app)
    app.extensions["start_job"] = split.start_job
    app.extensions["end_job"] = split.end_job
    return handed
