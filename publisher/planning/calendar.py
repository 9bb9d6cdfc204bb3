"""A campaign's schedule as an iCalendar feed (``/calendar/<slug>.ics``) and as JSON for the UI.

The feed is built with the icalendar library. It is public, as calendar apps
subscribe without signing in, and it is byte-for-byte stable: DTSTAMP comes from
the rows' ``updated_at`` (not the time of the request), and events are sorted,
so an unchanged schedule gives the same bytes and the same ETag, and apps
polling it get ``304 Not Modified``.

Events: one per drive (``drive-{id}@host``, STATUS:CANCELLED once cancelled) and
one per pending or published publication (``publication-{id}@host``), with
local times in the Asia/Ho_Chi_Minh zone (a VTIMEZONE is included). SEQUENCE is
the number of seconds between a row's creation and its last change, which grows
with every change, moves included, as RFC 5545 asks.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, request
from icalendar import Calendar, Event, vText
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from content_library.models import Campaign, ContentItem, Drive
from content_library.sanitize import html_to_text
from publisher.db import db
from publisher.delivery.models import PENDING_STATUSES, Publication
from publisher.delivery.render import words_for
from publisher.errors import not_found
from publisher.planning.kinds import short_label
from publisher.planning.templates import names_place
from publisher.planning.vietnamese_dates import (
    LOCAL_TZ,
    format_date_vi,
    format_time_range_vi,
    local_to_utc,
    to_local,
)
from publisher.tags import tag_authority
from publisher.times import iso_z as iso

calendar = Blueprint("calendar", __name__)

PRODID = "-//Campaign Publisher//Lich hien mau tinh nguyen//VI"
CALENDAR_STATUSES = (*PENDING_STATUSES, "published")
PUBLICATION_MINUTES = 15
DRIVE_STATUS = {"cancelled": "CANCELLED", "planned": "TENTATIVE"}
STATUS_LABELS = {
    "scheduled": "đã lên lịch",
    "queued": "đang chờ gửi",
    "publishing": "đang gửi",
    "unconfirmed": "đang đối soát với kênh",
    "published": "đã đăng",
}
DESCRIPTION_CHARS = 1000
# Control characters other than the line feed: a lone CR ends a line for lenient parsers
# and icalendar leaves it as it is, so it goes before the text reaches the library.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@calendar.get("/calendar/<slug>.ics")
def campaign_ics(slug: str) -> Response:
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        raise not_found("Campaign", slug)
    body = build_ics(db.session, campaign, current_app.config["SETTINGS"].PUBLIC_BASE_URL)
    etag = hashlib.sha256(body).hexdigest()[:32]
    response = Response(body, mimetype="text/calendar")
    response.charset = "utf-8"
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Content-Disposition"] = f'inline; filename="{campaign.slug}.ics"'
    if request.if_none_match.contains_weak(etag):
        response.status_code = 304
        response.set_data(b"")
    return response


def campaign_publications(
    session: Session,
    campaign: Campaign,
    *,
    statuses: Sequence[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[Publication]:
    """The campaign's publications: its drives', its reminders' and its own content's."""
    drive_ids = select(Drive.id).where(Drive.campaign_id == campaign.id)
    content_ids = select(ContentItem.id).where(ContentItem.campaign_id == campaign.id)
    stmt = (
        select(Publication)
        .where(
            or_(
                Publication.drive_id.in_(drive_ids),
                Publication.plan_key.like(f"campaign:{campaign.id}:%"),
                Publication.content_id.in_(content_ids),
            )
        )
        .options(selectinload(Publication.channel), selectinload(Publication.version))
        .order_by(Publication.scheduled_at, Publication.id)
    )
    if statuses is not None:
        stmt = stmt.where(Publication.status.in_(list(statuses)))
    if start is not None:
        stmt = stmt.where(Publication.scheduled_at >= start)
    if end is not None:
        stmt = stmt.where(Publication.scheduled_at < end)
    return list(session.scalars(stmt))


def campaign_drive_rows(
    session: Session, campaign: Campaign, start: datetime | None = None, end: datetime | None = None
) -> list[Drive]:
    stmt = (
        select(Drive)
        .where(Drive.campaign_id == campaign.id)
        .options(selectinload(Drive.commune))
        .order_by(Drive.starts_at, Drive.id)
    )
    if start is not None:
        stmt = stmt.where(Drive.ends_at >= start)
    if end is not None:
        stmt = stmt.where(Drive.starts_at < end)
    return list(session.scalars(stmt))


def build_ics(session: Session, campaign: Campaign, base_url: str) -> bytes:
    """The campaign's iCalendar document (RFC 5545), deterministic for unchanged rows."""
    host = tag_authority(base_url)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    # X- properties have no registered type, and icalendar writes untyped values raw
    # (under ``python -O`` a line break in them would start a new property): as vText
    # they get the library's own TEXT escaping, like SUMMARY and DESCRIPTION.
    cal.add("x-wr-calname", vText(_plain(campaign.name)))
    cal.add("x-wr-timezone", vText(str(LOCAL_TZ)))
    if campaign.description:
        cal.add("x-wr-caldesc", vText(_plain(campaign.description)))
    drives = campaign_drive_rows(session, campaign)
    for drive in drives:
        cal.add_component(_drive_event(drive, host, base_url))
    names = {d.id: d.name for d in drives}
    for pub in campaign_publications(session, campaign, statuses=CALENDAR_STATUSES):
        cal.add_component(_publication_event(pub, host, names.get(pub.drive_id or 0)))
    cal.add_missing_timezones()
    return cal.to_ical()


