"""Scheduling, cancelling and retrying publications."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from channels.registry import adapter_class
from content_library.db import utcnow
from content_library.models import Campaign, ContentItem, Drive
from publisher.consents.gate import consent_of, end_of_consent, is_profile, lapse
from publisher.delivery.models import PENDING_STATUSES, Channel, Publication

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_DEADLINE = timedelta(days=30)


class PublicationError(Exception):
    """Refused; ``status`` is the HTTP status and ``errors`` per-field details."""

    def __init__(self, message: str, status: int = 409, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.errors = errors or {}


def request_hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def release_time(scheduled_at: datetime, release_hour: int) -> datetime:
    """Items of a kind delivered in daily sessions (bulletins) are released ahead of the
    day: from ``release_hour`` local the day before airing."""
    local_day = scheduled_at.astimezone(LOCAL).date()
    release = datetime.combine(local_day - timedelta(days=1), time(release_hour), LOCAL)
    return min(release.astimezone(UTC), scheduled_at)


def default_deadline(
    session: Session, item: ContentItem, drive: Drive | None, scheduled_at: datetime
) -> datetime:
    """The drive's end, else the campaign's last day, else thirty days after scheduling."""
    if drive is not None:
        return drive.ends_at
    if item.campaign_id is not None:
        campaign = session.get(Campaign, item.campaign_id)
        if campaign is not None:
            end = datetime.combine(campaign.ends_on + timedelta(days=1), time(0), LOCAL)
            if end.astimezone(UTC) > scheduled_at:
                return end.astimezone(UTC)
    return scheduled_at + DEFAULT_DEADLINE


def schedule(
    session: Session,
    *,
    content_id: int,
    channel_id: int,
    scheduled_at: datetime,
    expires_at: datetime | None = None,
    created_by: int | None = None,
    priority: str = "normal",
    slot: str | None = None,
    repeats: int = 1,
    drive_id: int | None = None,
    plan_key: str | None = None,
    render_context: dict[str, Any] | None = None,
    max_attempts: int = 5,
    release_hour: int = 18,
    idempotency_key: str | None = None,
    body_hash: str | None = None,
) -> Publication:
    """A new scheduled publication of the item's approved version (frozen here)."""
    item = session.get(ContentItem, content_id)
    channel = session.get(Channel, channel_id)
    errors = {}
    if item is None:
        errors["content_id"] = "no such content"
    if channel is None:
        errors["channel_id"] = "no such channel"
    drive = session.get(Drive, drive_id) if drive_id is not None else None
    if drive_id is not None and drive is None:
        errors["drive_id"] = "no such drive"
    if errors:
        raise PublicationError("unknown reference", 422, errors)
    assert item is not None and channel is not None
    if item.approved_version_id is None or item.status == "archived":
        raise PublicationError(
            "Nội dung chưa được phê duyệt / content has no approved version", 409
        )
    adapter = adapter_class(channel.kind)
    if item.kind == "poster" and adapter.poster_needs_image:
        version = next(v for v in item.versions if v.id == item.approved_version_id)
        if version.asset_id is None:
            raise PublicationError(
                "A poster needs an image / áp phích cần có ảnh",
                422,
                {"content_id": "poster has no image"},
            )
    expires = expires_at or default_deadline(session, item, drive, scheduled_at)
    if is_profile(item):
        expires = _consent_deadline(session, item, channel.kind, scheduled_at, expires)
    if expires <= scheduled_at:
        raise PublicationError(
            "expires_at must be after scheduled_at",
            422,
            {"expires_at": "must be after scheduled_at"},
        )
    due = scheduled_at
    if adapter.scheduled_in_slots:
        due = release_time(scheduled_at, release_hour)
    pub = Publication(
        content_id=item.id,
        version_id=item.approved_version_id,
        channel_id=channel.id,
        status="scheduled",
        scheduled_at=scheduled_at,
        next_attempt_at=due,
        expires_at=expires,
        priority=priority,
        slot=slot,
        repeats=repeats,
        max_attempts=max_attempts,
        drive_id=drive_id,
        plan_key=plan_key,
        render_context=dict(render_context or {}),
        created_by=created_by,
        idempotency_key=idempotency_key,
        request_hash=body_hash,
    )
    session.add(pub)
    session.flush()
    return pub


