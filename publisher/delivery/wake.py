"""On time: the dispatcher sleeps until the next publication falls due, and no longer.

It sleeps until the earliest ``next_attempt_at`` still ahead (at most
``DISPATCH_TICK_SECONDS``), and a commit that schedules or reschedules a publication
rings it awake at once, so a row due sooner than the dispatcher planned to look is not
left waiting. The bell is a Redis list the dispatchers block on (``BLPOP``; one of them
wakes, and the compare-and-set claim keeps the others from double-claiming anyway), or
a ``threading.Event`` in embedded mode.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

import redis
from flask import Flask
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from jobqueue.connection import JobQueue
from publisher.db import db
from publisher.delivery.models import Publication

log = logging.getLogger(__name__)
SIGNAL = "dispatch"
_FLAG = "wake_dispatcher"
WAITING = ("scheduled", "unconfirmed")


def init_app(app: Flask) -> None:
    """Ring the dispatcher after every commit that leaves a publication waiting to go."""
    factory = app.extensions["db"]["factory"]
    queue: JobQueue = app.extensions["jobqueue"]

    def _note(session: Session, _context: Any) -> None:
        for obj in (*session.new, *session.dirty):
            if isinstance(obj, Publication) and obj.status in WAITING:
                session.info[_FLAG] = True
                return

    def _ring(session: Session) -> None:
        if session.info.pop(_FLAG, False):
            ring(queue)

    def _forget(session: Session) -> None:
        session.info.pop(_FLAG, None)

    event.listen(factory, "after_flush", _note)
    event.listen(factory, "after_commit", _ring)
    event.listen(factory, "after_rollback", _forget)


def ring(queue: JobQueue) -> None:
    """Wake a dispatcher now. The row is committed already: a lost ring only costs time."""
    try:
        queue.signal(SIGNAL)
    except redis.RedisError:
        log.warning("could not wake the dispatcher; it looks again within its longest sleep")


def seconds_to_next_due(now: datetime) -> float | None:
    """Seconds until the earliest waiting publication falls due; None when none waits."""
    earliest = db.session.scalar(
        select(func.min(Publication.next_attempt_at)).where(
            Publication.status.in_(WAITING), Publication.next_attempt_at > now
        )
    )
    db.session.rollback()
    if earliest is None:
        return None
    if earliest.tzinfo is None:  # SQLite hands back naive UTC
        earliest = earliest.replace(tzinfo=now.tzinfo)
    return max(0.0, (earliest - now).total_seconds())


def sleep(queue: JobQueue, seconds: float, stop: Any = None) -> None:
    """Sleep up to ``seconds``; return early when rung or when ``stop`` is set.

    The wait is cut in slices of at most a second, so a stop request (SIGTERM sets
    ``stop``) is honoured within a second even while blocked on Redis.
    """
    deadline = time.monotonic() + seconds
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or (stop is not None and stop.is_set()):
            return
        try:
            if queue.wait_signal(SIGNAL, min(remaining, 1.0)):
                return
        except redis.RedisError:
            # Redis away: sleep the slice out; the dispatcher's next pass says why.
            if stop is not None:
                stop.wait(min(remaining, 1.0))
            else:
                time.sleep(min(remaining, 1.0))