def _plain(text: str) -> str:
    """Text for a TEXT property: line breaks as ``\\n``, other control characters dropped."""
    return _CONTROL.sub("", (text or "").replace("\r\n", "\n").replace("\r", "\n"))


def _stamp(event: Event, created: datetime, updated: datetime) -> None:
    event.add("dtstamp", updated)
    event.add("created", created)
    event.add("last-modified", updated)
    event.add("sequence", max(0, int((updated - created).total_seconds())))


def _drive_event(drive: Drive, host: str, base_url: str) -> Event:
    event = Event()
    event.add("uid", f"drive-{drive.id}@{host}")
    _stamp(event, drive.created_at, drive.updated_at)
    event.add("dtstart", to_local(drive.starts_at))
    event.add("dtend", to_local(drive.ends_at))
    event.add("summary", _plain(drive.name))
    commune = drive.commune.full_name if drive.commune else drive.commune_code
    # "Hội trường UBND phường Tân Phong" already says where: the commune is not added twice.
    place = drive.location
    if not names_place(drive.location, commune):
        place = f"{drive.location}, {commune}"
    event.add("location", _plain(place))
    lines = [
        f"{drive.name}: {format_date_vi(drive.starts_at)}, "
        f"{format_time_range_vi(drive.starts_at, drive.ends_at)}.",
        f"Địa điểm: {place}.",
    ]
    if drive.target_units is not None:
        lines.append(f"Mục tiêu: {drive.target_units} đơn vị máu.")
    if drive.result_units is not None:
        lines.append(f"Đã tiếp nhận: {drive.result_units} đơn vị máu.")
    if drive.status == "cancelled":
        lines.insert(0, "ĐÃ HỦY – đợt hiến máu này không diễn ra.")
    event.add("description", _plain("\n".join(lines)))
    event.add("status", DRIVE_STATUS.get(drive.status, "CONFIRMED"))
    event.add("categories", ["Hiến máu tình nguyện"])
    event.add("transp", "OPAQUE")
    return event


