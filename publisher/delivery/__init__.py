"""Scheduling and delivery: channels, publications, the dispatcher and the worker's jobs.

Jobs are enqueued by dotted path (``publisher.delivery.deliver``) and receive ids only.
"""

from __future__ import annotations


def deliver(publication_id: int) -> str:
    """RQ job: deliver one publication (see :mod:`publisher.delivery.pipeline`)."""
    from publisher.delivery.pipeline import deliver as run

    return run(publication_id)


def withdraw(publication_id: int) -> str:
    """RQ job: withdraw a delivered publication where the channel can."""
    from publisher.delivery.channel_jobs import withdraw as run

    return run(publication_id)


def check_channel(channel_id: int) -> str:
    """RQ job: check a channel's credentials."""
    from publisher.delivery.channel_jobs import check_channel as run

    return run(channel_id)
