"""Guidance: the department sends approved content and a due date to units; each unit
adopts it on its own channels or records outside evidence; coverage tells who did."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_library.db import utcnow
from content_library.models import Campaign, ContentItem
from content_library.sanitize import nfc
from publisher.auth.models import User
from publisher.delivery.models import PENDING_STATUSES, Channel, Publication
from publisher.organisations.models import (
    Guidance,
    GuidanceContent,
    GuidanceEvidence,
    GuidanceTarget,
    Organisation,
)
from publisher.organisations.service import department
from publisher.organisations.visibility import sees_everything

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
COVERAGE_STATUSES = ("pending", "in_progress", "done", "overdue")
REMIND_DAYS = 3


class GuidanceError(ValueError):
    """Refused; ``errors`` names the fields at fault, ``status`` the HTTP status."""

    def __init__(self, message: str, errors: dict[str, str] | None = None, status: int = 422):
        super().__init__(message)
        self.errors = errors or {}
        self.status = status


def local_today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(LOCAL).date()


def create_guidance(
    session: Session,
    user: User | None,
    *,
    title: str,
    body: str,
    due_on: date,
    content_ids: list[int],
    organisation_ids: list[int],
    campaign_id: int | None = None,
) -> Guidance:
    """New guidance from the department; each content item is pinned to its approved version."""
    errors: dict[str, str] = {}
    if campaign_id is not None and session.get(Campaign, campaign_id) is None:
        errors["campaign_id"] = "no such campaign"
    pinned: dict[int, int] = {}
    for index, content_id in enumerate(dict.fromkeys(content_ids)):
        item = session.get(ContentItem, content_id)
        if item is None:
            errors[f"content_ids.{index}"] = "no such content"
        elif item.approved_version_id is None or item.status == "archived":
            errors[f"content_ids.{index}"] = "has no approved version / nội dung chưa được duyệt"
        else:
            pinned[item.id] = item.approved_version_id
    targets = list(dict.fromkeys(organisation_ids))
    for index, org_id in enumerate(targets):
        if session.get(Organisation, org_id) is None:
            errors[f"organisation_ids.{index}"] = "no such organisation"
    if errors:
        raise GuidanceError("invalid guidance", errors)
    guidance = Guidance(
        title=nfc(title).strip(),
        body=nfc(body).strip(),
        campaign_id=campaign_id,
        due_on=due_on,
        organisation_id=department(session).id,
        created_by=user.id if user else None,
    )
    session.add(guidance)
    session.flush()
    for content_id, version_id in pinned.items():
        session.add(
            GuidanceContent(guidance_id=guidance.id, content_id=content_id, version_id=version_id)
        )
    for org_id in targets:
        session.add(GuidanceTarget(guidance_id=guidance.id, organisation_id=org_id))
    session.flush()
    return guidance


def visible_guidance(session: Session, user: User | None) -> Any:
    """Guidance the user sees: all for the department, what was sent to it for a unit."""
    stmt = select(Guidance).order_by(Guidance.due_on.desc(), Guidance.id.desc())
    if sees_everything(session, user):
        return stmt
    org_id = user.organisation_id if user else -1
    return stmt.where(
        Guidance.id.in_(
            select(GuidanceTarget.guidance_id).where(GuidanceTarget.organisation_id == org_id)
        )
    )


def guidance_for(session: Session, user: User | None, guidance_id: int) -> Guidance | None:
    return session.scalar(visible_guidance(session, user).where(Guidance.id == guidance_id))


def target_ids(session: Session, guidance: Guidance) -> list[int]:
    return list(
        session.scalars(
            select(GuidanceTarget.organisation_id)
            .where(GuidanceTarget.guidance_id == guidance.id)
            .order_by(GuidanceTarget.organisation_id)
        )
    )


def pinned_versions(session: Session, guidance: Guidance) -> list[GuidanceContent]:
    return list(
        session.scalars(
            select(GuidanceContent)
            .where(GuidanceContent.guidance_id == guidance.id)
            .order_by(GuidanceContent.content_id)
        )
    )


def record_evidence(
    session: Session,
    user: User,
    guidance: Guidance,
    *,
    note: str,
    on_date: date,
    url: str | None = None,
) -> GuidanceEvidence:
    """Outside evidence from the user's unit, which must be one the guidance was sent to."""
    if user.organisation_id not in target_ids(session, guidance):
        raise GuidanceError(
            "Hướng dẫn này không gửi cho đơn vị của bạn / this guidance was not sent to your unit",
            {"organisation": "not a recipient"},
            status=409,
        )
    evidence = GuidanceEvidence(
        guidance_id=guidance.id,
        organisation_id=user.organisation_id,
        url=url,
        note=nfc(note).strip(),
        on_date=on_date,
        created_by=user.id,
    )
    session.add(evidence)
    session.flush()
    return evidence


@dataclass
class Coverage:
    organisation_id: int
    status: str
    publication_ids: list[int] = field(default_factory=list)
    evidence: list[GuidanceEvidence] = field(default_factory=list)


def coverage(
    session: Session, guidance: Guidance, *, only: int | None = None, today: date | None = None
) -> list[Coverage]:
    """Per unit: done (published or evidence), in progress (scheduled), pending, overdue
    (not done after the due date). Only the exact guided versions on the unit's own
    channels count."""
    today = today or local_today()
    pins = pinned_versions(session, guidance)
    version_ids = [p.version_id for p in pins]
    rows: list[Coverage] = []
    for org_id in target_ids(session, guidance):
        if only is not None and org_id != only:
            continue
        pubs = session.execute(
            select(Publication.id, Publication.status)
            .join(Channel, Channel.id == Publication.channel_id)
            .where(
                Channel.organisation_id == org_id,
                Publication.version_id.in_(version_ids),
                Publication.status.not_in(("cancelled", "expired", "failed")),
            )
            .order_by(Publication.id)
        ).all()
        evidence = list(
            session.scalars(
                select(GuidanceEvidence)
                .where(
                    GuidanceEvidence.guidance_id == guidance.id,
                    GuidanceEvidence.organisation_id == org_id,
                )
                .order_by(GuidanceEvidence.id)
            )
        )
        if evidence or any(status == "published" for _, status in pubs):
            status = "done"
        elif today > guidance.due_on:
            status = "overdue"
        elif any(status in PENDING_STATUSES for _, status in pubs):
            status = "in_progress"
        else:
            status = "pending"
        rows.append(Coverage(org_id, status, [pid for pid, _ in pubs], evidence))
    return rows


def due_reminders(
    session: Session, *, today: date | None = None, days: int = REMIND_DAYS
) -> list[tuple[Guidance, int]]:
    """Units not yet done with guidance due within ``days``, each reminded once:
    returns (guidance, organisation id) pairs and marks them reminded."""
    today = today or local_today()
    found: list[tuple[Guidance, int]] = []
    due = session.scalars(
        select(Guidance).where(Guidance.due_on >= today, Guidance.due_on <= today + timedelta(days))
    ).all()
    for guidance in due:
        for row in coverage(session, guidance, today=today):
            if row.status == "done":
                continue
            target = session.get(GuidanceTarget, (guidance.id, row.organisation_id))
            if target is not None and target.reminded_at is None:
                target.reminded_at = utcnow()
                found.append((guidance, row.organisation_id))
    session.flush()
    return found
