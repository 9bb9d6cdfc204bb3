"""The production entrypoints, run from outside as an operator runs them.

gunicorn with the real ``gunicorn.conf.py``, two ``publisher worker`` and one
``publisher dispatch``, on PostgreSQL and a private Redis; content, channel and
publications are made through gunicorn's HTTP API with tokens from ``publisher tokens
create``. Redis (and, in the second test, PostgreSQL itself) is restarted under the
running service: readiness must fail while it is away and recover, and every
publication must still reach the webhook receiver exactly once.
"""

from __future__ import annotations

import json
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.receiver import Receiver
from tests.servers import (
    ROOT,
    PostgresCluster,
    RedisServer,
    Service,
    free_port,
    gunicorn_command,
    http,
    publisher_command,
    run_publisher,
    service_env,
    throwaway_database,
    wait_until,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def milestone(started: float, what: str) -> None:
    print(f"{time.monotonic() - started:6.1f} s  {what}")


class Stack:
    """A migrated database, tokens, and the web, worker and dispatcher processes."""

    def __init__(self, tmp_path: Path, database_url: str, redis: RedisServer) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.logdir = tmp_path / "logs"
        self.logdir.mkdir()
        self.env = service_env(
            DATABASE_URL=database_url,
            REDIS_URL=redis.url,
            SECRET_KEY="e2e-secret-key-" + secrets.token_hex(16),
            PUBLISHER_ENV="production",
            PUBLIC_BASE_URL=self.base,
            INSTANCE_PATH=tmp_path / "instance",
            QUEUE_PREFIX=f"e2e-{secrets.token_hex(4)}",
            DISPATCH_TICK_SECONDS=0.5,
            LEASE_SECONDS=20,
            VANISHED_JOB_SECONDS=2,
            RETRY_BACKOFF_SECONDS="1,2,4",
            CHANNEL_TIMEOUT_SECONDS=5,
            LOG_FORMAT="json",
            OUTBOUND_ALLOW_PRIVATE=1,  # the receiver listens on 127.0.0.1
            PORT=self.port,
            BIND_ADDRESS="127.0.0.1",
            WEB_CONCURRENCY=2,
            GUNICORN_GRACEFUL_TIMEOUT=5,
        )
        self.services: list[Service] = []
        self.tokens: dict[str, str] = {}

    def prepare(self) -> None:
        """The one-shot steps: migrations, reference data, tokens."""
        run_publisher(self.env, "db", "upgrade")
        run_publisher(self.env, "seed")
        # Three processes at once: each spends most of its time importing the app.
        running = {
            role: subprocess.Popen(
                publisher_command("tokens", "create", f"e2e-{role}", "--role", role),
                cwd=ROOT,
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for role in ("admin", "editor", "approver")
        }
        for role, proc in running.items():
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, f"tokens create {role}: {out}{err}"
            self.tokens[role] = out.strip().splitlines()[0]

    def start(self, workers: int = 2) -> None:
        self.services.append(Service("web", gunicorn_command(), self.env, self.logdir))
        for n in range(1, workers + 1):
            self.services.append(
                Service(f"worker-{n}", publisher_command("worker"), self.env, self.logdir)
            )
        self.services.append(
            Service("dispatch", publisher_command("dispatch"), self.env, self.logdir)
        )
        # Generous: on a loaded machine, four processes importing the app take a while.
        try:
            wait_until(lambda: self.readiness()[0] == 200, 90, "gunicorn to answer /readyz")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.diagnostics()}") from None

    def stop(self) -> dict[str, int | None]:
        """SIGTERM everything, as ``docker stop`` does; what each exited with."""
        for service in self.services:
            service.signal(signal.SIGTERM)
        codes: dict[str, int | None] = {}
        for service in self.services:
            try:
                codes[service.name] = service.wait(20)
            except subprocess.TimeoutExpired:  # ignored SIGTERM: killed, and reported as None
                service.kill()
                codes[service.name] = None
        return codes

    def kill_all(self) -> None:
        for service in self.services:
            service.kill()

    def alive(self) -> dict[str, bool]:
        return {s.name: s.alive() for s in self.services}

    def readiness(self) -> tuple[int, Any]:
        return http("GET", self.base + "/readyz", timeout=5)

    def api(self, method: str, path: str, body: Any = None, role: str = "editor") -> Any:
        status, answer = http(method, f"{self.base}/api/v1{path}", body, self.tokens[role])
        assert 200 <= status < 300, f"{method} {path}: {status} {answer}"
        return answer

    def webhook_channel(self, receiver: Receiver) -> int:
        answer = self.api(
            "POST",
            "/channels",
            {
                "kind": "webhook",
                "slug": f"doi-tac-{secrets.token_hex(3)}",
                "name": "Đối tác",
                "settings": {"url": receiver.url, "secret": receiver.secret},
            },
            role="admin",
        )
        return answer["id"]

    def approved_content(self, title: str) -> int:
        item = self.api(
            "POST",
            "/content",
            {
                "kind": "article",
                "title": title,
                "body": "<p>Mỗi giọt máu cho đi, một cuộc đời ở lại.</p>",
            },
        )
        self.api("POST", f"/content/{item['id']}/submit")
        self.api("POST", f"/content/{item['id']}/approve", role="approver")
        return item["id"]

    def schedule(self, content_id: int, channel_id: int, delay: float = -1.0) -> int:
        at = datetime.now(UTC) + timedelta(seconds=delay)
        answer = self.api(
            "POST",
            "/publications",
            {
                "content_id": content_id,
                "channel_id": channel_id,
                "scheduled_at": at.isoformat().replace("+00:00", "Z"),
            },
        )
        return answer["id"]

    def statuses(self, ids: list[int]) -> dict[int, str]:
        status, answer = http(
            "GET", f"{self.base}/api/v1/publications?per_page=200", token=self.tokens["editor"]
        )
        if status != 200:
            return {}
        return {p["id"]: p["status"] for p in answer["items"] if p["id"] in ids}

    def wait_published(self, ids: list[int], timeout: float) -> None:
        def done() -> bool:
            found = self.statuses(ids)
            return len(found) == len(ids) and set(found.values()) == {"published"}

        try:
            wait_until(done, timeout, f"publications {ids} to be published", interval=0.3)
        except AssertionError:
            raise AssertionError(f"{self.statuses(ids)}\n{self.diagnostics()}") from None

    def diagnostics(self) -> str:
        return "\n".join(
            f"--- {s.name} (alive={s.alive()})\n{s.output()[-3000:]}" for s in self.services
        )

    def non_json_log_lines(self) -> list[str]:
        """Log lines (stderr; and gunicorn's access log on stdout) that are not JSON."""
        bad = []
        for service in self.services:
            lines = service.stderr_path.read_text(errors="replace").splitlines()
            if service.name == "web":
                lines += service.stdout_path.read_text(errors="replace").splitlines()
            for line in filter(str.strip, lines):
                try:
                    json.loads(line)
                except ValueError:
                    bad.append(f"{service.name}: {line}")
        return bad


def assert_exactly_once(receiver: Receiver, expected: int) -> None:
    keys = [r["key"] for r in receiver.requests]
    assert len(set(keys)) == expected, f"{len(set(keys))} distinct keys for {expected} publications"
    assert len(keys) == expected, f"{len(keys)} requests for {expected} publications"
    assert receiver.bad_signatures == 0


def readiness_fails(stack: Stack) -> dict[str, Any]:
    """Wait for /readyz to answer 503; its problem document."""
    status, problem = wait_until(
        lambda: (r := stack.readiness())[0] == 503 and r, 10, "readiness to fail"
    )
    assert status == 503
    return problem


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


@pytest.fixture
def stacks() -> Iterator[list[Stack]]:
    """Whatever a test started is killed at the end, however the test ended."""
    started: list[Stack] = []
    yield started
    for stack in started:
        stack.kill_all()


def test_every_publication_is_delivered_once_across_a_redis_restart(
    tmp_path: Path, redis: RedisServer, receiver: Receiver, stacks: list[Stack]
) -> None:
    started = time.monotonic()
    with throwaway_database() as database_url:
        stack = Stack(tmp_path, database_url, redis)
        stacks.append(stack)
        stack.prepare()
        milestone(started, "migrated, seeded, tokens made")
        stack.start(workers=2)
        milestone(started, "gunicorn, two workers and the dispatcher ready")
        channel = stack.webhook_channel(receiver)
        items = [stack.approved_content(f"Ngày hội hiến máu đợt {n}") for n in range(1, 4)]

        first = [stack.schedule(item, channel) for item in items for _ in range(2)]
        stack.wait_published(first, 30)
        assert_exactly_once(receiver, len(first))
        milestone(started, "first batch delivered")

        # A backlog in Redis and deliveries in flight; then Redis goes, keys and all.
        receiver.slow(0.4, times=8)
        second = [stack.schedule(item, channel) for item in items for _ in range(4)]
        wait_until(
            lambda: len(receiver.requests) >= len(first) + 2,
            20,
            "the second batch to start arriving",
        )
        redis.stop()
        milestone(started, "Redis stopped")
        assert "redis" in readiness_fails(stack)["detail"]
        time.sleep(1.0)
        redis.start()
        milestone(started, "Redis started again, empty")
        wait_until(lambda: stack.readiness()[0] == 200, 20, "readiness to recover")

        stack.wait_published(first + second, 45)
        assert_exactly_once(receiver, len(first) + len(second))
        assert all(stack.alive().values()), stack.diagnostics()
        milestone(started, "second batch delivered")
        codes = stack.stop()
    assert codes == {"web": 0, "worker-1": 0, "worker-2": 0, "dispatch": 0}, stack.diagnostics()
    assert stack.non_json_log_lines() == []
    milestone(started, "stopped by SIGTERM")


@pytest.fixture
def private_postgres() -> Iterator[PostgresCluster]:
    if not PostgresCluster.available():
        pytest.skip("needs PostgreSQL's initdb and pg_ctl (and, as root, the postgres user)")
    cluster = PostgresCluster()
    try:
        yield cluster.init()
    finally:
        cluster.remove()


def test_delivery_and_readiness_survive_a_database_restart(
    tmp_path: Path,
    private_postgres: PostgresCluster,
    redis: RedisServer,
    receiver: Receiver,
    stacks: list[Stack],
) -> None:
    started = time.monotonic()
    stack = Stack(tmp_path, private_postgres.url, redis)
    stacks.append(stack)
    stack.prepare()
    milestone(started, "private cluster migrated, seeded, tokens made")
    stack.start(workers=1)
    milestone(started, "gunicorn, a worker and the dispatcher ready")
    channel = stack.webhook_channel(receiver)
    item = stack.approved_content("Chủ nhật Đỏ: mời bà con đi hiến máu")
    first = [stack.schedule(item, channel) for _ in range(3)]
    stack.wait_published(first, 30)
    milestone(started, "first batch delivered")

    # Due while the database is away: the dispatcher's ticks fail, then catch up.
    second = [stack.schedule(item, channel, delay=1.5) for _ in range(3)]
    private_postgres.stop()
    milestone(started, "PostgreSQL stopped")
    assert "database" in readiness_fails(stack)["detail"]
    time.sleep(2.0)
    private_postgres.start()
    milestone(started, "PostgreSQL started again")
    wait_until(lambda: stack.readiness()[0] == 200, 20, "readiness to recover")

    third = [stack.schedule(item, channel) for _ in range(3)]
    stack.wait_published(first + second + third, 40)
    assert_exactly_once(receiver, 9)
    assert all(stack.alive().values()), stack.diagnostics()
    milestone(started, "every batch delivered")
    codes = stack.stop()
    assert codes == {"web": 0, "worker-1": 0, "dispatch": 0}, stack.diagnostics()
    assert stack.non_json_log_lines() == []
    milestone(started, "stopped by SIGTERM")
