"""What planning reads from the database: templates, channels, existing planned rows, counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Hashable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from content_library.models import ContentItem, ContentVersion, Drive
from publisher.delivery.models import Channel, Publication
from publisher.errors import ApiError
from publisher.planning.errors import RulesInvalid
from publisher.planning.kinds import has_trait
from publisher.planning.planner import ChannelTarget
from publisher.planning.rendering import (
    TEMPLATE_GUID_PREFIX,
    template_from_version,
    template_guid,
)
from publisher.planning.rules import CAP_SEARCH_DAYS, rules_from_dict
from publisher.planning.templates import Template, check_template
from publisher.planning.vietnamese_dates import to_local

# Rows that take a place in a channel's day, for daily caps.
OCCUPYING_STATUSES = ("scheduled", "queued", "publishing", "published", "unconfirmed")


class PlanRefused(ApiError):
    """Planning cannot go ahead; ``errors`` says what to fix (an HTTP 422 by default)."""

    def __init__(self, detail: str, errors: dict[str, str] | None = None, status: int = 422):
        super().__init__(status, detail, title="Planning refused", errors=errors)


@dataclass(frozen=True)
class TemplateSource:
    """A template item's approved version, as the pure layer sees it."""

    item_id: int
    version_id: int
    template: Template
    has_image: bool
    # Held so the session's (weak) identity map keeps the item: scheduling looks it up per row.
    item: ContentItem | None = None


def known_template_keys(session: Session) -> set[str]:
    """Keys of every template item, approved or not."""
    guids = session.scalars(
        select(ContentItem.source_guid).where(
            ContentItem.is_template.is_(True),
            ContentItem.source_guid.like(f"{TEMPLATE_GUID_PREFIX}%"),
        )
    )
    return {guid[len(TEMPLATE_GUID_PREFIX) :] for guid in guids if guid}


def load_templates(
    session: Session, keys: Collection[str], *, image_needed: Collection[str] = ()
) -> dict[str, TemplateSource]:
    """The approved wording of each needed template; refuses with every problem at once."""
    if not keys:
        return {}
    items = session.scalars(
        select(ContentItem)
        .where(
            ContentItem.is_template.is_(True),
            ContentItem.source_guid.in_([template_guid(k) for k in keys]),
        )
        .options(selectinload(ContentItem.versions))
    ).all()
    by_key = {item.source_guid[len(TEMPLATE_GUID_PREFIX) :]: item for item in items}
    found: dict[str, TemplateSource] = {}
    errors: dict[str, str] = {}
    for key in sorted(keys):
        item = by_key.get(key)
        if item is None:
            errors[f"templates.{key}"] = f"Không có mẫu nội dung “{key}” / no template item {key!r}"
            continue
        version = _approved(item)
        if version is None:
            errors[f"templates.{key}"] = (
                f"Mẫu “{key}” (nội dung #{item.id}) chưa có bản được phê duyệt; hãy gửi duyệt "
                f"và phê duyệt trước khi lập kế hoạch / template {key!r} has no approved version"
            )
            continue
        template = template_from_version(key, item, version)
        problems = check_template(template)
        if problems:
            errors[f"templates.{key}"] = (
                f"Mẫu “{key}” (bản {version.number}) có lỗi: "
                + " ".join(problems)
                + f" / template {key!r} has invalid placeholders"
            )
            continue
        if key in image_needed and item.kind == "poster" and version.asset_id is None:
            errors[f"templates.{key}"] = (
                f"Mẫu áp phích “{key}” chưa có ảnh / poster template {key!r} has no image"
            )
            continue
        found[key] = TemplateSource(
            item.id, version.id, template, version.asset_id is not None, item=item
        )
    if errors:
        raise PlanRefused(
            "Không lập được kế hoạch: mẫu nội dung cần sửa hoặc phê duyệt "
            "/ cannot plan: templates need fixing or approval",
            errors,
        )
    return found


def _approved(item: ContentItem) -> ContentVersion | None:
    if item.approved_version_id is None or item.status == "archived":
        return None
    return next((v for v in item.versions if v.id == item.approved_version_id), None)


