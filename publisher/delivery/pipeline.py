"""The worker's job: deliver one publication, record every attempt, map every outcome.

Claim ``queued → publishing`` with a lease and a fresh attempt token; write the attempt
row and commit *before* calling the channel, so a killed worker leaves a trace; call the
adapter outside any transaction; record the outcome only if our token still holds.

No double posts: a call whose outcome is unknown (``Unknown``, or a worker lost mid-call and
reaped by the dispatcher) leaves the row ``unconfirmed`` with ``reconcile`` set, and the next
attempt asks the channel (``adapter.lookup``) for a post made since ``reconcile_since`` (the
start of the last publishing attempt) before posting again. The lease is renewed as a
compare-and-set on our token right before every channel call, so a slow worker whose row was
reaped and handed to another worker never posts as well.

The writes themselves (claim, attempt rows, outcomes) are in :mod:`.records`; withdrawing
and checking a channel, the worker's other jobs, in :mod:`.channel_jobs`. A delivery is
:func:`prepare` (everything up to the commit before the call), the call, and recording its
outcome: the forking worker runs the first and the last in its own process and forks its
work horse for the call alone (:mod:`.handoff`, publisher.horses).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from blinker import Namespace
from flask import current_app
from sqlalchemy import case, update

from channels.base import (
    ChannelBroken,
    ChannelError,
    DeliveryResult,
    NotSupported,
    Permanent,
    RateLimited,
    Transient,
    Unknown,
    clean_excerpt,
)
from content_library.db import utcnow
from jobqueue import timing
from publisher.consents.gate import CONSENT_CLASS, delivery_lapse
from publisher.db import db
from publisher.delivery.channel_jobs import check_channel, withdraw
from publisher.delivery.channels import delivery_adapter, flag_channel, pause_channel
from publisher.delivery.handoff import HANDED_BACK, Called, Ready, take_handed
from publisher.delivery.models import (
    DELIVERING_HEALTH,
    DRIVE_HOLD_CLASS,
    DRIVE_HOLD_REASON,
    Attempt,
    Channel,
    Publication,
)
from publisher.delivery.records import (
    WORKER_NAME,
    autocommit,
    claim_and_load,
    close_adapter,
    close_attempt,
    finish,
    load_claimed,
    open_attempt,
    published_outcome,
    still_mine,
    write,
)
from publisher.delivery.render import render

log = logging.getLogger(__name__)
# A row only a person can settle (the channel cannot be asked) is looked at again daily.
MANUAL_CHECK_DELAY = timedelta(days=1)
# Sent once a "published" outcome is committed, with ``publication_id`` and ``kind``: a
# kind that keeps files derived from what it published (loudspeaker audio) listens.
publication_published = Namespace().signal("publication-published")


def _hold_reason(channel: Channel) -> str:
    if channel.health_reason:
        return channel.health_reason
    if not channel.enabled:
        return "Kênh đang tắt / channel disabled"
    return "Kênh đang tạm nghỉ / channel resting"


def backoff(attempts: int) -> float:
    delays = current_app.config["SETTINGS"].RETRY_BACKOFF_SECONDS
    return delays[min(max(attempts, 1), len(delays)) - 1]


def deliver(publication_id: int) -> str:
    """Deliver (or reconcile) one publication; safe to run twice; returns the outcome."""
    timing.lap("rq")
    rest = take_handed(publication_id)
    if rest is not None:
        return rest()
    ready = prepare(publication_id)
    if isinstance(ready, str):
        return ready
    return complete(ready)


def prepare(publication_id: int) -> Ready | str:
    """Claim, check and render, and commit the claim with its attempt row: a :class:`Ready`
    delivery, or the outcome when there is nothing to call (skipped, held, expired...)."""
    settings = current_app.config["SETTINGS"]
    # The claim with its attempt row is one statement on PostgreSQL, durable on its own:
    # autocommit spares the BEGIN and COMMIT round trips. (Elsewhere: one transaction.)
    autocommit()
    timing.lap("connection")
    now = utcnow()
    token = uuid.uuid4().hex
    lease_until = now + timedelta(seconds=settings.LEASE_SECONDS)
    attempt_id: int | None = None
    if db.session.connection().dialect.name == "postgresql":
        # The claim, its attempt row and the load in one statement, one round trip (see
        # records.claim_and_load). A held or expired row drops its attempt row below.
        row = db.session.execute(
            claim_and_load(),
            {
                "claim_pid": publication_id,
                "claim_token": token,
                "claim_now": now,
                "claim_lease": lease_until,
            },
        ).one_or_none()
        timing.lap("claim")
        if row is None:
            db.session.rollback()
            return "skipped"
        pub, attempt_id, drive_held = row
        channel, drive_held = pub.channel, bool(drive_held)
    else:
        claim = (
            update(Publication)
            .where(Publication.id == publication_id, Publication.status == "queued")
            .values(
                status="publishing",
                attempt_token=token,
                attempts=Publication.attempts + 1,
                lease_until=lease_until,
                updated_at=now,
                # As in records.claim_and_load: the start of the last call that may have
                # posted, unless the row is still to be reconciled.
                reconcile_since=case(
                    (Publication.reconcile.is_(True), Publication.reconcile_since), else_=now
                ),
            )
        )
        claimed = bool(write(claim).rowcount)
        timing.lap("claim")
        if not claimed:
            db.session.rollback()
            return "skipped"
        # The claim, the checks and the attempt row commit together, before the channel
        # call: one durable write instead of three (a worker that dies before it leaves
        # the row queued, and the dispatcher requeues it).
        pub, channel, drive_held = load_claimed(publication_id)
    extra = {"publication_id": pub.id}
    timing.lap("loads")

    if (
        not channel.enabled
        or channel.health_status not in DELIVERING_HEALTH
        or (channel.paused_until and channel.paused_until > now)
    ):
        # Held, not failed: the channel needs rest or a person. The attempt is not counted.
        # A row whose earlier call may have posted stays unconfirmed: it must be reconciled,
        # and the dispatcher never expires an unconfirmed row.
        values: dict[str, Any] = {
            "status": "unconfirmed" if pub.reconcile else "scheduled",
            "attempts": Publication.attempts - 1,
            "next_attempt_at": max(now, channel.paused_until or now),
        }
        if not pub.reconcile:  # an unconfirmed row keeps its own message
            values.update(last_error=_hold_reason(channel), last_error_class="held")
        finish(pub.id, token, values, dropping=attempt_id)
        db.session.commit()
        log.info("held: channel %s is %s", channel.slug, channel.health_status, extra=extra)
        return "held"
    if not pub.reconcile and drive_held:
        # Claimed just before an editor's drive change: its words wait for the approver.
        finish(
            pub.id,
            token,
            {
                "status": "scheduled",
                "attempts": Publication.attempts - 1,
                "next_attempt_at": now,
                "last_error": DRIVE_HOLD_REASON,
                "last_error_class": DRIVE_HOLD_CLASS,
            },
            dropping=attempt_id,
        )
        db.session.commit()
        return "held"
    if pub.expires_at and pub.expires_at <= now and not pub.reconcile:
        finish(
            pub.id,
            token,
            {
                "status": "expired",
                "last_error_class": "expired",
                "last_error": "Quá hạn trước khi gửi được / deadline passed",
            },
            dropping=attempt_id,
        )
        db.session.commit()
        return "expired"

    lapsed = None
    if pub.content.consent_id is not None:  # a profile: only while its consent covers it
        lapsed = delivery_lapse(db.session, pub.version, channel.kind, now)
        if lapsed is not None and not pub.reconcile:
            return _stopped(pub, token, lapsed, dropping=attempt_id)

    if attempt_id is None:
        attempt_id = open_attempt(pub, token, "reconcile" if pub.reconcile else "publish", now)
    timing.lap("attempt row")

    try:
        post = render(db.session, pub)
        timing.lap("render")
        adapter = delivery_adapter(channel)
        timing.lap("secrets")
    except Exception as exc:  # rendering bugs fail the row loudly, never silently
        db.session.commit()  # keep the claim and the attempt row
        log.exception("rendering failed", extra=extra)
        if pub.reconcile:  # an earlier call may have posted: failing would hide that post
            return _manual_check(pub, token, attempt_id, f"render failed: {exc}")
        close_attempt(attempt_id, "error", f"render failed: {exc}")
        finish(
            pub.id,
            token,
            {
                "status": "failed",
                "last_error_class": "error",
                "last_error": f"Không dựng được nội dung / render failed: {exc}",
            },
        )
        db.session.commit()
        return "failed"
    db.session.commit()  # durable before the call; no transaction stays open during it
    timing.lap("commit before call")
    return Ready(pub, channel, adapter, post, token, attempt_id, now, lapsed)


def complete(ready: Ready, hand_back: Callable[[Called], bool] | None = None) -> str:
    """The rest of a prepared delivery: reconcile if asked, call the channel, record.

    ``hand_back`` (in a work horse): takes the call's outcome for the worker that prepared
    the delivery to record (see publisher.delivery.handoff); when it declines, the outcome
    is recorded here. A row to reconcile always records here: its call, if any, belongs
    to an attempt row written after the worker prepared it.
    """
    pub, channel, adapter, post = ready.pub, ready.channel, ready.adapter, ready.post
    try:
        claimed_at: datetime | None = ready.claimed_at
        if pub.reconcile:
            outcome = _reconcile(
                pub, channel, adapter, post, ready.token, ready.attempt_id, ready.lapsed
            )
            if outcome is not None:
                return outcome
            claimed_at = None  # time has passed during the lookup: renew the lease first
            hand_back = None
        return _publish(
            pub,
            channel,
            adapter,
            post,
            ready.token,
            ready.attempt_id,
            claimed_at=claimed_at,
            hand_back=hand_back,
        )
    finally:
        close_adapter(adapter)
        timing.lap("bookkeeping")


def _publish(
    pub: Publication,
    channel: Channel,
    adapter: Any,
    post: Any,
    token: str,
    attempt_id: int,
    *,
    claimed_at: datetime | None = None,
    hand_back: Callable[[Called], bool] | None = None,
) -> str:
    """The irreversible call, made only while the row is still ours. ``hand_back`` may
    take the call's outcome for another process to record (see :func:`complete`)."""
    lease = current_app.config["SETTINGS"].LEASE_SECONDS
    fresh = claimed_at is not None and utcnow() - claimed_at < timedelta(seconds=lease / 3)
    # A claim made a moment ago is still ours: renewing it would cost a durable write.
    if not fresh and not still_mine(pub.id, token):
        close_attempt(attempt_id, "lost", "the row moved on before the call (lease ran out)")
        db.session.commit()
        log.warning(
            "lease lost before the channel call; not posting", extra={"publication_id": pub.id}
        )
        return "lost"
    called = call_channel(adapter, post, pub.id)
    if hand_back is not None and hand_back(called):
        return HANDED_BACK
    return record_call(pub, channel, token, attempt_id, called)


