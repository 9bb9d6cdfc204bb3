"""The worker loop restarts RQ's loop after a Redis outage and stops on a signal."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import redis

from publisher.lifecycle import run_worker, stop_on_signals


@pytest.fixture(autouse=True)
def restore_signal_handlers() -> Iterator[None]:
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


class FakeConnection:
    def __init__(self, answers: list[bool]) -> None:
        self.answers = answers

    def ping(self) -> bool:
        if self.answers and not self.answers.pop(0):
            raise redis.exceptions.ConnectionError("Connection refused")
        return True


class FakeWorker:
    """Stands in for RQ's worker: ``ends`` says how each work() call ends."""

    def __init__(self, ends: str, connection: FakeConnection, calls: list[str]) -> None:
        self.ends = ends
        self.connection = connection
        self.calls = calls
        self._shutdown_requested_date: datetime | None = None

    def work(self, burst: bool, with_scheduler: bool) -> bool:
        self.calls.append(self.ends)
        if self.ends == "signal":
            self._shutdown_requested_date = datetime.now(UTC)
        elif self.ends == "redis-error":
            raise redis.exceptions.ConnectionError("Connection closed by server")
        return True


def make(ends: list[str], answers: list[bool], calls: list[str]):
    connection = FakeConnection(answers)
    plan = iter(ends)
    return lambda: FakeWorker(next(plan), connection, calls)


def test_the_loop_restarts_after_redis_goes_away_and_ends_on_a_signal():
    calls: list[str] = []
    # "quit": RQ logged "unhandled exception, quitting" and returned; Redis answers on the
    # second ping; then a teardown failure; then SIGTERM.
    run_worker(make(["quit", "redis-error", "signal"], [False, True], calls), restart_delay=0.01)
    assert calls == ["quit", "redis-error", "signal"]


def test_burst_runs_once():
    calls: list[str] = []
    run_worker(make(["quit", "quit"], [], calls), burst=True, restart_delay=0.01)
    assert calls == ["quit"]


def test_a_signal_while_waiting_for_redis_stops_the_loop():
    calls: list[str] = []

    class Down(FakeConnection):
        def ping(self) -> bool:
            os.kill(os.getpid(), signal.SIGTERM)  # operator stops it during the outage
            raise redis.exceptions.ConnectionError("Connection refused")

    run_worker(lambda: FakeWorker("quit", Down([]), calls), restart_delay=0.01)
    assert calls == ["quit"]


def test_stop_on_signals_sets_the_event():
    stop = stop_on_signals()
    assert not stop.is_set()
    os.kill(os.getpid(), signal.SIGTERM)
    assert stop.wait(2)
