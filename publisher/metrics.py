"""Prometheus metrics, read from the database and Redis at scrape time.

Workers are forked processes that come and go, so counters kept in their memory would
be lost; the database holds every publication and attempt, so the figures come from
there and agree whichever web process answers the scrape.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from flask import Blueprint, Response, current_app
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from sqlalchemy import func, select

from content_library.db import utcnow
from publisher.db import db
from publisher.delivery.models import DELIVERING_HEALTH, Attempt, Channel, Publication

metrics = Blueprint("metrics", __name__)
LAG_BUCKETS = (1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)


class DatabaseCollector:
    def collect(self) -> Iterator[object]:
        session = db.session
        by_status = GaugeMetricFamily(
            "publisher_publications",
            "Publications by status and channel",
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

        attempts = CounterMetricFamily(
            "publisher_attempts",
            "Delivery attempts by outcome and channel kind",
            labels=["outcome", "kind"],
        )
        errors = CounterMetricFamily(
            "publisher_errors", "Failed attempts by error class", labels=["error_class", "kind"]
        )
        rows = session.execute(
            select(Attempt.outcome, Channel.kind, func.count())
            .join(Publication, Publication.id == Attempt.publication_id)
            .join(Channel, Channel.id == Publication.channel_id)
            .group_by(Attempt.outcome, Channel.kind)
        ).all()
        for outcome, kind, count in rows:
            attempts.add_metric([outcome or "in_progress", kind], count)
            if outcome in (
                "transient",
                "rate_limited",
                "permanent",
                "channel_broken",
                "unknown",
                "error",
            ):
                errors.add_metric([outcome, kind], count)
        yield attempts
        yield errors

        lag = HistogramMetricFamily(
            "publisher_publish_lag_seconds",
            "Published minus scheduled time, publications of the last 7 days",
            labels=[],
        )
        since = utcnow() - timedelta(days=7)
        published = session.execute(
            select(Publication.published_at, Publication.scheduled_at).where(
                Publication.published_at >= since, Publication.status == "published"
            )
        ).all()
        values = [max(0.0, (p - s).total_seconds()) for p, s in published]
        buckets = [(str(b), sum(1 for v in values if v <= b)) for b in LAG_BUCKETS]
        buckets.append(("+Inf", len(values)))
        lag.add_metric([], buckets, sum(values))
        yield lag

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

        depth = GaugeMetricFamily("publisher_queue_depth", "Jobs waiting in RQ", labels=["queue"])
        try:
            for name, count in current_app.extensions["jobqueue"].depth().items():
                depth.add_metric([name], count)
        except Exception:
            depth.add_metric(["unavailable"], -1)
        yield depth
        session.rollback()


@metrics.get("/metrics")
def metrics_view() -> Response:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector())
    return Response(generate_latest(registry), mimetype="text/plain; version=0.0.4")
