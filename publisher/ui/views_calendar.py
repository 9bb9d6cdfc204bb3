"""The calendar: drives and publications on a month or week grid (local days, Monday first)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import render_template, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from content_library.db import utcnow
from content_library.models import Campaign, ContentItem, Drive
from publisher.db import db
from publisher.delivery.models import Channel, Publication
from publisher.organisations.web import scoped
from publisher.routing import plannable_day, row_id
from publisher.times import LOCAL_TZ, MONTHS_VI
from publisher.ui.blueprint import require, ui
from publisher.ui.formatting import to_local

MAX_PER_DAY_IN_MONTH = 4


@dataclass
class Day:
    day: date
    in_range: bool
    today: bool
    drives: list[Drive] = field(default_factory=list)
    publications: list[Publication] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.drives) + len(self.publications)


def _parse_day(raw: str | None, today: date) -> date:
    for text in (raw or "", f"{raw}-01"):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            continue
        return day if plannable_day(day) else today
    return today


def _bounds(view: str, anchor: date) -> tuple[date, date, date, date]:
    """First and last day shown, and the previous and next anchors."""
    if view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        return (
            first,
            first + timedelta(days=6),
            first - timedelta(days=7),
            first + timedelta(days=7),
        )
    month_start = anchor.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    prev_month = (month_start - timedelta(days=1)).replace(day=1)
    first = month_start - timedelta(days=month_start.weekday())
    last_of_month = next_month - timedelta(days=1)
    last = last_of_month + timedelta(days=6 - last_of_month.weekday())
    return first, last, prev_month, next_month


def _at_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), LOCAL_TZ)


@ui.get("/calendar")
@require("publications:read")
def calendar() -> str:
    today = utcnow().astimezone(LOCAL_TZ).date()
    view = "week" if request.args.get("view") == "week" else "month"
    anchor = _parse_day(request.args.get("date"), today)
    first, last, previous, following = _bounds(view, anchor)
    start, end = _at_midnight(first), _at_midnight(last + timedelta(days=1))
    campaign_id = str(row_id(request.args.get("campaign_id")) or "")
    channel_id = str(row_id(request.args.get("channel_id")) or "")
    show_cancelled = request.args.get("cancelled") == "1"

    drive_stmt = select(Drive).where(Drive.starts_at >= start, Drive.starts_at < end)
    pub_stmt = scoped(
        select(Publication)
        .where(Publication.scheduled_at >= start, Publication.scheduled_at < end)
        .options(selectinload(Publication.channel), selectinload(Publication.version))
        .order_by(Publication.scheduled_at),
        Publication,
    )
    if campaign_id.isdigit():
        drive_stmt = drive_stmt.where(Drive.campaign_id == int(campaign_id))
        pub_stmt = pub_stmt.join(ContentItem, ContentItem.id == Publication.content_id).where(
            ContentItem.campaign_id == int(campaign_id)
        )
    if channel_id.isdigit():
        pub_stmt = pub_stmt.where(Publication.channel_id == int(channel_id))
    if not show_cancelled:
        pub_stmt = pub_stmt.where(Publication.status != "cancelled")

    days = {}
    cursor = first
    while cursor <= last:
        in_range = view == "week" or cursor.month == anchor.month
        days[cursor] = Day(cursor, in_range, cursor == today)
        cursor += timedelta(days=1)
    for drive in db.session.scalars(drive_stmt.order_by(Drive.starts_at)):
        days[to_local(drive.starts_at).date()].drives.append(drive)
    for pub in db.session.scalars(pub_stmt.limit(5000)):
        days[to_local(pub.scheduled_at).date()].publications.append(pub)
    ordered = list(days.values())
    weeks = [ordered[i : i + 7] for i in range(0, len(ordered), 7)]
    if view == "week":
        title = f"Tuần {first:%d/%m} – {last:%d/%m/%Y}"
    else:
        title = f"{MONTHS_VI[anchor.month - 1].capitalize()} năm {anchor.year}"
    filters = {
        k: v
        for k, v in (
            ("campaign_id", campaign_id),
            ("channel_id", channel_id),
            ("cancelled", "1" if show_cancelled else ""),
        )
        if v
    }
    return render_template(
        "ui/calendar.html",
        view=view,
        weeks=weeks,
        title=title,
        anchor=anchor,
        previous=previous,
        following=following,
        today=today,
        filters=filters,
        campaigns=[
            (c.id, c.name)
            for c in db.session.scalars(select(Campaign).order_by(Campaign.starts_on))
        ],
        channels=[
            (c.id, c.name) for c in db.session.scalars(select(Channel).order_by(Channel.name))
        ],
        campaign_id=campaign_id,
        channel_id=channel_id,
        show_cancelled=show_cancelled,
        max_per_day=MAX_PER_DAY_IN_MONTH,
    )