def call_channel(adapter: Any, post: Any, publication_id: int) -> Called:
    """The irreversible call itself; touches no database."""
    try:
        result = adapter.publish(post)
        timing.lap("http")
    except ChannelError as exc:
        return Called(error=exc)
    except Exception as exc:  # an unexpected error may have happened mid-call
        log.exception(
            "adapter raised an unexpected error", extra={"publication_id": publication_id}
        )
        return Called(error=Unknown(f"unexpected error during the channel call: {exc!r}"))
    return Called(result=result)


def record_call(
    pub: Publication, channel: Channel, token: str, attempt_id: int, called: Called
) -> str:
    """Record a call's outcome while our token holds."""
    if called.error is not None:
        return _failed(pub, channel, token, attempt_id, called.error)
    assert called.result is not None
    return _published(pub, channel, token, attempt_id, called.result, "published")


def _manual_check(
    pub: Publication, token: str, attempt_id: int, reason: str, excerpt: str = ""
) -> str:
    """The channel cannot tell whether the earlier call posted: a person must look."""
    close_attempt(attempt_id, "unknown", reason, excerpt)
    finish(
        pub.id,
        token,
        {
            "status": "unconfirmed",
            "reconcile": True,
            "next_attempt_at": utcnow() + MANUAL_CHECK_DELAY,
            "last_error_class": "unknown",
            "last_error": f"Cần kiểm tra thủ công trên kênh / check by hand: {reason}",
        },
    )
    db.session.commit()
    return "unconfirmed"


