"""Rows for the planning tests: the seeded 2025 plan, channels, a drive ahead of today."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from content_library.db import utcnow
from content_library.models import Campaign, Drive
from publisher.delivery.channels import create_channel
from publisher.delivery.models import Channel
from publisher.planning.models import PlaybookRecord

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
TAN_PHONG = "03408"
DOAN_KET = "03388"


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), LOCAL)


def iso(value: datetime) -> str:
    """How the API writes a time: UTC with Z."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def seed_2025(session) -> None:
    """Campaigns, drives, templates and playbooks of the 2025 plan, as ``publisher seed`` does."""
    from publisher.planning.seeding import seed_plan

    seed_plan(session, echo=lambda _line: None)
    session.commit()


def channel(session, kind: str, slug: str, settings: dict[str, Any], **kw: Any) -> Channel:
    return create_channel(
        session,
        kind=kind,
        slug=slug,
        name=kw.pop("name", slug),
        settings=settings,
        secret_key=current_app.config["SETTINGS"].SECRET_KEY,
        **kw,
    )


def move_2025_plan_ahead(session, days_ahead: int = 10) -> date:
    """Shift the seeded campaigns and drives by whole weeks so the first drive is ahead of today.

    The 2025 plan lies in the past for most of the clock's life; planning skips what is
    past, so tests that want it applied move it, keeping every weekday. Answers the
    first drive's new local day.
    """
    drives = list(session.scalars(select(Drive).order_by(Drive.starts_at)))
    first = drives[0].starts_at.astimezone(LOCAL).date()
    today = utcnow().astimezone(LOCAL).date()
    weeks = max(0, -(-((today + timedelta(days=days_ahead)) - first).days // 7))
    shift = timedelta(weeks=weeks)
    for drive in drives:
        drive.starts_at += shift
        drive.ends_at += shift
    for camp in session.scalars(select(Campaign)):
        camp.starts_on += shift
        camp.ends_on += shift
    session.commit()
    return first + shift


def standard_channels(
    session, communes: list[str] | None = None, **rules: Any
) -> dict[str, Channel]:
    """A Page, a portal feed, a partner webhook and one loudspeaker network."""
    channels = {
        "fanpage": channel(
            session,
            "fanpage",
            "fanpage-so",
            {"page_id": "1234567890", "access_token": "dummy-token"},
            name="Fanpage Sở",
            rules=rules.get("fanpage"),
        ),
        "rss": channel(
            session,
            "rss",
            "cong-thong-tin",
            {"title": "Tin hiến máu"},
            name="Cổng thông tin",
            rules=rules.get("rss"),
        ),
        "webhook": channel(
            session,
            "webhook",
            "doi-tac",
            {"url": "http://127.0.0.1:9/hook", "secret": "receiver-secret-0123456789"},
            name="Đối tác",
            allow_private=True,  # a placeholder address: nothing is delivered to it here
        ),
        "loudspeaker": channel(
            session,
            "loudspeaker",
            "loa-lai-chau",
            {"commune_codes": communes or [TAN_PHONG, DOAN_KET]},
            name="Loa truyền thanh",
        ),
    }
    session.commit()
    return channels


def released(session) -> None:
    """End the test's transaction: on SQLite even a read holds the write lock (BEGIN IMMEDIATE),
    which would keep the app's requests waiting. Loaded rows stay usable (no expiry on commit)."""
    session.commit()


def default_playbook(session) -> PlaybookRecord:
    record = session.scalar(select(PlaybookRecord).where(PlaybookRecord.slug == "default"))
    released(session)
    return record


def campaign(session, slug: str) -> Campaign:
    found = session.scalar(select(Campaign).where(Campaign.slug == slug))
    released(session)
    return found


def drive_by_ref(session, ref: str) -> Drive:
    found = session.scalar(select(Drive).where(Drive.external_ref == ref))
    released(session)
    return found


def fresh(session, model, ident):
    """A row as the database has it now, the transaction released afterwards."""
    session.expire_all()
    row = session.get(model, ident)
    if row is not None:
        session.refresh(row)
    released(session)
    return row


def future_campaign(
    session, *, days_ahead: int = 20, commune: str = TAN_PHONG, target: int | None = 120
) -> tuple[Campaign, Drive]:
    """A campaign with one drive ``days_ahead`` days from today (local 07:30–11:30)."""
    today = utcnow().astimezone(LOCAL).date()
    day = today + timedelta(days=days_ahead)
    camp = Campaign(
        slug=f"thu-nghiem-{days_ahead}",
        name="Chiến dịch thử nghiệm",
        starts_on=today - timedelta(days=5),
        ends_on=day + timedelta(days=30),
    )
    session.add(camp)
    session.flush()
    drive = Drive(
        campaign_id=camp.id,
        name="Ngày hội hiến máu thử nghiệm",
        starts_at=local(day, 7, 30),
        ends_at=local(day, 11, 30),
        location="Nhà văn hóa tổ 5",
        commune_code=commune,
        target_units=target,
    )
    session.add(drive)
    session.commit()
    return camp, drive


def plan(client, headers, campaign_id: int, playbook_id: int, **body: Any):
    return client.post(
        f"/api/v1/campaigns/{campaign_id}/plan",
        json={"playbook_id": playbook_id, **body},
        headers=headers,
    )
