"""Embedded mode: with no REDIS_URL the web process also runs the dispatcher and a worker.

The queue is fakeredis inside the process; the jobs are the same functions the
distributed workers run, so behaviour does not fork between the two deployments.
"""

from __future__ import annotations

import atexit
import logging
import threading

from flask import Flask

from jobqueue.worker import run_embedded_worker

log = logging.getLogger(__name__)


def start_embedded(app: Flask) -> threading.Event:
    """Start the dispatcher and worker threads; returns the event that stops them."""
    from publisher.delivery.dispatch import run_dispatcher

    stop = threading.Event()
    queue = app.extensions["jobqueue"]
    threading.Thread(
        target=run_dispatcher, args=(app,), kwargs={"stop": stop}, name="dispatcher", daemon=True
    ).start()
    threading.Thread(
        target=run_embedded_worker, args=(app, queue.queues(), stop), name="worker", daemon=True
    ).start()
    atexit.register(stop.set)
    log.info("embedded mode: dispatcher and worker threads started")
    return stop
