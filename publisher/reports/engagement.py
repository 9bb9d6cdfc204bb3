"""Reading engagement (reactions, comments, shares ...) from channels that report it.

The dispatcher's hook enqueues, on the maintenance queue, one job per channel that has
posts to read; the job asks the channel's adapter about each post and keeps every
answer with the time it was read. Kinds take part by implementing
``Adapter.engagement``; nothing here knows a kind by name.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select

from channels import registry
from channels.base import Adapter, ChannelBroken, ChannelError, RateLimited
from content_library.db import utcnow
from jobqueue.connection import JobQueue
from publisher.db import db
from publisher.delivery.channels import adapter_for
from publisher.delivery.models import DELIVERING_HEALTH, Channel, Publication
from publisher.reports.models import EngagementReading

log = logging.getLogger(__name__)
ENGAGEMENT_JOB = "publisher.reports.read_engagement"
# Posts are read again every few hours during their first month, when they are still seen.
READ_EVERY = timedelta(hours=6)
READ_FOR = timedelta(days=30)
BATCH = 200


def engagement_kinds() -> list[str]:
    """Kinds whose adapter reports engagement (overrides ``Adapter.engagement``)."""
    return [
        kind
        for kind in registry.kinds()
        if registry.adapter_class(kind).engagement is not Adapter.engagement
    ]


def _due(now: datetime) -> Any:
    """Delivered posts still visible, in their first month, not read in the last hours."""
    recent = exists().where(
        EngagementReading.publication_id == Publication.id,
        EngagementReading.read_at > now - READ_EVERY,
    )
    return (
        Publication.published_at.is_not(None),
        Publication.published_at >= now - READ_FOR,
        Publication.external_id.is_not(None),
        Publication.withdrawn_at.is_(None),
        Publication.status == "published",
        ~recent,
    )


def engagement_reads(queue: JobQueue, now: datetime) -> int:
    """Dispatcher hook: enqueue a read for each channel with posts due; how many enqueued."""
    kinds = engagement_kinds()
    if not kinds:
        return 0
    channel_ids = db.session.scalars(
        select(Channel.id)
        .where(
            Channel.kind.in_(kinds),
            Channel.enabled.is_(True),
            Channel.health_status.in_(DELIVERING_HEALTH),
            exists().where(Publication.channel_id == Channel.id, *_due(now)),
        )
        .order_by(Channel.id)
    ).all()
    db.session.rollback()
    enqueued = 0
    for channel_id in channel_ids:
        # One run per channel and hour, however often the dispatcher ticks: a post the
        # channel would not answer for stays due, and is not asked about every tick.
        marker = f"{queue.prefix}:engagement:{channel_id}:{now:%Y%m%d%H}"
        if not queue.redis.set(marker, "1", nx=True, ex=3600):
            continue
        job_id = f"engagement-{channel_id}-{now:%Y%m%d%H}"
        enqueued += queue.enqueue_once(
            ENGAGEMENT_JOB, channel_id, job_id=job_id, queue="maintenance"
        )
    return enqueued


def read_engagement(channel_id: int, now: datetime | None = None) -> str:
    """The job: read the engagement of the channel's due posts and keep each answer."""
    now = now or utcnow()
    channel = db.session.get(Channel, channel_id)
    if channel is None or not channel.enabled or channel.kind not in engagement_kinds():
        db.session.rollback()
        return "skipped"
    posts = db.session.execute(
        select(Publication.id, Publication.external_id)
        .where(Publication.channel_id == channel_id, *_due(now))
        .order_by(Publication.published_at.desc())
        .limit(BATCH)
    ).all()
    adapter = adapter_for(channel)
    slug = channel.slug
    db.session.commit()  # no transaction stays open while the channel answers
    read = 0
    try:
        for pub_id, external_id in posts:
            try:
                figures = adapter.engagement(external_id)
            except (RateLimited, ChannelBroken) as exc:
                # The channel refuses every read for now: the rest wait for the next run
                # (the delivery side flags a broken channel; this job only reads).
                log.warning("engagement reads on %s stopped after %d: %s", slug, read, exc)
                return f"stopped after {read}"
            except ChannelError as exc:
                # This post only (deleted on the channel, a passing error): the others go on.
                log.info("engagement of publication %s on %s not read: %s", pub_id, slug, exc)
                continue
            if figures is None:
                continue
            db.session.add(
                EngagementReading(
                    publication_id=pub_id,
                    read_at=utcnow(),
                    figures={str(k): int(v) for k, v in figures.items()},
                )
            )
            db.session.commit()
            read += 1
    finally:
        close = getattr(adapter, "close", None)
        if callable(close):
            close()
    return f"read {read}"
