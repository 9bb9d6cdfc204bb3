"""Local time and Vietnamese date, time and number formatting.

Times are stored in UTC and shown in ``Asia/Ho_Chi_Minh``. The weekday names are
our own table rather than Babel's: CLDR's Vietnamese names are capitalised for
a heading ("Thứ Sáu", "Chủ Nhật"), while running text in press releases and
loudspeaker scripts writes "thứ Sáu" and "Chủ nhật".
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# Indexed by date.weekday(): Monday is 0.
WEEKDAYS_VI = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


def require_aware(value: datetime, name: str = "datetime") -> datetime:
    """Return ``value`` unchanged, or raise ``ValueError`` if it has no time zone."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value


def to_local(value: datetime) -> datetime:
    """Convert an aware datetime to local (Asia/Ho_Chi_Minh) time."""
    return require_aware(value).astimezone(LOCAL_TZ)


def local_to_utc(day: date, at: time) -> datetime:
    """The aware UTC instant of local wall-clock ``at`` on ``day``."""
    return datetime.combine(day, at.replace(tzinfo=None), tzinfo=LOCAL_TZ).astimezone(UTC)


def local_date(value: date | datetime) -> date:
    """The local calendar date of a date, or of an aware datetime."""
    if isinstance(value, datetime):
        return to_local(value).date()
    return value


def format_date_vi(value: date | datetime) -> str:
    """``thứ Sáu, ngày 20/12/2024``; an aware datetime is first converted to local time.

    Day and month are zero-padded, as in Vietnamese official documents.
    """
    day = local_date(value)
    return f"{WEEKDAYS_VI[day.weekday()]}, ngày {day:%d/%m/%Y}"


def format_time_vi(value: time | datetime) -> str:
    """``7h30``, ``17h05``, or ``7h`` on the hour; an aware datetime is shown in local time."""
    if isinstance(value, datetime):
        value = to_local(value).time()
    if value.minute == 0:
        return f"{value.hour}h"
    return f"{value.hour}h{value.minute:02d}"


def format_time_range_vi(start: time | datetime, end: time | datetime | None) -> str:
    """``từ 7h30 đến 11h30``; only the start (``7h30``) when there is no end.

    Aware datetimes on different local days also name the days, so that an
    overnight range is not mistaken for a same-day one.
    """
    if end is None:
        return format_time_vi(start)
    if isinstance(start, datetime) and isinstance(end, datetime):
        first, last = to_local(start), to_local(end)
        if first.date() != last.date():
            return (
                f"từ {format_time_vi(first)} {format_date_vi(first)} "
                f"đến {format_time_vi(last)} {format_date_vi(last)}"
            )
    return f"từ {format_time_vi(start)} đến {format_time_vi(end)}"


def format_number_vi(value: int) -> str:
    """``1.200`` (Vietnamese groups thousands with a dot)."""
    return format_decimal(value, locale="vi")


def format_datetime_vi(value: datetime) -> str:
    """``9h, thứ Sáu, ngày 13/12/2024`` for an aware datetime, in local time."""
    return f"{format_time_vi(value)}, {format_date_vi(value)}"
