"""The worker's jobs on a delivered post or a channel: withdraw a post, check credentials."""

from __future__ import annotations

import logging

from channels.base import (
    ChannelBroken,
    ChannelError,
    HealthReport,
    RateLimited,
    Transient,
    Unknown,
)
from content_library.db import utcnow
from publisher.db import db
from publisher.delivery.channels import adapter_for, flag_channel, pause_channel, record_check
from publisher.delivery.models import Channel, Publication
from publisher.delivery.records import close_adapter

log = logging.getLogger(__name__)


def withdraw(publication_id: int) -> str:
    """Remove a delivered post where the channel allows it (Fanpage: delete the post)."""
    pub = db.session.get(Publication, publication_id)
    if pub is None or not pub.withdraw_pending:
        return "skipped"
    adapter = adapter_for(pub.channel)
    external_id, channel_id = pub.external_id, pub.channel_id
    db.session.commit()
    try:
        if external_id:
            adapter.withdraw(external_id)
    except (Transient, RateLimited, Unknown) as exc:
        if isinstance(exc, RateLimited):
            # The dispatcher re-enqueues withdrawals only on a ready channel: rest it.
            pause_channel(db.session, channel_id, exc.retry_after, str(exc))
        pub.last_error = f"Gỡ bài chưa được, sẽ thử lại / withdraw failed, will retry: {exc}"
        db.session.commit()
        raise
    except ChannelBroken as exc:
        # The same credentials post too: flag the channel; the withdrawal waits for the fix.
        flag_channel(db.session, channel_id, str(exc))
        pub.last_error = (
            f"Gỡ bài chờ kênh được sửa / withdraw held until the channel is fixed: {exc}"
        )
        db.session.commit()
        return "held"
    except ChannelError as exc:
        pub.withdraw_pending = False
        pub.cancelled_at = None
        pub.last_error = f"Không gỡ được bài / could not withdraw: {exc}"
        db.session.commit()
        return "failed"
    finally:
        close_adapter(adapter)
    now = utcnow()
    pub.withdraw_pending = False
    pub.status = "cancelled"
    pub.withdrawn_at = now
    db.session.commit()
    return "withdrawn"


def check_channel(channel_id: int) -> str:
    """Check a channel's credentials now and record the verdict.

    A passing check clears a ``needs_attention`` flag, so held publications resume; a check
    Graph cannot answer (network, rate limit) changes nothing but the time of the check.
    """
    channel = db.session.get(Channel, channel_id)
    if channel is None:
        return "missing"
    adapter = adapter_for(channel)
    db.session.commit()  # no transaction stays open during the call
    try:
        report = adapter.check()
    except ChannelBroken as exc:
        report = HealthReport(status="needs_attention", reason=str(exc))
    except ChannelError as exc:
        log.warning("token check for %s could not run: %s", channel.slug, exc)
        channel.health_checked_at = utcnow()
        db.session.commit()
        return "unknown"
    finally:
        close_adapter(adapter)
    record_check(db.session, channel, report)
    db.session.commit()
    return report.status


__all__ = ["check_channel", "withdraw"]