def _consent_deadline(
    session: Session, item: ContentItem, kind: str, scheduled_at: datetime, expires: datetime
) -> datetime:
    """A profile goes out only where and while its consent covers it: the deadline is
    clamped to the end of the consent's last day."""
    version = next(v for v in item.versions if v.id == item.approved_version_id)
    consent = consent_of(session, version)
    reason = lapse(consent, utcnow()) or lapse(consent, scheduled_at, kind)
    if reason is not None:
        raise PublicationError(reason, 409)
    assert consent is not None
    end = end_of_consent(consent)
    return expires if end is None else min(expires, end)


def cancel(session: Session, pub: Publication) -> Publication:
    """Stop before delivery; after delivery, withdraw where the channel can."""
    now = utcnow()
    if pub.status in ("scheduled", "queued", "failed", "expired"):
        done = session.execute(
            update(Publication)
            .where(Publication.id == pub.id, Publication.status == pub.status)
            .values(status="cancelled", cancelled_at=now, lease_until=None, updated_at=now)
        ).rowcount
        if not done:
            raise PublicationError("Trạng thái vừa thay đổi, hãy thử lại / state changed, retry")
    elif pub.status == "published":
        adapter = adapter_class(pub.channel.kind)
        if not adapter.can_withdraw:
            raise PublicationError("Kênh này không cho gỡ bài / this channel cannot withdraw")
        if adapter.withdraw_is_remote:
            # Removing the post is a call to the channel: a job does it and records the outcome.
            pub.withdraw_pending = True
            pub.cancelled_at = now
        else:
            pub.status = "cancelled"
            pub.cancelled_at = now
            pub.withdrawn_at = now
    elif pub.status in ("publishing", "unconfirmed"):
        raise PublicationError(
            "Đang gửi hoặc đang đối soát kết quả; hãy thử lại sau ít phút "
            "/ delivery in progress or being reconciled, try again shortly"
        )
    else:
        raise PublicationError(f"Không huỷ được ở trạng thái {pub.status} / cannot cancel")
    session.flush()
    session.refresh(pub)
    return pub


def retry(session: Session, pub: Publication, expires_at: datetime | None = None) -> Publication:
    """Send again a failed, expired or cancelled (never delivered) publication, or reconcile now."""
    now = utcnow()
    if pub.content.consent_id is not None and pub.status != "unconfirmed":
        # A profile stopped for its consent is not sent again while the consent does not cover it.
        reason = lapse(consent_of(session, pub.version), now, pub.channel.kind)
        if reason is not None:
            raise PublicationError(reason, 409)
    if pub.status == "unconfirmed":
        pub.next_attempt_at = now
    elif pub.status in ("failed", "expired", "cancelled") and pub.published_at is None:
        deadline = expires_at or pub.expires_at
        if deadline is not None and deadline <= now:
            raise PublicationError(
                "Đã quá hạn; hãy đặt hạn mới (expires_at) / deadline passed, give a new expires_at",
                409,
            )
        pub.status = "scheduled"
        pub.attempts = 0
        pub.next_attempt_at = now
        pub.expires_at = deadline
        pub.cancelled_at = None
        pub.last_error = None
        pub.last_error_class = None
    elif pub.status == "scheduled":
        pub.next_attempt_at = now
    else:
        raise PublicationError(f"Không gửi lại được ở trạng thái {pub.status} / cannot retry")
    session.flush()
    return pub


def find_by_key(session: Session, user_id: int | None, key: str) -> Publication | None:
    return session.scalar(
        select(Publication).where(Publication.idempotency_key == scoped_key(user_id, key))
    )


def scoped_key(user_id: int | None, key: str) -> str:
    return f"{user_id or 0}:{key}"


__all__ = ["PENDING_STATUSES", "PublicationError", "cancel", "retry", "schedule"]
