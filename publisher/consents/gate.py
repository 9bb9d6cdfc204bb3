"""Whether a consent lets a profile be approved, scheduled or delivered on a channel kind.

A consent covers channel kind K at time T when it is not withdrawn, K is in its scope,
and the local date of T (Asia/Ho_Chi_Minh) lies between ``given_on`` and ``expires_on``,
both inclusive. Messages name no person: they reach logs, API answers and pages.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy.orm import Session

from channels.registry import label
from content_library.models import PROFILE_KIND, ContentItem, ContentVersion
from publisher.consents.models import Consent
from publisher.times import local_date, local_to_utc

WITHDRAWN = "Người được nêu gương đã rút lại đồng ý / the consent has been withdrawn"
EXPIRED = "Giấy đồng ý đã hết hạn / the consent has expired"
NOT_YET = "Giấy đồng ý chưa có hiệu lực vào thời điểm này / the consent is not yet in force"
MISSING = "Không tìm thấy giấy đồng ý của tấm gương / the profile's consent is missing"
# The class a publication stopped for its consent carries in ``last_error_class``.
CONSENT_CLASS = "consent"


def out_of_scope(kind_label: str) -> str:
    return (
        f"Giấy đồng ý không cho phép đăng trên kênh loại “{kind_label}” "
        f"/ the consent does not cover this channel kind"
    )


def lapse(consent: Consent | None, at: datetime, kind: str | None = None) -> str | None:
    """Why ``consent`` does not cover ``kind`` (any kind when None) at ``at``; None if it does."""
    if consent is None:
        return MISSING
    if consent.withdrawn_at is not None:
        return WITHDRAWN
    day = local_date(at)
    if consent.expires_on is not None and day > consent.expires_on:
        return EXPIRED
    if day < consent.given_on:
        return NOT_YET
    if kind is not None and kind not in (consent.scope or []):
        return out_of_scope(label(kind))
    return None


def consent_of(session: Session, version: ContentVersion) -> Consent | None:
    """The consent frozen in a profile version's person block."""
    person = version.person or {}
    consent_id = person.get("consent_id")
    return session.get(Consent, consent_id) if consent_id is not None else None


def is_profile(item: ContentItem) -> bool:
    return item.kind == PROFILE_KIND


def approval_refusal(session: Session, item: ContentItem, at: datetime) -> str | None:
    """Why the profile's version in review may not be approved now (withdrawn, expired)."""
    if not is_profile(item):
        return None
    version = item.versions[-1]
    reason = lapse(consent_of(session, version), at)
    # A consent given for a later date can still be approved ahead of it.
    return None if reason == NOT_YET else reason


def end_of_consent(consent: Consent) -> datetime | None:
    """The end of the consent's last local day (UTC), or None when it does not expire."""
    if consent.expires_on is None:
        return None
    return local_to_utc(consent.expires_on + timedelta(days=1), time(0))


def delivery_lapse(
    session: Session, version: ContentVersion, kind: str, at: datetime
) -> str | None:
    """Why a profile version may not be sent to a channel of ``kind`` now; None if it may."""
    return lapse(consent_of(session, version), at, kind)


def status_of(consent: Consent, at: datetime) -> str:
    """``withdrawn``, ``expired``, ``not_yet`` or ``in_force`` at ``at`` (local days)."""
    if consent.withdrawn_at is not None:
        return "withdrawn"
    day = local_date(at)
    if consent.expires_on is not None and day > consent.expires_on:
        return "expired"
    return "not_yet" if day < consent.given_on else "in_force"
