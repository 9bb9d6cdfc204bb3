"""The per-request question "has this feed changed?", answered as cheaply as the database allows.

Every feed request (readers poll) asks it, and most of the answers are "no", so it
must cost far less than rendering. It reads through a connection of its own rather
than the request's session:

* on PostgreSQL, a pooled connection from the app's engine and one Core statement,
  with no ORM session or transaction bookkeeping;
* on SQLite, a small pool of long-lived read-only connections. The app's engine opens
  a new connection per use (schema parsing, pragmas) and begins every transaction
  with ``BEGIN IMMEDIATE`` (the write lock): right for writers, far too dear for a
  poll. A long-lived connection also lets SQLite say, through ``PRAGMA data_version``,
  whether any other connection has committed since it last looked; when none has,
  the previous answer still holds and no table is read at all.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask
from sqlalchemy import Engine, create_engine, event

from publisher.rss.items import FeedState, feed_state_from_row, state_statement

_LOCK = threading.Lock()


class FeedProbe:
    """Answers :meth:`state` for a channel slug; one per app (see :func:`probe_for`)."""

    def __init__(self, engine: Engine, *, remember: bool) -> None:
        self._engine = engine
        self._remember = remember  # SQLite: reuse answers while data_version holds

    def state(self, slug: str) -> FeedState | None:
        if self._remember:
            known, state = self._remembered(slug)
            if known:
                return state
        with self._engine.connect() as conn:
            if not self._remember:
                return feed_state_from_row(conn.execute(state_statement(), {"slug": slug}).first())
            # data_version first, on the connection that then runs the query, so that the
            # answer we remember is never older than the version we file it under.
            info = conn.connection.info
            version = conn.exec_driver_sql("PRAGMA data_version").scalar()
            remembered: dict[str, FeedState | None] = info.setdefault("feed_states", {})
            if info.get("data_version") != version:
                remembered.clear()
                info["data_version"] = version
            state = feed_state_from_row(conn.execute(state_statement(), {"slug": slug}).first())
            if len(remembered) < 1000:
                remembered[slug] = state
            return state

    def _remembered(self, slug: str) -> tuple[bool, FeedState | None]:
        # The hot path of a poll, straight on the pooled DBAPI connection: one pragma that
        # reads no table. Misses fall through to the full query in state().
        raw = self._engine.raw_connection()
        try:
            info = raw.info
            remembered = info.get("feed_states")
            if remembered is None or slug not in remembered:
                return False, None
            cursor = raw.cursor()
            try:
                version = cursor.execute("PRAGMA data_version").fetchone()[0]
            finally:
                cursor.close()
            if info.get("data_version") != version:
                return False, None
            return True, remembered[slug]
        finally:
            raw.close()  # back to the pool


def _sqlite_reader(url: Any) -> Engine:
    engine = create_engine(
        url,
        connect_args={"timeout": 30, "check_same_thread": False},
        pool_size=4,
        max_overflow=12,
    )

    @event.listens_for(engine, "connect")
    def _read_only(dbapi_conn: Any, _record: Any) -> None:
        # Autocommit at the driver: each SELECT is its own snapshot and holds no lock.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA query_only=ON")
        cur.close()

    return engine


def _make_probe(app: Flask) -> FeedProbe:
    engine: Engine = app.extensions["db"]["engine"]
    database = engine.url.database or ""
    if (
        engine.dialect.name == "sqlite"
        and database
        and database != ":memory:"
        and ("mode=memory" not in str(engine.url))
    ):
        return FeedProbe(_sqlite_reader(engine.url), remember=True)
    return FeedProbe(engine, remember=False)


def probe_for(app: Flask) -> FeedProbe:
    """The app's probe, made on first use (after any fork, so no connection is shared)."""
    probe = app.extensions.get("feed_probe")
    if probe is None:
        with _LOCK:
            probe = app.extensions.get("feed_probe")
            if probe is None:
                probe = _make_probe(app)
                app.extensions["feed_probe"] = probe
    return probe
