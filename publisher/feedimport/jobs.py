"""The feed importer's place in the dispatcher loop, and the job it enqueues."""

from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app

from content_library.db import utcnow
from jobqueue.connection import JobQueue
from publisher.db import db
from publisher.feedimport.service import due_source_ids, import_one

log = logging.getLogger(__name__)
IMPORT_JOB = "publisher.feedimport.import_feed"


def import_job_id(source_id: int, due_at: datetime | None) -> str:
    """One job per source and due time: several dispatchers enqueue it at most once."""
    stamp = due_at.strftime("%Y%m%dT%H%M%S") if due_at is not None else "first"
    return f"feed-import-{source_id}-{stamp}"


def feed_imports(queue: JobQueue, now: datetime) -> int:
    """Dispatcher hook: enqueue an import for every due source; returns how many were enqueued."""
    due = due_source_ids(db.session, now)
    db.session.rollback()
    enqueued = 0
    for source_id, due_at in due:
        job_id = import_job_id(source_id, due_at)
        enqueued += queue.enqueue_once(IMPORT_JOB, source_id, job_id=job_id, queue="maintenance")
    return enqueued


def run_import(source_id: int) -> str:
    """The job's body: import one source now (if it still exists and is enabled)."""
    from publisher.feedimport.models import FeedSource

    source = db.session.get(FeedSource, source_id)
    if source is None or not source.enabled:
        db.session.rollback()
        return "skipped"
    allow_private = current_app.config["SETTINGS"].OUTBOUND_ALLOW_PRIVATE
    report = import_one(db.session, source_id, allow_private=allow_private, now=utcnow())
    if report is None:
        return "skipped"
    if report.error:
        log.warning("feed source %s: %s", source_id, report.error)
    return report.status
