"""Runs the tests with the clock set to another date: ``PUBLISHER_TEST_CLOCK``.

``PUBLISHER_TEST_CLOCK=2026-12-31T23:30:00+07:00 pytest ...`` moves the whole session there
with time-machine; the clock keeps ticking from that instant. Processes the tests launch
(workers, the web server, CLI commands) get the same clock through sitecustomize.py in this
folder, which the test helpers put on their PYTHONPATH: PUBLISHER_TEST_CLOCK_STARTED holds
the real time at which the session's clock read PUBLISHER_TEST_CLOCK, so a process started
a minute later reads the travelled instant plus that minute, as the session does.

time.monotonic() and time.perf_counter() are not moved (timeouts stay real), and neither
are the clocks of PostgreSQL and Redis, which the service does not ask for the time.
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path

CLOCK = "PUBLISHER_TEST_CLOCK"
STARTED = "PUBLISHER_TEST_CLOCK_STARTED"
FOLDER = Path(__file__).resolve().parent

_traveller = None


def requested() -> datetime | None:
    """The instant PUBLISHER_TEST_CLOCK asks for (with its UTC offset), or None."""
    value = os.environ.get(CLOCK, "").strip()
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"{CLOCK}={value!r} needs a UTC offset, e.g. 2026-12-31T23:30:00+07:00")
    return moment


def travel_from_env() -> datetime | None:
    """Move this process's clock as the environment asks; once per process."""
    global _traveller
    moment = requested()
    if moment is None or _traveller is not None:
        return moment
    import time_machine

    now = time.time()
    started = float(os.environ.setdefault(STARTED, repr(now)))
    destination = moment.timestamp() + (now - started)
    _traveller = time_machine.travel(destination, tick=True)
    _traveller.start()
    return moment


def child_pythonpath(*entries: str) -> str:
    """PYTHONPATH for a launched process: ``entries``, plus this folder when travelling."""
    # Read from the environment, which travel_from_env() completed: this module may be
    # imported under two names (travelled_clock, tests.clock.travelled_clock).
    travelling = bool(os.environ.get(CLOCK, "").strip()) and STARTED in os.environ
    return os.pathsep.join([*entries, str(FOLDER)] if travelling else list(entries))