def channel_targets(
    session: Session, organisation_id: int | None = None
) -> tuple[list[ChannelTarget], dict[int, Channel]]:
    """Enabled channels as planning sees them (rules from ``Channel.rules`` and slots);
    with ``organisation_id``, only that organisation's."""
    stmt = select(Channel).where(Channel.enabled.is_(True)).order_by(Channel.id)
    if organisation_id is not None:
        stmt = stmt.where(Channel.organisation_id == organisation_id)
    channels = session.scalars(stmt).all()
    targets: list[ChannelTarget] = []
    errors: dict[str, str] = {}
    for channel in channels:
        settings = channel.settings or {}
        slots = settings.get("slots") if has_trait(channel.kind, "scheduled_in_slots") else None
        try:
            rules = rules_from_dict(channel.kind, channel.rules or {}, slots)
        except RulesInvalid as exc:
            errors.update({f"channels.{channel.slug}.{k}": v for k, v in exc.errors.items()})
            continue
        codes = (
            settings.get("commune_codes") if has_trait(channel.kind, "serves_communes") else None
        )
        targets.append(
            ChannelTarget(
                id=channel.id,
                kind=channel.kind,
                name=channel.name,
                commune_codes=frozenset(codes or ()),
                rules=rules,
            )
        )
    if errors:
        raise PlanRefused("Quy tắc kênh không hợp lệ / invalid channel rules", errors)
    return targets, {c.id: c for c in channels}


@dataclass(frozen=True)
class ExistingRow:
    id: int
    status: str
    scheduled_at: datetime
    expires_at: datetime | None
    channel_id: int
    content_id: int
    drive_id: int | None


def existing_planned(
    session: Session, campaign_id: int, drive_ids: Iterable[int] | None
) -> dict[str, ExistingRow]:
    """Planned rows of the campaign (its drives' and its reminders'), by plan key."""
    drive_rows = (
        select(Publication.id)
        .join(Drive, Drive.id == Publication.drive_id)
        .where(Drive.campaign_id == campaign_id, Publication.plan_key.is_not(None))
    )
    if drive_ids is not None:
        drive_rows = drive_rows.where(Drive.id.in_(list(drive_ids)))
    stmt = select(
        Publication.plan_key,
        Publication.id,
        Publication.status,
        Publication.scheduled_at,
        Publication.expires_at,
        Publication.channel_id,
        Publication.content_id,
        Publication.drive_id,
    ).where(
        or_(
            Publication.id.in_(drive_rows),
            Publication.plan_key.like(f"campaign:{campaign_id}:%"),
        )
    )
    return {row[0]: ExistingRow(*row[1:]) for row in session.execute(stmt)}


def counts_by_channel_day(
    session: Session, channel_ids: Collection[int], first: datetime, last: datetime
) -> Counter[tuple[Hashable, date]]:
    """Rows already taking a place per channel and local day, for the channels with caps."""
    counts: Counter[tuple[Hashable, date]] = Counter()
    if not channel_ids:
        return counts
    rows = session.execute(
        select(Publication.channel_id, Publication.scheduled_at).where(
            Publication.channel_id.in_(list(channel_ids)),
            Publication.status.in_(OCCUPYING_STATUSES),
            Publication.scheduled_at >= first - timedelta(days=1),
            Publication.scheduled_at <= last + timedelta(days=CAP_SEARCH_DAYS + 1),
        )
    )
    for channel_id, scheduled_at in rows:
        counts[(channel_id, to_local(scheduled_at).date())] += 1
    return counts


def campaign_drives(
    session: Session, campaign_id: int, drive_ids: Collection[int] | None
) -> list[Drive]:
    """The campaign's drives (all, or the ones asked for), in order of time."""
    stmt = (
        select(Drive)
        .where(Drive.campaign_id == campaign_id)
        .options(selectinload(Drive.commune))
        .order_by(Drive.starts_at, Drive.id)
    )
    if drive_ids is not None:
        stmt = stmt.where(Drive.id.in_(list(drive_ids)))
    drives = list(session.scalars(stmt))
    if drive_ids is not None:
        missing = sorted(set(drive_ids) - {d.id for d in drives})
        if missing:
            raise PlanRefused(
                "Có đợt hiến máu không thuộc chiến dịch này / some drives are not in this campaign",
                {
                    "drive_ids": "không thuộc chiến dịch / not in this campaign: "
                    + ", ".join(map(str, missing))
                },
            )
    return drives
