"""/readyz follows its dependencies: 503 while Redis or the database is away, 200 once back.

A private redis-server is stopped and started under the app; the database outage here is
a PostgreSQL URL on a closed port (tests/integration/test_production_entrypoints.py stops
and restarts a real PostgreSQL under gunicorn).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import app_config
from tests.servers import RedisServer, free_port, wait_until


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


def test_readiness_fails_while_redis_is_away_and_recovers(database_url, tmp_path, redis):
    from publisher import create_app

    app = create_app(app_config(database_url, tmp_path, REDIS_URL=redis.url))
    client = app.test_client()
    assert client.get("/readyz").status_code == 200

    redis.stop()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert "redis" in response.get_json()["detail"]
    assert client.get("/healthz").status_code == 200  # alive, only not ready

    redis.start()
    wait_until(lambda: client.get("/readyz").status_code == 200, 10, "readiness to recover")
    assert client.get("/readyz").get_json()["checks"] == {"database": "ok", "redis": "ok"}
    with app.app_context():
        app.extensions["db"]["engine"].dispose()


def test_readiness_fails_while_the_database_is_away(tmp_path, redis):
    from publisher import create_app

    closed = f"postgresql://postgres@127.0.0.1:{free_port()}/publisher"
    app = create_app(app_config(closed, tmp_path, REDIS_URL=redis.url))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert "database" in response.get_json()["detail"]
    assert "redis" not in response.get_json()["detail"]
