"""One warm database connection, handed from the forking worker to each work horse in turn.

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

import mmap
import time
from typing import Any

from flask import Flask
from sqlalchemy import Engine, event

from publisher.db import IDLE_SINCE


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
    return handed
