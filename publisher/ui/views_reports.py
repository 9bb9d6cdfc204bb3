"""Reports: deliveries per channel per week, confirmations per commune, drives' results."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from flask import render_template, request
from sqlalchemy import select

from content_library.db import utcnow
from content_library.models import Campaign, Drive
from publisher.db import db
from publisher.delivery.models import Channel, Publication
from publisher.loudspeaker.airings import airings
from publisher.times import LOCAL_TZ
from publisher.ui.blueprint import require, ui
from publisher.ui.charts import columns, progress_rows

WEEK_CHOICES = (4, 8, 12, 26)
DAY_CHOICES = (7, 30, 90)
MAX_DRIVES = 18
MAX_COMMUNES = 40


def _choice(name: str, choices: tuple[int, ...], default: int) -> int:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() and int(raw) in choices else default


def deliveries_per_week(weeks: int, today: date) -> tuple[list[str], list[tuple[str, list[int]]]]:
    """Published deliveries counted per channel and local week (Monday first)."""
    this_monday = today - timedelta(days=today.weekday())
    mondays = [this_monday - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    start = datetime.combine(mondays[0], time(0), LOCAL_TZ)
    counts: dict[int, list[int]] = defaultdict(lambda: [0] * weeks)
    for channel_id, published_at in db.session.execute(
        select(Publication.channel_id, Publication.published_at).where(
            Publication.published_at.is_not(None), Publication.published_at >= start
        )
    ):
        day = published_at.astimezone(LOCAL_TZ).date()
        index = (day - mondays[0]).days // 7
        if 0 <= index < weeks:
            counts[channel_id][index] += 1
    names = dict(db.session.execute(select(Channel.id, Channel.name)).all())
    series = sorted(
        ((names.get(cid, f"#{cid}"), values) for cid, values in counts.items()),
        key=lambda pair: -sum(pair[1]),
    )
    return [f"{m:%d/%m}" for m in mondays], series


@ui.get("/reports")
@require("publications:read")
def reports() -> str:
    today = utcnow().astimezone(LOCAL_TZ).date()
    weeks = _choice("weeks", WEEK_CHOICES, 8)
    days = _choice("days", DAY_CHOICES, 30)
    campaign_id = request.args.get("campaign_id", "")

    week_labels, series = deliveries_per_week(weeks, today)
    delivery_chart = columns(week_labels, series, stacked=True) if series else None

    per_commune = sorted(
        airings(db.session, today - timedelta(days=days - 1), today),
        key=lambda a: (a.confirmed / a.due if a.due else 1, a.name),
    )
    confirmation_chart = (
        progress_rows([(a.name, a.due, a.confirmed) for a in per_commune[:MAX_COMMUNES]])
        if per_commune
        else None
    )

    drive_stmt = (
        select(Drive)
        .where(
            Drive.target_units.is_not(None),
            Drive.status != "cancelled",
            Drive.starts_at <= utcnow(),
        )
        .order_by(Drive.starts_at.desc())
        .limit(MAX_DRIVES)
    )
    if campaign_id.isdigit():
        drive_stmt = drive_stmt.where(Drive.campaign_id == int(campaign_id))
    drives = list(reversed(list(db.session.scalars(drive_stmt))))
    drive_chart = (
        columns(
            [f"{d.starts_at.astimezone(LOCAL_TZ):%d/%m}" for d in drives],
            [
                ("Chỉ tiêu", [d.target_units or 0 for d in drives]),
                ("Kết quả", [d.result_units or 0 for d in drives]),
            ],
            stacked=False,
        )
        if drives
        else None
    )
    return render_template(
        "ui/reports.html",
        weeks=weeks,
        days=days,
        week_choices=WEEK_CHOICES,
        day_choices=DAY_CHOICES,
        week_labels=week_labels,
        series=series,
        delivery_chart=delivery_chart,
        per_commune=per_commune,
        confirmation_chart=confirmation_chart,
        drives=drives,
        drive_chart=drive_chart,
        campaigns=[
            (c.id, c.name)
            for c in db.session.scalars(select(Campaign).order_by(Campaign.starts_on))
        ],
        campaign_id=campaign_id,
    )