def _publication_event(pub: Publication, host: str, drive_name: str | None) -> Event:
    title, body_html, _summary = words_for(pub)
    label = short_label(pub.channel.kind)
    event = Event()
    event.add("uid", f"publication-{pub.id}@{host}")
    _stamp(event, pub.created_at, pub.updated_at)
    event.add("dtstart", to_local(pub.scheduled_at))
    event.add("dtend", to_local(pub.scheduled_at) + timedelta(minutes=PUBLICATION_MINUTES))
    event.add("summary", _plain(f"[{pub.channel.name}] {title}"))
    lines = [
        f"Kênh: {pub.channel.name} ({label}).",
        f"Trạng thái: {STATUS_LABELS.get(pub.status, pub.status)}.",
    ]
    if drive_name:
        lines.append(f"Đợt hiến máu: {drive_name}.")
    if pub.slot:
        lines.append(
            f"Buổi phát: {'sáng' if pub.slot == 'morning' else 'chiều'}, đọc {pub.repeats} lần."
        )
    lines.append("")
    text = html_to_text(body_html)
    if len(text) > DESCRIPTION_CHARS:
        text = text[:DESCRIPTION_CHARS].rsplit(" ", 1)[0] + "…"
    lines.append(text)
    event.add("description", _plain("\n".join(lines)))
    event.add("status", "CONFIRMED" if pub.status == "published" else "TENTATIVE")
    event.add("categories", [_plain(label)])
    event.add("transp", "TRANSPARENT")
    if pub.drive_id is not None:
        event.add("related-to", f"drive-{pub.drive_id}@{host}")
    return event


def local_day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """UTC instants of the start of ``first`` and the end of ``last`` (local days)."""
    return local_to_utc(first, time(0)), local_to_utc(last + timedelta(days=1), time(0))


def calendar_json(session: Session, campaign: Campaign, first: date, last: date) -> dict[str, Any]:
    """Drives and publications between two local days, with local times, for the UI calendar."""
    start, end = local_day_bounds(first, last)
    drives = campaign_drive_rows(session, campaign, start, end)
    pubs = campaign_publications(session, campaign, start=start, end=end)
    return {
        "campaign": {
            "id": campaign.id,
            "slug": campaign.slug,
            "name": campaign.name,
            "paused": campaign.paused,
        },
        "timezone": str(LOCAL_TZ),
        "from": first.isoformat(),
        "to": last.isoformat(),
        "drives": [_drive_json(d) for d in drives],
        "publications": [_publication_json(p) for p in pubs],
    }


def _local(value: datetime | None) -> str | None:
    return None if value is None else to_local(value).isoformat()


def _utc(value: datetime | None) -> str | None:
    return iso(value) if value is not None else None


def _drive_json(drive: Drive) -> dict[str, Any]:
    return {
        "id": drive.id,
        "name": drive.name,
        "status": drive.status,
        "starts_at": _utc(drive.starts_at),
        "ends_at": _utc(drive.ends_at),
        "local_start": _local(drive.starts_at),
        "local_end": _local(drive.ends_at),
        "local_date": to_local(drive.starts_at).date().isoformat(),
        "location": drive.location,
        "commune_code": drive.commune_code,
        "commune_name": drive.commune.full_name if drive.commune else "",
        "target_units": drive.target_units,
        "result_units": drive.result_units,
        "is_sample": drive.is_sample,
    }


def _publication_json(pub: Publication) -> dict[str, Any]:
    title, _body, _summary = words_for(pub)
    return {
        "id": pub.id,
        "drive_id": pub.drive_id,
        "plan_key": pub.plan_key,
        "content_id": pub.content_id,
        "channel_id": pub.channel_id,
        "channel_slug": pub.channel.slug,
        "channel_kind": pub.channel.kind,
        "channel_name": pub.channel.name,
        "title": title,
        "status": pub.status,
        "priority": pub.priority,
        "slot": pub.slot,
        "repeats": pub.repeats,
        "scheduled_at": _utc(pub.scheduled_at),
        "local_time": _local(pub.scheduled_at),
        "local_date": to_local(pub.scheduled_at).date().isoformat(),
        "expires_at": _utc(pub.expires_at),
        "published_at": _utc(pub.published_at),
    }
