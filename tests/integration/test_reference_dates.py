"""The date-sensitive tests again, with the clock at dates that break date arithmetic.

Each date runs in its own pytest process under PUBLISHER_TEST_CLOCK (tests/clock/), on
SQLite only to keep `make test` short; the whole suite can be run the same way by hand:
``PUBLISHER_TEST_CLOCK=2028-02-29T09:00:00+07:00 .venv/bin/pytest -m "not browser"``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import travelled_clock

ROOT = Path(__file__).resolve().parents[2]

REFERENCE_DATES = {
    # Half an hour before the new year in Lai Châu (16:30 UTC: still the old year in UTC).
    "new-year-eve": "2026-12-31T23:30:00+07:00",
    # A leap day: "the same day next year" does not exist.
    "leap-day": "2028-02-29T09:00:00+07:00",
    # Mùng 1 Tết Đinh Mùi, when offices close and bulletins still air.
    "tet": "2027-02-06T09:00:00+07:00",
    # The morning of the drive of 28/11/2025 in phường Đoàn Kết (config/drives-2025.csv),
    # before it opens at 7h: 23:30 UTC, so the UTC date is still the day before.
    "drive-day": "2025-11-28T06:30:00+07:00",
}

DATE_SENSITIVE = [
    "tests/unit/test_clock.py",
    "tests/unit/planning",
    "tests/unit/loudspeaker/test_bulletin.py",
    "tests/integration/test_demo_dates.py",
    "tests/integration/test_loudspeaker_operators.py",
    "tests/integration/test_planning_follow.py",
    "tests/integration/test_ui_operations.py::test_campaigns_and_drives",
]


@pytest.fixture(scope="module")
def runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """The selected dates' pytest processes, started together: two cores, half the wait."""
    wanted = {
        item.callspec.params["name"]
        for item in request.session.items
        if getattr(item, "originalname", "") == "test_date_sensitive_tests_pass_at"
    }
    logs = tmp_path_factory.mktemp("reference-dates")
    started: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
    for name in wanted:
        env = {k: v for k, v in os.environ.items() if not k.startswith(travelled_clock.CLOCK)}
        env[travelled_clock.CLOCK] = REFERENCE_DATES[name]
        log = logs / f"{name}.log"
        with log.open("wb") as out:
            started[name] = (
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "pytest",
                        *DATE_SENSITIVE,
                        "-q",
                        "-x",
                        "-p",
                        "no:cacheprovider",
                        "-m",
                        "not browser and not slow",
                        "-k",
                        "not postgres",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                ),
                log,
            )
    yield started
    for proc, _log in started.values():
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


@pytest.mark.slow
@pytest.mark.parametrize("name", REFERENCE_DATES)
def test_date_sensitive_tests_pass_at(name: str, runs) -> None:
    proc, log = runs[name]
    returncode = proc.wait(300)
    report = log.read_text(errors="replace")[-8000:]
    assert returncode == 0, f"at {REFERENCE_DATES[name]}:\n{report}"
    # The clock really moved: the check that only runs under a moved clock was not skipped.
    skipped = [line for line in report.splitlines() if line.startswith("SKIPPED")]
    assert not [line for line in skipped if "test_clock.py" in line], skipped
