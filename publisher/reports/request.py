"""The report's query string, read the same way by the API, the downloads and the page."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from content_library.models import Campaign
from publisher.errors import ApiError, ValidationFailed
from publisher.loudspeaker.bulletins import local_today
from publisher.organisations.models import Organisation
from publisher.organisations.visibility import visible
from publisher.reports.scope import MAX_DAYS, ReportQuery, own_unit

PARAMS = ("from", "to", "campaign_id", "organisation_id")
QUERY_SCHEMA = (
    {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
    {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
    {"name": "campaign_id", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {"name": "organisation_id", "in": "query", "schema": {"type": "integer", "minimum": 1}},
)


def _day(args: Mapping[str, str], name: str) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed({name: "is not a date (YYYY-MM-DD) / ngày không hợp lệ"}) from None
    if not 1900 <= day.year <= 2200:
        raise ValidationFailed({name: "year must be between 1900 and 2200"})
    return day


def _positive(args: Mapping[str, str], name: str) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 10 or int(raw) < 1:
        raise ValidationFailed({name: "must be a positive integer / phải là số nguyên dương"})
    return int(raw)


def read_query(session: Session, args: Mapping[str, str], user: Any) -> ReportQuery:
    """The period (default: this month so far, or the campaign's dates when one is given),
    the campaign and the unit; a unit's people get their own unit's figures only."""
    campaign_id = _positive(args, "campaign_id")
    organisation_id = _positive(args, "organisation_id")
    unit = own_unit(session, user)
    campaign = None
    if campaign_id is not None:
        campaign = session.get(Campaign, campaign_id)
        if unit is not None and (campaign is None or not visible(session, campaign, user)):
            # Another unit's campaign is another unit's row: 404, as if it did not exist
            # (and one that does not exist answers the same, so nothing tells them apart).
            raise ApiError(404, f"campaign {campaign_id} not found / không tìm thấy")
        if campaign is None:
            # A query naming a row that does not exist is invalid input, as in every filter.
            raise ValidationFailed({"campaign_id": "no such campaign / không có chiến dịch này"})
    first, last = _day(args, "from"), _day(args, "to")
    today = local_today()
    if first is None:
        first = campaign.starts_on if campaign is not None else today.replace(day=1)
    if last is None:
        last = campaign.ends_on if campaign is not None else today
    if last < first:
        raise ValidationFailed({"to": "must not be before from / ngày cuối trước ngày đầu"})
    if last - first > timedelta(days=MAX_DAYS):
        raise ValidationFailed(
            {"to": f"a report covers at most {MAX_DAYS} days / tối đa {MAX_DAYS} ngày"}
        )
    if unit is None:
        if organisation_id is not None and session.get(Organisation, organisation_id) is None:
            raise ValidationFailed(
                {"organisation_id": "no such organisation / không có đơn vị này"}
            )
        return ReportQuery(first, last, campaign_id, organisation_id)
    if organisation_id not in (None, unit):
        # Another unit's figures are another unit's rows: they answer 404.
        raise ApiError(404, f"organisation {organisation_id} not found / không tìm thấy")
    return ReportQuery(first, last, campaign_id, unit)


def query_args(query: ReportQuery) -> dict[str, str]:
    """The query string that asks for ``query`` again (download links)."""
    args = {"from": query.first.isoformat(), "to": query.last.isoformat()}
    if query.campaign_id is not None:
        args["campaign_id"] = str(query.campaign_id)
    if query.organisation_id is not None:
        args["organisation_id"] = str(query.organisation_id)
    return args


def presets(today: date) -> list[tuple[str, date, date]]:
    """Period presets the page offers: this and last month, this quarter, this year."""
    month_start = today.replace(day=1)
    last_month_end = month_start - timedelta(days=1)
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    return [
        ("Tháng này", month_start, today),
        ("Tháng trước", last_month_end.replace(day=1), last_month_end),
        ("Quý này", quarter_start, today),
        ("Năm nay", date(today.year, 1, 1), today),
    ]
