"""A consent's personal data on request: everything held, as one export; and erasure.

Erasure (Nghị định 13/2023/NĐ-CP, the data subject's right to deletion) comes after the
withdrawal, which has already stopped every publication the channels allow: it deletes the
consent with its signed form, and blanks the words of the person's profiles (title, body,
summary, reading text, other languages, photo link, person block) in every version. The
rows stay, so the delivery history (what was sent where, and when it was taken down) keeps
its shape; the audit log keeps the consent's id only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from content_library.db import utcnow
from content_library.models import Asset, ContentItem, ContentVersion
from publisher.audit import record
from publisher.audit.models import AuditEvent
from publisher.auth.models import User
from publisher.consents.models import Consent
from publisher.consents.service import (
    ENTITY,
    IN_FLIGHT,
    ConsentError,
    consent_fields,
    profiles_of,
)
from publisher.delivery.models import Publication
from publisher.times import iso_z

ERASED_TITLE = "Tấm gương (nội dung đã xoá theo yêu cầu của người được nêu)"
NOT_WITHDRAWN = (
    "Hãy rút lại đồng ý trước khi xoá dữ liệu "
    "/ withdraw the consent before erasing its personal data"
)
STILL_TAKING_DOWN = (
    "Bài của tấm gương đang được gửi hoặc gỡ; hãy thử lại sau ít phút "
    "/ a profile's post is still being delivered or taken down, try again shortly"
)
LEGAL_BASIS = (
    "Nghị định 13/2023/NĐ-CP về bảo vệ dữ liệu cá nhân: sự đồng ý của người được nêu "
    "để đăng câu chuyện (tấm gương) của họ trên các kênh trong phạm vi đồng ý."
)


def _publications(session: Session, items: list[ContentItem]) -> list[Publication]:
    if not items:
        return []
    return list(
        session.scalars(
            select(Publication)
            .where(Publication.content_id.in_([i.id for i in items]))
            .order_by(Publication.id)
        )
    )


def export_consent(session: Session, user: User | None, consent: Consent) -> dict[str, Any]:
    """Everything held on the person through this consent, and who read or changed it."""
    items = profiles_of(session, consent.id)
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity == ENTITY, AuditEvent.entity_id == consent.id)
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    record(session, user, "export", ENTITY, consent.id, consent.organisation_id)
    return {
        "consent": consent_fields(consent),
        # The form itself is its own download (GET /api/v1/consents/{id}/form).
        "form": (
            {"mime": consent.form_mime, "pages": consent.form_pages, "sha256": consent.form_sha256}
            if consent.form_mime
            else None
        ),
        "profiles": [
            {
                "id": item.id,
                "status": item.status,
                "versions": [
                    {"number": v.number, "status": v.status, "title": v.title, "person": v.person}
                    for v in item.versions
                ],
            }
            for item in items
        ],
        "publications": [
            {
                "id": pub.id,
                "channel_id": pub.channel_id,
                "status": pub.status,
                "published_at": iso_z(pub.published_at),
                "withdrawn_at": iso_z(pub.withdrawn_at),
            }
            for pub in _publications(session, items)
        ],
        "audit": [
            {"at": iso_z(e.at), "actor": e.actor_username, "action": e.action} for e in events
        ],
        "exported_at": iso_z(utcnow()),
        "legal_basis": LEGAL_BASIS,
    }


def erase_consent(session: Session, user: User | None, consent: Consent) -> int:
    """Delete the withdrawn consent and blank its profiles' words; returns the profiles
    blanked. Refused (409) before the withdrawal, and while a post is still in flight or
    being taken down (erasing then would lose what the channel still has to remove)."""
    if consent.withdrawn_at is None:
        raise ConsentError(NOT_WITHDRAWN, 409)
    items = profiles_of(session, consent.id)
    pubs = _publications(session, items)
    if any(p.status in IN_FLIGHT or p.withdraw_pending for p in pubs):
        raise ConsentError(STILL_TAKING_DOWN, 409)
    consent_id, org_id = consent.id, consent.organisation_id
    photos: set[int] = set()
    for item in items:
        for version in item.versions:
            if version.asset_id is not None:
                photos.add(version.asset_id)
            version.title = ERASED_TITLE
            version.body_html = ""
            version.summary = ""
            version.reading_text = None
            version.variants = {}
            version.asset_id = None
            version.person = {"consent_id": consent_id, "erased": True}
        item.search_text = ""
        item.status = "archived"
    session.delete(consent)
    session.flush()
    for asset_id in photos:
        still_used = session.scalar(
            select(func.count())
            .select_from(ContentVersion)
            .where(ContentVersion.asset_id == asset_id)
        )
        if not still_used:
            asset = session.get(Asset, asset_id)
            if asset is not None:
                session.delete(asset)
    session.flush()
    record(session, user, "delete", ENTITY, consent_id, org_id, {"profiles": len(items)})
    return len(items)