def _stopped(pub: Publication, token: str, reason: str, **attempt: Any) -> str:
    """A profile whose consent no longer covers the channel: cancelled, nothing is sent.
    The reason names no person (see publisher.consents.gate)."""
    values = {"status": "cancelled", "cancelled_at": utcnow(), "reconcile": False}
    values.update(last_error=reason, last_error_class=CONSENT_CLASS)
    finish(pub.id, token, values, allow_unconfirmed=True, **attempt)
    db.session.commit()
    log.info("not sent: the consent does not cover it", extra={"publication_id": pub.id})
    return "cancelled"


def _reconcile(
    pub: Publication,
    channel: Channel,
    adapter: Any,
    post: Any,
    token: str,
    attempt_id: int,
    lapsed: str | None = None,
) -> str | None:
    """Ask the channel whether an earlier attempt went through. None means: post now
    (unless ``lapsed``: a consent that no longer covers it stops the row instead)."""
    if adapter.idempotent and not adapter.can_lookup:
        if lapsed is not None:
            return _stopped(pub, token, lapsed, closing=(attempt_id, "cancelled", lapsed, ""))
        return None  # the receiver dedupes by idempotency key: sending again is safe
    if not adapter.can_lookup:
        return _manual_check(
            pub, token, attempt_id, "cannot look up earlier deliveries on this channel"
        )
    since = (pub.reconcile_since or pub.created_at) - timedelta(minutes=5)
    if not still_mine(pub.id, token):
        close_attempt(attempt_id, "lost", "the row moved on before the lookup (lease ran out)")
        db.session.commit()
        return "lost"
    try:
        found = adapter.lookup(post, since)
    except (Permanent, NotSupported) as exc:
        # Failing the row would hide a post that may exist; guessing "absent" could post twice.
        return _manual_check(pub, token, attempt_id, str(exc), exc.excerpt)
    except ChannelError as exc:
        return _failed(pub, channel, token, attempt_id, exc, reconciling=True)
    except Exception as exc:  # a bug in lookup: ask again later, never post blindly
        log.exception("lookup raised an unexpected error", extra={"publication_id": pub.id})
        return _failed(
            pub,
            channel,
            token,
            attempt_id,
            Transient(f"unexpected error while looking up: {exc!r}"),
            reconciling=True,
        )
    if found is not None:
        return _published(pub, channel, token, attempt_id, found, "reconciled_found")
    now = utcnow()
    close_attempt(attempt_id, "reconciled_absent", "earlier attempt did not reach the channel")
    # Settled: nothing was posted. The new call is a fresh publishing attempt; should its
    # outcome be unknown in turn, _failed or the reaper sets ``reconcile`` again.
    db.session.execute(
        update(Publication)
        .where(
            Publication.id == pub.id,
            Publication.attempt_token == token,
            Publication.status == "publishing",
        )
        .values(reconcile=False, reconcile_since=now, updated_at=now)
    )
    attempt = Attempt(
        publication_id=pub.id,
        number=pub.attempts,
        action="publish",
        token=token,
        started_at=now,
        worker=WORKER_NAME,
    )
    db.session.add(attempt)
    db.session.commit()
    if pub.expires_at and pub.expires_at <= utcnow():
        close_attempt(attempt.id, "expired", "deadline passed while reconciling")
        finish(
            pub.id,
            token,
            {
                "status": "expired",
                "reconcile": False,
                "last_error_class": "expired",
                "last_error": "Quá hạn trước khi gửi được / deadline passed",
            },
        )
        db.session.commit()
        return "expired"
    if lapsed is not None:
        return _stopped(pub, token, lapsed, closing=(attempt.id, "cancelled", lapsed, ""))
    return _publish(pub, channel, adapter, post, token, attempt.id)


