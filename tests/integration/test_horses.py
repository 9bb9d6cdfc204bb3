"""The forking worker's connection, handed from horse to horse: real forks, real PostgreSQL."""

from __future__ import annotations

import os

from sqlalchemy import text

from publisher.db import make_engine
from publisher.horses import HandedDownConnection


def _horse(handed: HandedDownConnection, work) -> str:
    """Fork like RQ does; the horse runs ``work(connection)`` and reports a line."""
    read, write = os.pipe()
    handed.before_fork()
    pid = os.fork()
    if pid == 0:  # the horse
        os.close(read)
        code = 0
        try:
            handed.in_horse()
            with handed.engine.connect() as conn:
                answer = work(conn)
            handed.horse_done()
        except BaseException as exc:  # report, never return into pytest
            answer, code = f"error: {exc!r}", 1
        os.write(write, str(answer).encode())
        os._exit(code)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read) as out:
        answer = out.read()
    handed.after_horse()
    return answer


def _backend(conn) -> str:
    return str(conn.execute(text("SELECT pg_backend_pid()")).scalar())


def test_horses_share_one_backend_until_one_leaves_it_mid_transaction(postgres_url):
    engine = make_engine(postgres_url)
    handed = HandedDownConnection(engine)
    try:
        first = _horse(handed, _backend)
        second = _horse(handed, _backend)
        assert first.isdigit(), first
        assert second == first  # the same warm backend, no new connection

        def dies_mid_transaction(conn) -> str:
            conn.execute(text("SELECT 1"))  # a transaction is now open on the server
            backend = _backend(conn)
            os._exit(0)  # killed before it could commit or give the connection back
            return backend  # pragma: no cover

        _horse(handed, dies_mid_transaction)
        after = _horse(handed, _backend)
        assert after.isdigit(), after
        assert after != first  # that connection was not trusted again

        # The fresh connection starts clean, and is handed down in turn.
        assert _horse(handed, _backend) == after
    finally:
        engine.dispose()


def test_a_horse_that_closes_the_connection_gets_its_successor_a_new_one(postgres_url):
    engine = make_engine(postgres_url)
    handed = HandedDownConnection(engine)
    try:
        first = _horse(handed, _backend)

        def closes(conn) -> str:
            backend = _backend(conn)
            conn.invalidate()  # what the pool does after a lost connection
            return backend

        assert _horse(handed, closes) == first
        assert _horse(handed, _backend) not in ("", first)
    finally:
        engine.dispose()


def test_sqlite_horses_open_their_own_connection(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'horses.db'}")
    handed = HandedDownConnection(engine)
    try:
        assert _horse(handed, lambda conn: conn.execute(text("SELECT 41 + 1")).scalar()) == "42"
    finally:
        engine.dispose()


def test_postgres_connections_send_tcp_keepalives_unless_the_url_says_otherwise(postgres_url):
    """A server gone without a word (a partition) must not hold a worker's query for ever."""
    separator = "&" if "?" in postgres_url else "?"
    for url, idle in ((postgres_url, "30"), (f"{postgres_url}{separator}keepalives_idle=5", "5")):
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                live = conn.connection.dbapi_connection.info.get_parameters()
        finally:
            engine.dispose()
        assert (live["keepalives"], live["keepalives_idle"]) == ("1", idle)
        assert (live["keepalives_interval"], live["keepalives_count"]) == ("10", "3")
