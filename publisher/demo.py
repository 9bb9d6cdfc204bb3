"""Demo data that looks alive on any date: users, channels, approved content, a schedule.

Everything is keyed (usernames, channel slugs, ``source_guid = "demo:<key>"``, drive
``external_ref``, publication ``plan_key``), so running the seed twice adds nothing.
Dates are relative to today in Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from content_library.assets import store_image
from content_library.db import utcnow
from content_library.models import Asset, Campaign, Commune, ContentItem, Drive
from content_library.services import approve, create_content, submit
from publisher.auth.models import User
from publisher.auth.services import create_user
from publisher.delivery.channels import create_channel
from publisher.delivery.models import Attempt, Channel, Publication
from publisher.delivery.publications import schedule
from publisher.demo_donors import seed_donors_demo
from publisher.loudspeaker.models import BroadcastConfirmation
from publisher.posters import draw_poster

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
CONFIG = Path(__file__).resolve().parent.parent / "config"

# Demo accounts; the passwords are printed by `publisher seed --demo` and in the README.
# username, role, commune (operators), display name, organisation (None: the department,
# or an operator's commune).
DEMO_USERS = (
    ("quantri", "admin", None, "Quản trị hệ thống", None),
    ("bientap", "editor", None, "Biên tập viên Phòng Thông tin", None),
    ("lanhdao", "approver", None, "Lãnh đạo Sở", None),
    ("loa-tanphong", "operator", "03408", "Đài truyền thanh phường Tân Phong", None),
    ("loa-doanket", "operator", "03388", "Đài truyền thanh phường Đoàn Kết", None),
    ("loa-binhlu", "operator", "03390", "Đài truyền thanh xã Bình Lư", None),
    ("baolaichau", "editor", None, "Biên tập viên Báo Lai Châu", "bao-lai-chau"),
    ("chuthapdo", "editor", None, "Cán bộ Hội Chữ thập đỏ tỉnh", "hoi-chu-thap-do-lai-chau"),
)
# The guidance the department has sent in the demo, to the newspaper and one commune.
DEMO_GUIDANCE_TITLE = "Đăng tin vận động hiến máu mùa đông"
DEMO_GUIDANCE_UNITS = ("bao-lai-chau", "xa-03408")
DEMO_PASSWORD = "{username}-demo-2025"  # noqa: S105 - demo accounts, documented in README


@dataclass
class DemoSummary:
    users: int = 0
    channels: int = 0
    content: int = 0
    drives: int = 0
    publications: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f"demo {k}": v for k, v in vars(self).items()}


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), LOCAL).astimezone(ZoneInfo("UTC"))


def seed_demo(
    session: Session, echo: Callable[[str], None] = print, today: date | None = None
) -> dict[str, int]:
    today = today or datetime.now(LOCAL).date()
    summary = DemoSummary()
    users = _users(session, summary, echo)
    channels = _channels(session, summary)
    items = _content(session, users, summary, echo)
    campaign = _campaign_and_drives(session, today, summary)
    _schedule(session, today, items, channels, summary)
    _plan_drives(session, campaign, summary, echo)
    _confirmations(session, today, users)
    _guidance(session, today, users, items, campaign)
    seed_donors_demo(session, users, today, echo)
    session.flush()
    return summary.as_dict()


def _guidance(
    session: Session,
    today: date,
    users: dict[str, User],
    items: dict[str, ContentItem],
    campaign: Campaign,
) -> None:
    """One piece of guidance in the units' inboxes: the demo's approved articles, due in a week."""
    from publisher.organisations.guidance import create_guidance
    from publisher.organisations.models import Guidance, Organisation

    if session.scalar(select(Guidance).where(Guidance.title == DEMO_GUIDANCE_TITLE)):
        return
    units = list(
        session.scalars(select(Organisation.id).where(Organisation.slug.in_(DEMO_GUIDANCE_UNITS)))
    )
    articles = [
        item.id
        for item in items.values()
        if item.kind == "article" and item.approved_version_id is not None
    ][:2]
    if not units or not articles:
        return
    create_guidance(
        session,
        users["lanhdao"],
        title=DEMO_GUIDANCE_TITLE,
        body=(
            "Đề nghị các đơn vị đăng tin vận động hiến máu tình nguyện trên kênh của mình "
            "và báo cáo kết quả (đường dẫn bài đăng hoặc ảnh chụp bảng tin) trước hạn."
        ),
        due_on=today + timedelta(days=7),
        content_ids=articles,
        organisation_ids=units,
        campaign_id=campaign.id,
    )


def _users(session: Session, summary: DemoSummary, echo: Callable[[str], None]) -> dict[str, User]:
    users: dict[str, User] = {}
    for username, role, commune, name, organisation in DEMO_USERS:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            password = DEMO_PASSWORD.format(username=username)
            user = create_user(
                session,
                username,
                role,
                password=password,
                commune_code=commune,
                display_name=name,
                organisation=organisation,
            )
            summary.users += 1
            echo(f"demo user {username} ({role}) password: {password}")
        users[username] = user
    return users


def _channels(session: Session, summary: DemoSummary) -> dict[str, Channel]:
    secret_key = current_app.config["SETTINGS"].SECRET_KEY
    all_codes = list(session.scalars(select(Commune.code).order_by(Commune.code)))
    wanted: list[dict[str, Any]] = [
        {
            "kind": "rss",
            "slug": "cong-thong-tin-tinh",
            "name": "Cổng Thông tin điện tử tỉnh",
            "settings": {
                "title": "Hiến máu tình nguyện – Lai Châu",
                "description": "Tin bài về phong trào hiến máu tình nguyện tỉnh Lai Châu",
            },
        },
        {
            "kind": "loudspeaker",
            "slug": "loa-truyen-thanh-co-so",
            "name": "Đài truyền thanh xã, phường",
            "settings": {
                "commune_codes": all_codes,
                "slots": {"morning": "06:00", "evening": "17:30"},
            },
        },
        {
            "kind": "fanpage",
            "slug": "fanpage-hien-mau",
            "name": "Trang Hiến máu Lai Châu",
            "settings": {"page_id": "100000000000001", "access_token": "demo-token-not-connected"},
            "enabled": False,
        },
    ]
    channels: dict[str, Channel] = {}
    for spec in wanted:
        channel = session.scalar(select(Channel).where(Channel.slug == spec["slug"]))
        if channel is None:
            channel = create_channel(session, secret_key=secret_key, **spec)
            if not channel.enabled:
                channel.health_reason = (
                    "Bản trình diễn: chưa kết nối Trang Facebook thật / demo page is not connected"
                )
            summary.channels += 1
        channels[spec["kind"]] = channel
    return channels


def _poster_asset(session: Session, spec: dict[str, Any], owner: User) -> Asset:
    data = draw_poster(
        spec["title"],
        spec.get("subtitle", ""),
        list(spec.get("lines", [])),
        spec.get("background", "#b71c1c"),
        spec.get("accent", "#ffffff"),
    )
    settings = current_app.config["SETTINGS"]
    asset, _created = store_image(
        session,
        data,
        f"{spec['key']}.png",
        created_by=owner.id,
        max_bytes=settings.ASSET_MAX_BYTES,
        max_pixels=settings.ASSET_MAX_PIXELS,
        max_decoded_bytes=settings.ASSET_MAX_DECODED_BYTES,
    )
    return asset


def _content(
    session: Session, users: dict[str, User], summary: DemoSummary, echo: Callable[[str], None]
) -> dict[str, ContentItem]:
    data = yaml.safe_load((CONFIG / "demo" / "content.yaml").read_text(encoding="utf-8"))
    posters = {p["key"]: p for p in data.get("posters", [])}
    campaigns = {c.slug: c.id for c in session.scalars(select(Campaign))}
    editor, approver = users["bientap"], users["lanhdao"]
    items: dict[str, ContentItem] = {}
    entries = data["items"]
    for n, entry in enumerate(entries, 1):
        guid = f"demo:{entry['key']}"
        item = session.scalar(select(ContentItem).where(ContentItem.source_guid == guid))
        if item is None:
            asset_id = None
            if entry.get("poster"):
                asset_id = _poster_asset(session, posters[entry["poster"]], editor).id
            item = create_content(
                session,
                kind=entry["kind"],
                title=entry["title"],
                body=entry["body"],
                summary=entry.get("summary"),
                tags=list(entry.get("tags") or []),
                campaign_id=campaigns.get(entry.get("campaign") or ""),
                asset_id=asset_id,
                author_id=editor.id,
                variants=entry.get("variants") or {},
            )
            item.source_guid = guid
            item.source_name = "Dữ liệu trình diễn"
            submit(item, editor.id)
            approve(session, item, approver.id)
            summary.content += 1
            echo(f"[{n}/{len(entries)}] {entry['kind']}: {entry['title'][:60]}")
        items[entry["key"]] = item
    return items


def _campaign_and_drives(session: Session, today: date, summary: DemoSummary) -> Campaign:
    slug = "hien-mau-mua-dong-demo"
    campaign = session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        campaign = Campaign(
            slug=slug,
            name="Hiến máu mùa đông (trình diễn)",
            description="Chiến dịch mẫu, tính theo ngày hôm nay, để xem thử lịch và bản tin.",
            starts_on=today - timedelta(days=14),
            ends_on=today + timedelta(days=45),
        )
        session.add(campaign)
        session.flush()
    plan = [
        ("DEMO-1", 3, "03408", "phường Tân Phong", "Hội trường UBND phường Tân Phong", 300),
        ("DEMO-2", 8, "03390", "xã Bình Lư", "Trạm Y tế xã Bình Lư", 150),
        ("DEMO-3", 15, "03595", "xã Than Uyên", "Nhà văn hóa xã Than Uyên", 250),
    ]
    for ref, offset, code, where, place, target in plan:
        drive = session.scalar(select(Drive).where(Drive.external_ref == ref))
        if drive is None:
            day = today + timedelta(days=offset)
            drive = Drive(
                campaign_id=campaign.id,
                name=f"Ngày hội hiến máu tình nguyện {where}",
                starts_at=local(day, 7, 0),
                ends_at=local(day, 11, 30),
                location=place,
                commune_code=code,
                target_units=target,
                status="confirmed",
                is_sample=True,
                external_ref=ref,
            )
            session.add(drive)
            summary.drives += 1
    session.flush()
    return campaign


def _schedule(
    session: Session,
    today: date,
    items: dict[str, ContentItem],
    channels: dict[str, Channel],
    summary: DemoSummary,
) -> None:
    articles = [i for i in items.values() if i.kind == "article"]
    scripts = [i for i in items.values() if i.kind == "script"]
    posters = [i for i in items.values() if i.kind == "poster"]
    rss, loud, page = channels["rss"], channels["loudspeaker"], channels["fanpage"]
    now = utcnow()
    # History: articles already on the portal feed over the past days.
    for n, item in enumerate(articles[:6]):
        when = local(today - timedelta(days=6 - n), 8, 30)
        _history(session, f"demo:rss:{n}", item, rss, when, summary)
    # Coming days: the rest of the articles and the posters, one a day.
    upcoming = [*articles[6:], *posters]
    for n, item in enumerate(upcoming):
        when = local(today + timedelta(days=n + 1), 9, 0)
        _planned(session, f"demo:rss-next:{n}", item, rss, when, summary)
        _planned(session, f"demo:page-next:{n}", item, page, when, summary)
    # Loudspeakers: today's two sessions and the next days'. A session already past was
    # aired (recorded as history); the rest are released into bulletins by the dispatcher.
    slots = [
        (0, "morning", 6, 0),
        (0, "evening", 17, 30),
        (1, "morning", 6, 0),
        (1, "evening", 17, 30),
        (2, "morning", 6, 0),
    ]
    for n, (offset, slot, hour, minute) in enumerate(slots):
        item = scripts[n % len(scripts)]
        when = local(today + timedelta(days=offset), hour, minute)
        priority = "priority" if n == 2 else "normal"
        record = _history if when <= now else _planned
        record(
            session,
            f"demo:loa:{n}",
            item,
            loud,
            when,
            summary,
            slot=slot,
            priority=priority,
            repeats=2,
        )
    # Yesterday's aired bulletin, so the confirmation report has something to show.
    for n, item in enumerate(scripts[:2]):
        when = local(today - timedelta(days=1), 6 if n == 0 else 17, 0 if n == 0 else 30)
        _history(
            session,
            f"demo:loa-past:{n}",
            item,
            loud,
            when,
            summary,
            slot="morning" if n == 0 else "evening",
        )


def _exists(session: Session, key: str) -> bool:
    return session.scalar(select(Publication.id).where(Publication.plan_key == key)) is not None


def _plan_drives(
    session: Session, campaign: Campaign, summary: DemoSummary, echo: Callable[[str], None]
) -> None:
    """The demo drives planned with the default playbook, as an editor would in one step."""
    from publisher.planning.models import PlaybookRecord
    from publisher.planning.service import plan_campaign
    from publisher.planning.sources import PlanRefused

    playbook = session.scalar(select(PlaybookRecord).order_by(PlaybookRecord.id))
    if playbook is None:
        echo("no playbook seeded: the demo drives are left unplanned")
        return
    try:
        result = plan_campaign(session, campaign, playbook, dry_run=False)
    except PlanRefused as exc:
        echo(f"demo drives not planned: {exc.detail}")
        return
    summary.publications += result.created
    echo(f"demo campaign planned with playbook {playbook.slug}: {result.created} publications")


def _planned(
    session: Session,
    key: str,
    item: ContentItem,
    channel: Channel,
    when: datetime,
    summary: DemoSummary,
    **kw: Any,
) -> None:
    if _exists(session, key):
        return
    schedule(
        session,
        content_id=item.id,
        channel_id=channel.id,
        scheduled_at=when,
        expires_at=when + timedelta(days=2),
        plan_key=key,
        release_hour=current_app.config["SETTINGS"].BULLETIN_RELEASE_HOUR,
        **kw,
    )
    summary.publications += 1


def _history(
    session: Session,
    key: str,
    item: ContentItem,
    channel: Channel,
    when: datetime,
    summary: DemoSummary,
    **kw: Any,
) -> None:
    """A publication that went out in the past, with its attempt, as the pipeline records it."""
    if _exists(session, key):
        return
    pub = schedule(
        session,
        content_id=item.id,
        channel_id=channel.id,
        scheduled_at=when,
        expires_at=when + timedelta(days=2),
        plan_key=key,
        **kw,
    )
    pub.status = "published"
    pub.attempts = 1
    pub.published_at = when + timedelta(seconds=4)
    pub.external_id = f"{channel.kind}-{pub.id}"
    session.add(
        Attempt(
            publication_id=pub.id,
            number=1,
            action="publish",
            token="seed",  # noqa: S106 - an attempt token, not a credential
            started_at=when,
            finished_at=when + timedelta(seconds=4),
            outcome="published",
            worker="seed",
        )
    )
    summary.publications += 1


def _confirmations(session: Session, today: date, users: dict[str, User]) -> None:
    yesterday = today - timedelta(days=1)
    aired = session.scalars(select(Publication).where(Publication.plan_key.like("demo:loa-past:%")))
    for pub in aired:
        for username in ("loa-tanphong", "loa-doanket"):
            user = users[username]
            exists = session.scalar(
                select(BroadcastConfirmation.id).where(
                    BroadcastConfirmation.commune_code == user.commune_code,
                    BroadcastConfirmation.air_date == yesterday,
                    BroadcastConfirmation.publication_id == pub.id,
                )
            )
            if exists is None:
                session.add(
                    BroadcastConfirmation(
                        commune_code=user.commune_code,
                        air_date=yesterday,
                        publication_id=pub.id,
                        confirmed_by=user.id,
                        slot=pub.slot,
                        note="Đã phát 2 lần",
                    )
                )
