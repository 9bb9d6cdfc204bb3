"""The database extension: one engine per app, a session scoped to the app context."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, current_app
from flask.globals import app_ctx
from sqlalchemy import Engine, create_engine, event, exc, make_url
from sqlalchemy.orm import Session, scoped_session, sessionmaker
from sqlalchemy.pool import NullPool


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever driver the URL names."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        # Web, dispatcher and worker threads share the file in embedded mode: WAL lets
        # readers go on while one writes, and the busy timeout queues the writers.
        # A file database keeps a small pool (opening SQLite costs a few ms per request);
        # an in-memory one must not, each connection would be a different database.
        pool = (
            {"poolclass": NullPool}
            if url in ("sqlite://", "sqlite:///:memory:")
            else {"pool_size": 5, "max_overflow": 10}
        )
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **pool
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy's "begin" event own transaction start (pysqlite's own is deferred).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # Take the write lock at BEGIN so two writers never deadlock on lock upgrade.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # A server that vanishes without closing its connections (a network partition, a host
    # gone) would leave a query waiting for ever: TCP keepalives end such a connection in
    # about a minute, and the caller gets an error it handles. Parameters in the URL win.
    in_url = make_url(url).query
    keepalives = {k: v for k, v in TCP_KEEPALIVES.items() if k not in in_url}
    connect_args = {**keepalives, **kwargs.pop("connect_args", {})}
    engine = create_engine(url, pool_size=5, max_overflow=10, connect_args=connect_args, **kwargs)
    _ping_when_idle(engine)
    return engine


TCP_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}


# A connection used less than this long ago is taken as alive without asking the server.
PING_AFTER_IDLE_SECONDS = 1.0
# Where a pool record keeps the moment its connection was last seen alive and idle.
IDLE_SINCE = "idle_since"


def _ping_when_idle(engine: Engine) -> None:
    """``pool_pre_ping``, but only for connections that sat idle in the pool.

    Plain pre-ping costs a round trip on every checkout, and a session checks a
    connection out again after each commit: a delivery (two commits) paid for a ping
    made milliseconds after the connection last answered. A connection that idled
    longer (a server restart may have dropped it) is pinged, and a dead one replaced.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info[IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(IDLE_SINCE)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return  # a fresh connection, or one that answered a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as error:
            alive = not engine.dialect.is_disconnect(error, dbapi_conn, None)
            if alive:
                raise
        if not alive:
            # The pool discards this connection and checks out a new one.
            raise exc.DisconnectionError("connection dropped while idle in the pool")


class Database:
    """Bound to an app with ``init_app``; ``db.session`` is the current app's session."""

    def init_app(self, app: Flask, url: str) -> None:
        engine = make_engine(url)
        factory = sessionmaker(bind=engine, expire_on_commit=False)
        session = scoped_session(factory, scopefunc=lambda: id(app_ctx._get_current_object()))
        app.extensions["db"] = {"engine": engine, "session": session, "factory": factory}

        @app.teardown_appcontext
        def _remove_session(_exc: BaseException | None) -> None:
            session.remove()

    @property
    def session(self) -> Session:
        return current_app.extensions["db"]["session"]

    @property
    def engine(self) -> Engine:
        return current_app.extensions["db"]["engine"]

    def new_session(self) -> Session:
        """A session of its own, for background threads that must not share the request's."""
        return current_app.extensions["db"]["factory"]()


db = Database()
