"""Shared fixtures: real PostgreSQL and SQLite databases, a real Redis, an app per test."""

from __future__ import annotations

import os
import secrets
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import text

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
KEEP_TABLES = {"communes", "alembic_version"}

# One module object for the clock, whether this process or a launched one imports it.
sys.path.insert(0, str(Path(__file__).resolve().parent / "clock"))
import travelled_clock  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    # Before collection, so that dates computed at import time are already travelled.
    travelled_clock.travel_from_env()


def pytest_report_header(config: pytest.Config) -> str | None:
    moment = travelled_clock.requested()
    return f"clock travelled to {moment.isoformat()} ({travelled_clock.CLOCK})" if moment else None


def _reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 2
        ):
            return True
    except OSError:
        return False


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL database for this test run, dropped at the end."""
    if not _reachable(TEST_DATABASE_URL, 5432):
        pytest.fail(
            f"PostgreSQL is not reachable at {TEST_DATABASE_URL}. Install and start it "
            "(apt-get install postgresql; pg_ctlcluster <version> main start) or set "
            "TEST_DATABASE_URL.",
            pytrace=False,
        )
    import psycopg

    name = f"publisher_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin_url = TEST_DATABASE_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield _with_database(admin_url, name)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The machine's Redis; tests use their own key prefix so runs do not collide."""
    if not _reachable(TEST_REDIS_URL, 6379):
        pytest.fail(
            f"Redis is not reachable at {TEST_REDIS_URL}. Install and start it "
            "(apt-get install redis-server; redis-server --daemonize yes) or set TEST_REDIS_URL.",
            pytrace=False,
        )
    return TEST_REDIS_URL


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'publisher.db'}"


_MIGRATED: set[str] = set()


def migrate_and_seed_communes(url: str) -> None:
    """Upgrade the schema with Alembic (as production does) and load the communes once."""
    if url in _MIGRATED:
        return
    from publisher import create_app
    from publisher.db import db
    from publisher.migrate import upgrade
    from publisher.seed import load_communes

    app = create_app(
        {"DATABASE_URL": url, "SECRET_KEY": "test-secret-key-0123456789", "TESTING": True}
    )
    with app.app_context():
        upgrade(app)
        load_communes(db.session)
        db.session.commit()
        db.engine.dispose()
    _MIGRATED.add(url)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test that takes this runs on SQLite (the embedded default) and on PostgreSQL."""
    url = request.getfixturevalue(f"{request.param}_url")
    migrate_and_seed_communes(url)
    return url


def app_config(database_url: str, tmp_path: Path, **overrides: object) -> dict[str, object]:
    config: dict[str, object] = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-0123456789",
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "PUBLIC_BASE_URL": "http://publisher.test",
        "QUEUE_PREFIX": f"test-{secrets.token_hex(4)}",
        "REDIS_URL": None,
    }
    config.update(overrides)
    return config


def clean_database(app) -> None:
    from content_library.db import Base
    from publisher.db import db

    with app.app_context():
        db.session.remove()
        engine = db.engine
        tables = [t for t in Base.metadata.sorted_tables if t.name not in KEEP_TABLES]
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                # content_items and content_versions point at each other: check at commit.
                conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
                for table in reversed(tables):
                    conn.execute(table.delete())
        engine.dispose()


@pytest.fixture
def app(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> Iterator[object]:
    """The app under test; ``@pytest.mark.settings(NAME=value)`` overrides settings."""
    from publisher import create_app

    marker = request.node.get_closest_marker("settings")
    overrides = dict(marker.kwargs) if marker else {}
    application = create_app(app_config(database_url, tmp_path, **overrides))
    yield application
    clean_database(application)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    from publisher.db import db as database

    with app.app_context():
        yield database.session


@pytest.fixture
def make_user(app):
    """Factory: a user with a role and a bearer token; returns (user id, headers)."""
    from publisher.auth.services import create_token, create_user
    from publisher.db import db as database

    counter = iter(range(1, 10_000))

    def factory(
        role: str = "editor", commune_code: str | None = None
    ) -> tuple[int, dict[str, str]]:
        with app.app_context():
            if role == "operator" and commune_code is None:
                commune_code = "03408"
            user = create_user(
                database.session,
                f"{role}-{next(counter)}",
                role,
                password="correct horse battery",
                commune_code=commune_code,
            )
            _token, raw = create_token(database.session, "test", user)
            database.session.commit()
            return user.id, {"Authorization": f"Bearer {raw}"}

    return factory
