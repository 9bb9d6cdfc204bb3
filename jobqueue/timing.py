"""Phase timers for benchmarks: where one job's time goes, off unless asked for.

``PUBLISHER_PHASE_LOG`` (an environment variable read by benchmarks only, not a setting)
names a file; when it is set, every job appends one JSON line to it with the seconds
spent in each phase and the page faults taken in it (``{"fork": [0.004, 90], ...}``:
in a forked horse every first write to a page shared with the parent is a fault, and
faults are most of what a horse's work costs), and
``bench/pipeline.py`` sums the lines. When it is unset, ``lap`` returns at its first
test and nothing is written, so production pays one global lookup per phase.

The clock is ``time.perf_counter`` (CLOCK_MONOTONIC on Linux), which is the same clock in
every process of the machine: the worker stamps the moment before ``fork`` and the work
horse, a copy of its memory, reads the stamp to time the fork.
"""

from __future__ import annotations

import json
import os
import resource
import time

ENV = "PUBLISHER_PHASE_LOG"

_path: str | None = None
_checked = False
_phases: dict[str, list[float]] | None = None
_last = 0.0
_last_faults = 0
# Stamped by the parent right before it forks a work horse; read in the horse.
fork_stamp: float | None = None


def enabled() -> bool:
    global _path, _checked
    if not _checked:
        _path = os.environ.get(ENV) or None
        _checked = True
    return _path is not None


def _faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def start(since: float | None = None, *, forked: bool = False) -> None:
    """Begin timing one job; ``since`` (a perf_counter stamp) opens a first phase earlier.

    ``forked``: this process is a fresh fork, whose fault count started at zero.
    """
    global _phases, _last, _last_faults
    if not enabled():
        return
    _phases = {}
    _last = time.perf_counter() if since is None else since
    _last_faults = 0 if forked else _faults()


def resume() -> None:
    """Go on timing the job begun in this process after time spent elsewhere (a horse)."""
    global _last, _last_faults
    if _phases is None:
        return
    _last, _last_faults = time.perf_counter(), _faults()


def lap(name: str) -> None:
    """Charge the time since the previous lap to ``name`` (phases add up when repeated)."""
    global _last, _last_faults
    if _phases is None:
        return
    now, faults = time.perf_counter(), _faults()
    phase = _phases.setdefault(name, [0.0, 0])
    phase[0] += now - _last
    phase[1] += faults - _last_faults
    _last, _last_faults = now, faults


def finish(*, continued: bool = False) -> None:
    """Append this job's phases as one JSON line (one write: O_APPEND keeps lines whole).

    ``continued``: the phases this process spent on a job whose horse wrote its own line
    (the forking worker's share of a delivery); the line says so (``"+": 1``), and readers
    add it to the job's rather than count another job.
    """
    global _phases
    if _phases is None or _path is None:
        return
    phases: dict[str, object] = {k: [round(t, 6), f] for k, (t, f) in _phases.items()}
    if continued:
        phases["+"] = 1
    line = json.dumps(phases) + "\n"
    _phases = None
    fd = os.open(_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)