def _published(
    pub: Publication,
    channel: Channel,
    token: str,
    attempt_id: int,
    result: DeliveryResult,
    outcome: str,
) -> str:
    now = utcnow()
    if not result.throttle_seconds and autocommit():
        # The outcome is one statement (see records.published_outcome): in autocommit it
        # is its own transaction, as atomic as BEGIN; UPDATE; COMMIT and two round trips
        # cheaper.
        params = {
            "out_pid": pub.id,
            "out_token": token,
            "out_now": now,
            "out_ext_id": result.external_id,
            "out_ext_url": result.external_url,
            "out_attempt_id": attempt_id,
            "out_outcome": outcome,
            "out_excerpt": clean_excerpt(result.excerpt) or None,
        }
        done = bool(write(published_outcome(), params).rowcount)
    else:
        done = finish(
            pub.id,
            token,
            {
                "status": "published",
                "published_at": now,
                "external_id": result.external_id,
                "external_url": result.external_url,
                "reconcile": False,
                "last_error": None,
                "last_error_class": None,
            },
            allow_unconfirmed=True,
            closing=(attempt_id, outcome, None, result.excerpt),
        )
    timing.lap("outcome")
    if result.throttle_seconds > 0:
        pause_channel(
            db.session,
            channel.id,
            result.throttle_seconds,
            "Gần chạm giới hạn gọi API; tạm nghỉ / near the rate limit, resting",
        )
    db.session.commit()
    timing.lap("commit after call")
    log.info(
        "%s on %s as %s",
        outcome,
        channel.slug,
        result.external_id,
        extra={"publication_id": pub.id},
    )
    if not done:
        log.warning("outcome arrived after the row moved on", extra={"publication_id": pub.id})
    else:
        publication_published.send(
            current_app._get_current_object(), publication_id=pub.id, kind=channel.kind
        )
    return outcome


