"""The test clock (tests/clock/): PUBLISHER_TEST_CLOCK moves the session and what it launches."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
import travelled_clock

from tests.servers import service_env


def test_launched_processes_read_the_same_clock_as_the_tests():
    before = time.time()
    done = subprocess.run(
        [sys.executable, "-c", "import time; print(time.time())"],
        env=service_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    after = time.time()
    assert before - 1 <= float(done.stdout) <= after + 1


def test_the_clock_is_where_publisher_test_clock_says():
    moment = travelled_clock.requested()
    if moment is None:
        pytest.skip("runs under PUBLISHER_TEST_CLOCK (tests/integration/test_reference_dates.py)")
    now = datetime.now(UTC)
    # It ticks from there: the session may have been running for some minutes.
    assert moment <= now < moment + timedelta(hours=1)


def test_a_clock_without_offset_is_refused(monkeypatch):
    monkeypatch.setenv(travelled_clock.CLOCK, "2026-12-31T23:30:00")
    with pytest.raises(ValueError, match="needs a UTC offset"):
        travelled_clock.requested()
