"""How the long-running roles start, survive outages and stop (worker and dispatcher).

``docker stop``, systemd and Kubernetes all send SIGTERM and wait a grace period before
SIGKILL. The dispatcher finishes its tick and returns; the RQ worker finishes the delivery
it is running (RQ's warm shutdown) and returns. A second SIGTERM or SIGINT makes RQ stop at
once (cold shutdown); the lease reaper and reconciliation then take care of that delivery.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

import redis
from rq.exceptions import StopRequested

log = logging.getLogger(__name__)
RESTART_DELAY_SECONDS = 2.0


def stop_on_signals(signals: tuple[int, ...] = (signal.SIGTERM, signal.SIGINT)) -> threading.Event:
    """An event that SIGTERM or SIGINT sets; loops check it between steps and return."""
    stop = threading.Event()

    def _request_stop(signum: int, _frame: Any) -> None:
        log.info("%s received: stopping after the current step", signal.Signals(signum).name)
        stop.set()

    for signum in signals:
        signal.signal(signum, _request_stop)
    return stop


def run_worker(
    make_worker: Callable[[], Any],
    *,
    burst: bool = False,
    restart_delay: float = RESTART_DELAY_SECONDS,
) -> None:
    """Run RQ's work loop until a stop is requested, starting it again if it ends by itself.

    RQ retries a lost connection while it waits for a job, but a Redis outage that
    lands elsewhere (between jobs, or while it watches a work horse) makes ``work()``
    log "unhandled exception, quitting" and return. A worker that exits there stays
    gone unless something restarts it, so this loop does: the database keeps every
    publication, and the dispatcher re-enqueues the jobs that Redis lost.
    """
    try:
        while True:
            worker = make_worker()
            try:
                worker.work(burst=burst, with_scheduler=False)
            except redis.exceptions.RedisError:
                # Teardown (unregistering the worker) talks to Redis too.
                log.warning("worker stopped on a Redis error", exc_info=True)
            # RQ (2.x) records a SIGTERM/SIGINT here, whether it came idle or mid-job.
            if burst or getattr(worker, "_shutdown_requested_date", None) is not None:
                return
            stop = stop_on_signals()
            log.warning(
                "the worker loop ended without a stop request (Redis unavailable?); "
                "starting again once Redis answers"
            )
            while not stop.wait(restart_delay):
                if _redis_answers(worker):
                    break
            if stop.is_set():
                return
    except StopRequested:
        # A signal landed between RQ's loop and ours, while RQ's handler was still installed.
        return


def _redis_answers(worker: Any) -> bool:
    try:
        return bool(worker.connection.ping())
    except redis.exceptions.RedisError:
        return False