def _failed(
    pub: Publication,
    channel: Channel,
    token: str,
    attempt_id: int,
    exc: ChannelError,
    *,
    reconciling: bool = False,
) -> str:
    now = utcnow()
    message = str(exc)
    extra = {"publication_id": pub.id}
    values: dict[str, Any] = {"last_error": message, "last_error_class": exc.error_class}
    if isinstance(exc, RateLimited):
        values.update(
            status="unconfirmed" if reconciling else "scheduled",
            attempts=Publication.attempts - 1,
            next_attempt_at=now + timedelta(seconds=exc.retry_after),
        )
        pause_channel(db.session, channel.id, exc.retry_after, message)
        outcome = "rate_limited"
    elif isinstance(exc, ChannelBroken):
        flag_channel(db.session, channel.id, message)
        values.update(
            status="unconfirmed" if reconciling else "scheduled",
            attempts=Publication.attempts - 1,
            next_attempt_at=now,
        )
        outcome = "held"
    elif isinstance(exc, Permanent):
        values.update(status="failed", reconcile=False)
        outcome = "failed"
    elif isinstance(exc, Unknown) or reconciling:
        # Never post blindly again: the next attempt asks the channel first.
        values.update(
            status="unconfirmed",
            reconcile=True,
            next_attempt_at=now + timedelta(seconds=backoff(pub.attempts)),
        )
        if pub.attempts >= pub.max_attempts * 2:
            values.update(next_attempt_at=now + timedelta(hours=1))
        outcome = "unconfirmed"
    else:
        assert isinstance(exc, Transient | ChannelError)
        next_at = now + timedelta(seconds=backoff(pub.attempts))
        if pub.attempts >= pub.max_attempts:
            values.update(
                status="failed", last_error=f"Gave up after {pub.attempts} attempts: {message}"
            )
            outcome = "failed"
        elif pub.expires_at and next_at >= pub.expires_at:
            values.update(
                status="expired", last_error=f"Deadline reached while retrying: {message}"
            )
            outcome = "expired"
        else:
            values.update(status="scheduled", next_attempt_at=next_at)
            outcome = "retry"
    finish(pub.id, token, values, closing=(attempt_id, exc.error_class, message, exc.excerpt))
    db.session.commit()
    log.warning("delivery %s: %s", outcome, message, extra=extra)
    return outcome


__all__ = ["check_channel", "deliver", "withdraw"]
