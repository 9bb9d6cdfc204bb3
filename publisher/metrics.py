"""Prometheus metrics, read from the database and Redis at scrape time.

Workers are forked processes that come and go, so counters kept in their memory would
be lost; the database holds every publication and attempt, so the figures come from
there and agree whichever web process answers the scrape.

Prometheus semantics decide the types. A counter must only ever go up (a drop is read
as a process restart and summed as a reset), so nothing counted from rows is a
counter: rows settle (an attempt in progress gets its outcome), publications change
status, and a withdrawn post leaves "published". Those figures are gauges. Figures
over the last seven days are gauges too, since old rows leave the window. The only
counters are this process's own (``process_cpu_seconds_total``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import timedelta

from flask import Blueprint, Response, current_app
from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from content_library.db import utcnow
from publisher.db import db
from publisher.delivery.models import DELIVERING_HEALTH, Attempt, Channel, Publication

metrics = Blueprint("metrics", __name__)
RECENT = timedelta(days=7)
LAG_PERCENTILES = (50, 90, 99, 100)
ERROR_OUTCOMES = frozenset(
    {"transient", "rate_limited", "permanent", "channel_broken", "unknown", "error", "worker_lost"}
)


def percentile(ordered: list[float], rank: int) -> float:
    """The nearest-rank percentile of an ascending list (0 for an empty one)."""
    if not ordered:
        return 0.0
    index = max(0, math.ceil(rank / 100 * len(ordered)) - 1)
    return ordered[min(index, len(ordered) - 1)]


class DatabaseCollector:
    def collect(self) -> Iterator[object]:
        session = db.session
        try:
            yield from self._publications(session)
            yield from self._attempts(session)
            yield from self._lag(session)
            yield from self._channels(session)
        finally:
            session.rollback()
        yield from self._queue()

    def _publications(self, session) -> Iterator[object]:
        by_status = GaugeMetricFamily(
            "publisher_publications",
            "Publications now in each status, by channel",
            labels=["status", "channel", "kind"],
        )
        rows = session.execute(
            select(Publication.status, Channel.slug, Channel.kind, func.count())
            .join(Channel, Channel.id == Publication.channel_id)
            .group_by(Publication.status, Channel.slug, Channel.kind)
        ).all()
        for status, slug, kind, count in rows:
            by_status.add_metric([status, slug, kind], count)
        yield by_status

    def _attempts(self, session) -> Iterator[object]:
        attempts = GaugeMetricFamily(
            "publisher_attempts",
            "Delivery attempts recorded, by outcome and channel kind (counted from rows: "
            "an attempt in progress moves to its outcome)",
            labels=["outcome", "kind"],
        )
        errors = GaugeMetricFamily(
            "publisher_attempt_errors",
            "Recorded attempts that failed, by error class and channel kind",
            labels=["error_class", "kind"],
        )
        rows = session.execute(
            select(Attempt.outcome, Channel.kind, func.count())
            .join(Publication, Publication.id == Attempt.publication_id)
            .join(Channel, Channel.id == Publication.channel_id)
            .group_by(Attempt.outcome, Channel.kind)
        ).all()
        for outcome, kind, count in rows:
            attempts.add_metric([outcome or "in_progress", kind], count)
            if outcome in ERROR_OUTCOMES:
                errors.add_metric([outcome, kind], count)
        yield attempts
        yield errors

    def _lag(self, session) -> Iterator[object]:
        since = utcnow() - RECENT
        published = session.execute(
            select(Publication.published_at, Publication.scheduled_at).where(
                Publication.published_at >= since, Publication.status == "published"
            )
        ).all()
        values = sorted(max(0.0, (p - s).total_seconds()) for p, s in published)
        count = GaugeMetricFamily(
            "publisher_recently_published",
            "Publications published in the last 7 days",
        )
        count.add_metric([], len(values))
        yield count
        lag = GaugeMetricFamily(
            "publisher_recent_publish_lag_seconds",
            "Published minus scheduled time over the last 7 days, by percentile (nearest rank)",
            labels=["percentile"],
        )
        for rank in LAG_PERCENTILES:
            lag.add_metric([str(rank)], percentile(values, rank))
        yield lag

    def _channels(self, session) -> Iterator[object]:
        health = GaugeMetricFamily(
            "publisher_channel_healthy", "1 when the channel can deliver", labels=["channel"]
        )
        now = utcnow()
        for channel in session.scalars(select(Channel)):
            ok = (
                channel.enabled
                and channel.health_status in DELIVERING_HEALTH
                and not (channel.paused_until and channel.paused_until > now)
            )
            health.add_metric([channel.slug], 1 if ok else 0)
        yield health

    def _queue(self) -> Iterator[object]:
        available = GaugeMetricFamily(
            "publisher_queue_available", "1 when the job queue (Redis) answered this scrape"
        )
        depth = GaugeMetricFamily("publisher_queue_depth", "Jobs waiting in RQ", labels=["queue"])
        try:
            counts = current_app.extensions["jobqueue"].depth()
        except Exception:  # an unreachable Redis is a figure here, not an error
            available.add_metric([], 0)
        else:
            available.add_metric([], 1)
            for name, count in counts.items():
                depth.add_metric([name], count)
        yield available
        yield depth


@metrics.get("/metrics")
def metrics_view() -> Response:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector())
    # CPU time, memory, open files and start time of this web process: real counters.
    ProcessCollector(registry=registry)
    return Response(generate_latest(registry), mimetype="text/plain; version=0.0.4")
