"""The dispatcher: the database decides what is due; Redis only carries publication ids.

Every step is a compare-and-set on the publication's status, so several dispatchers
may run at once on any number of machines: a row is claimed by exactly one of them,
and a duplicate enqueue is harmless because ``deliver`` claims again before acting.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import String, and_, cast, literal, or_, select, update

from channels.registry import kinds_where
from content_library.db import utcnow
from content_library.models import Campaign, ContentItem, Drive
from jobqueue.connection import JobQueue, get_queue
from publisher.db import db
from publisher.delivery.models import DELIVERING_HEALTH, Attempt, Channel, Publication

log = logging.getLogger(__name__)
DELIVER_JOB = "publisher.delivery.deliver"
WITHDRAW_JOB = "publisher.delivery.withdraw"
CHECK_JOB = "publisher.delivery.check_channel"
CLAIM_BATCH = 500


@dataclass
class TickReport:
    expired: int = 0
    reaped: int = 0
    claimed: int = 0
    requeued: int = 0
    enqueue_failures: int = 0
    extra: dict[str, int] = field(default_factory=dict)

    def total(self) -> int:
        return self.expired + self.reaped + self.claimed + self.requeued


def _job_id(kind: str, pub_id: int) -> str:
    return f"{kind}-{pub_id}-{secrets.token_hex(4)}"


def expire_overdue(now: datetime) -> int:
    """Rows whose deadline passed before they could go out; never sent afterwards.

    A row still to be reconciled (an earlier call may have posted) is left to the worker:
    expiring it could hide a post that exists. ``deliver`` expires it if the lookup finds none.
    """
    result = db.session.execute(
        update(Publication)
        .where(
            Publication.status.in_(("scheduled", "queued")),
            Publication.expires_at <= now,
            Publication.reconcile.is_(False),
            # Held for a drive change: it waits, visibly, for the approver's decision.
            not_held_for_drive_change(),
        )
        .values(
            status="expired",
            updated_at=now,
            lease_until=None,
            last_error="Quá hạn trước khi gửi được / deadline passed before delivery",
            last_error_class="expired",
        )
    )
    db.session.commit()
    return result.rowcount or 0


def reap_leases(now: datetime) -> int:
    """A worker died mid-delivery: the channel call may have happened, so reconcile first."""
    reaped = db.session.execute(
        update(Publication)
        .where(Publication.status == "publishing", Publication.lease_until < now)
        .returning(Publication.id, Publication.attempt_token)
        .values(
            status="unconfirmed",
            reconcile=True,
            next_attempt_at=now,
            updated_at=now,
            lease_until=None,
            last_error_class="unknown",
            last_error="Worker lost during delivery; checking the channel before retrying",
        )
    ).all()
    for pub_id, token in reaped:
        # The dead worker's attempt stays in the log, closed with what is known of it.
        db.session.execute(
            update(Attempt)
            .where(
                Attempt.publication_id == pub_id,
                Attempt.token == token,
                Attempt.finished_at.is_(None),
            )
            .values(
                finished_at=now,
                outcome="worker_lost",
                error="the worker stopped answering during the call (lease ran out)",
            )
        )
    db.session.commit()
    return len(reaped)


def not_held_for_drive_change() -> Any:
    """Rows of a drive whose edit waits for an approver are held (planning.drive_changes)."""
    pending = select(Drive.id).where(Drive.pending_change.is_not(None))
    return or_(Publication.drive_id.is_(None), Publication.drive_id.not_in(pending))


def _channel_ready(now: datetime) -> Any:
    """Channels that may be called now: enabled, healthy and not resting."""
    return and_(
        Channel.enabled.is_(True),
        Channel.health_status.in_(DELIVERING_HEALTH),
        or_(Channel.paused_until.is_(None), Channel.paused_until <= now),
    )


def _due_ids(now: datetime, limit: int) -> list[int]:
    channel_ready = _channel_ready(now)
    stmt = (
        select(Publication.id)
        .join(Channel, Channel.id == Publication.channel_id)
        .join(ContentItem, ContentItem.id == Publication.content_id)
        .outerjoin(Campaign, Campaign.id == ContentItem.campaign_id)
        .where(
            Publication.status.in_(("scheduled", "unconfirmed")),
            Publication.next_attempt_at <= now,
            channel_ready,
            or_(Campaign.id.is_(None), Campaign.paused.is_(False)),
            not_held_for_drive_change(),
        )
        .order_by(Publication.next_attempt_at, Publication.id)
        .limit(limit)
    )
    # Planned rows use shared template items (no campaign of their own): their campaign is
    # their drive's, or, for campaign-wide reminders, the "campaign:{id}:" of their plan key.
    paused = list(db.session.scalars(select(Campaign.id).where(Campaign.paused.is_(True))))
    if paused:
        paused_drives = select(Drive.id).where(Drive.campaign_id.in_(paused))
        stmt = stmt.where(
            or_(Publication.drive_id.is_(None), Publication.drive_id.not_in(paused_drives)),
            *(
                or_(
                    Publication.plan_key.is_(None),
                    Publication.plan_key.not_like(f"campaign:{cid}:%"),
                )
                for cid in paused
            ),
        )
    return list(db.session.scalars(stmt))


def claim_due(queue: JobQueue, now: datetime, limit: int = CLAIM_BATCH) -> tuple[int, int]:
    """Claim due rows (scheduled/unconfirmed → queued) and enqueue them after the commit.

    One UPDATE claims the batch: its WHERE is checked on every row as it is written (on
    PostgreSQL a row another dispatcher changed meanwhile is checked again in its new
    state), so a row is claimed by exactly one dispatcher, and RETURNING names those this
    one claimed. Their jobs go to Redis in one pipelined round trip.
    """
    ids = _due_ids(now, limit)
    if not ids:
        db.session.rollback()
        return 0, 0
    batch = secrets.token_hex(4)
    still_due = (
        Publication.status.in_(("scheduled", "unconfirmed")),
        Publication.next_attempt_at <= now,
    )
    claimed: list[tuple[int, str]] = []
    if db.session.get_bind().dialect.update_returning:
        job_id = literal("deliver-") + cast(Publication.id, String) + literal(f"-{batch}")
        claimed = [
            (pid, jid)
            for pid, jid in db.session.execute(
                update(Publication)
                .where(Publication.id.in_(ids), *still_due)
                .values(status="queued", queued_at=now, job_id=job_id, updated_at=now)
                .returning(Publication.id, Publication.job_id)
                .execution_options(synchronize_session=False)
            )
        ]
    else:  # a database without UPDATE … RETURNING: one compare-and-set per row
        for pid in ids:
            jid = f"deliver-{pid}-{batch}"
            done = db.session.execute(
                update(Publication)
                .where(Publication.id == pid, *still_due)
                .values(status="queued", queued_at=now, job_id=jid, updated_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            if done:
                claimed.append((pid, jid))
    db.session.commit()
    if not claimed:
        return 0, 0
    # In the order they fell due (RETURNING keeps none).
    order = {pid: i for i, pid in enumerate(ids)}
    claimed.sort(key=lambda row: order[row[0]])
    try:
        queue.enqueue_many(DELIVER_JOB, [((pid,), jid) for pid, jid in claimed])
    except Exception:
        # The rows stay queued; requeue_vanished puts their jobs back.
        log.warning("enqueue of %d deliveries failed; will requeue", len(claimed), exc_info=True)
        return len(claimed), len(claimed)
    return len(claimed), 0


def requeue_vanished(queue: JobQueue, now: datetime, older_than: float) -> int:
    """Queued rows whose job Redis no longer has (flushed, restarted) go back on the queue."""
    cutoff = now - timedelta(seconds=older_than)
    rows = db.session.execute(
        select(Publication.id, Publication.job_id)
        .where(Publication.status == "queued", Publication.queued_at <= cutoff)
        .limit(5000)
    ).all()
    count = 0
    # One round trip for the lot: a long backlog is checked every tick.
    alive = queue.alive_jobs([job_id for _pid, job_id in rows if job_id])
    for pid, job_id in rows:
        if job_id in alive:
            continue
        new_id = _job_id("deliver", pid)
        done = db.session.execute(
            update(Publication)
            .where(
                Publication.id == pid, Publication.status == "queued", Publication.job_id == job_id
            )
            .values(job_id=new_id, queued_at=now)
        ).rowcount
        db.session.commit()
        if done:
            queue.enqueue(DELIVER_JOB, pid, job_id=new_id)
            log.info("requeued a vanished job", extra={"publication_id": pid})
            count += 1
    db.session.rollback()
    return count


def enqueue_withdrawals(queue: JobQueue, now: datetime | None = None) -> int:
    """Withdrawals wait, like deliveries, while their channel is flagged or resting."""
    rows = db.session.scalars(
        select(Publication.id)
        .join(Channel, Channel.id == Publication.channel_id)
        .where(Publication.withdraw_pending.is_(True), _channel_ready(now or utcnow()))
        .limit(500)
    ).all()
    db.session.rollback()
    for pid in rows:
        queue.enqueue_once(WITHDRAW_JOB, pid, job_id=f"withdraw-{pid}")
    return len(rows)


def enqueue_token_checks(queue: JobQueue, now: datetime, every_hours: float) -> int:
    cutoff = now - timedelta(hours=every_hours)
    rows = db.session.scalars(
        select(Channel.id).where(
            Channel.kind.in_(kinds_where("can_check")),
            Channel.enabled.is_(True),
            or_(Channel.health_checked_at.is_(None), Channel.health_checked_at <= cutoff),
        )
    ).all()
    db.session.rollback()
    for channel_id in rows:
        queue.enqueue_once(
            CHECK_JOB, channel_id, job_id=f"check-{channel_id}-{now:%Y%m%d%H}", queue="maintenance"
        )
    return len(rows)


def dispatch_once(now: datetime | None = None) -> TickReport:
    """One pass of every dispatcher duty. Needs an app context."""
    settings = current_app.config["SETTINGS"]
    queue = get_queue()
    now = now or utcnow()
    report = TickReport()
    report.expired = expire_overdue(now)
    report.reaped = reap_leases(now)
    while True:
        claimed, failures = claim_due(queue, now)
        report.claimed += claimed
        report.enqueue_failures += failures
        if claimed < CLAIM_BATCH or failures:
            break
    report.requeued = requeue_vanished(queue, now, settings.VANISHED_JOB_SECONDS)
    report.extra["withdrawals"] = enqueue_withdrawals(queue, now)
    report.extra["token_checks"] = enqueue_token_checks(queue, now, settings.TOKEN_CHECK_HOURS)
    for hook in current_app.extensions.get("dispatch_hooks", []):
        report.extra[hook.__name__] = hook(queue, now)
    return report


def claim_pass(now: datetime | None = None) -> TickReport:
    """Only claim what is due: the quick pass the dispatcher runs when woken between ticks."""
    queue = get_queue()
    now = now or utcnow()
    report = TickReport()
    while True:
        claimed, failures = claim_due(queue, now)
        report.claimed += claimed
        report.enqueue_failures += failures
        if claimed < CLAIM_BATCH or failures:
            return report


def run_dispatcher(app: Flask, *, once: bool = False, stop: Any = None) -> None:
    """The dispatcher loop; a failed pass is logged and the next one tries again.

    Every duty runs at least every ``DISPATCH_TICK_SECONDS``. In between, the loop
    sleeps until the next publication falls due or a commit rings it (see ``wake``),
    and then only claims: a publication goes out on time, not on the next tick.
    """
    from publisher.delivery import wake

    longest = app.config["SETTINGS"].DISPATCH_TICK_SECONDS
    queue = app.extensions["jobqueue"]
    next_full = 0.0
    while True:
        delay = longest
        with app.app_context():
            try:
                full = time.monotonic() >= next_full
                if full:
                    next_full = time.monotonic() + longest
                report = dispatch_once() if full else claim_pass()
                if report.total():
                    log.info(
                        "dispatch: claimed %d, requeued %d, reaped %d, expired %d",
                        report.claimed,
                        report.requeued,
                        report.reaped,
                        report.expired,
                    )
                due_in = wake.seconds_to_next_due(utcnow())
                until_full = max(0.0, next_full - time.monotonic())
                # A hair past the due time, so the claim's "due <= now" holds on waking.
                delay = min(until_full, longest if due_in is None else due_in + 0.005)
            except Exception:
                log.exception("dispatch pass failed; retrying")
                db.session.rollback()
                if once:
                    raise
        if once:
            return
        wake.sleep(queue, delay, stop)
        if stop is not None and stop.is_set():
            return
