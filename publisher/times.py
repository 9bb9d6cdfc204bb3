"""Time in one place: the local zone, ISO 8601 with ``Z``, and Vietnamese dates and times.

Times are stored in UTC and shown in ``Asia/Ho_Chi_Minh``. The weekday names are our own
table rather than Babel's: CLDR capitalises every word ("Chủ Nhật"), while the official
form, used in headings and running text alike, is "Chủ nhật"; running text writes the other
days with a lower-case "thứ" ("thứ Sáu"), headings capitalise it ("Thứ Sáu").
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# Indexed by date.weekday(): Monday is 0.
WEEKDAYS_VI = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
WEEKDAY_HEADINGS = tuple(name[0].upper() + name[1:] for name in WEEKDAYS_VI)
WEEKDAYS_SHORT = ("T2", "T3", "T4", "T5", "T6", "T7", "CN")
# Indexed by month - 1; "tháng 1", as dates are written (the spoken forms live with the
# loudspeaker reader).
MONTHS_VI = tuple(f"tháng {n}" for n in range(1, 13))


def iso_z(value: datetime | date | None) -> str | None:
    """ISO 8601 as the API writes it: datetimes in UTC with ``Z``, dates as ``YYYY-MM-DD``."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value.isoformat()


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


def weekday_heading(value: date | datetime) -> str:
    """``Thứ Sáu``, ``Chủ nhật``: the local day's name as a heading or table cell."""
    return WEEKDAY_HEADINGS[local_date(value).weekday()]


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
