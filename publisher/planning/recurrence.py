"""Recurring reminders: RFC 5545 RRULEs expanded within a campaign's dates.

Rules are expanded by dateutil in local wall-clock time, as RFC 5545 does for a
DTSTART with a TZID, and the occurrences are returned as aware UTC datetimes.

We check the rule ourselves before dateutil sees it, for two reasons: dateutil
reports some mistakes only while iterating, with messages no editor can act on;
and a rule that can never match (30 February) makes dateutil search up to the
year 9999 (seconds of CPU per request), because ``until`` is only compared with
occurrences it finds.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, time, timedelta

from dateutil.rrule import rrule, rrulestr

from publisher.planning.errors import RecurrenceInvalid
from publisher.planning.vietnamese_dates import LOCAL_TZ, to_local

MAX_OCCURRENCES = 500
FREQUENCIES = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY")
_TOO_FREQUENT = ("HOURLY", "MINUTELY", "SECONDLY")
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_UNSUPPORTED = ("BYSECOND", "BYWEEKNO", "BYYEARDAY", "BYSETPOS")

# Allowed integer ranges of each numeric part; zero is never allowed where a sign is.
_RANGES = {
    "INTERVAL": (1, 1000, False),
    "COUNT": (1, MAX_OCCURRENCES, False),
    "BYMONTH": (1, 12, False),
    "BYMONTHDAY": (1, 31, True),
    "BYHOUR": (0, 23, False),
    "BYMINUTE": (0, 59, False),
}
_UNTIL = re.compile(r"^(\d{8})(?:T(\d{6})(Z?))?$")
_BYDAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")


def _invalid(message_vi: str, message_en: str) -> RecurrenceInvalid:
    return RecurrenceInvalid(
        f"Quy tắc lặp không hợp lệ: {message_vi}", f"invalid RRULE: {message_en}"
    )


def validate_rrule(text: str) -> str:
    """Check an RRULE and return it normalised (upper case, no ``RRULE:`` prefix).

    Raises :class:`RecurrenceInvalid` with a message in Vietnamese and English.
    """
    return ";".join(f"{name}={value}" for name, value in _checked_parts(text).items())


def _checked_parts(text: str) -> dict[str, str]:
    parts = _split(text)
    freq = parts.get("FREQ")
    if freq is None:
        raise _invalid("thiếu FREQ (vd. FREQ=WEEKLY).", "FREQ is required")
    if freq in _TOO_FREQUENT:
        raise _invalid(
            f"FREQ={freq} lặp theo giờ, phút hoặc giây, không hợp với chiến dịch; "
            "hãy dùng DAILY, WEEKLY, MONTHLY hoặc YEARLY.",
            f"FREQ={freq} is too frequent for a campaign",
        )
    if freq not in FREQUENCIES:
        raise _invalid(f"FREQ={freq} không tồn tại.", f"unknown FREQ {freq!r}")
    if "COUNT" in parts and "UNTIL" in parts:
        raise _invalid("không dùng COUNT cùng với UNTIL.", "COUNT and UNTIL are exclusive")
    numbers = {name: _numbers(name, value) for name, value in parts.items() if name in _RANGES}
    if "UNTIL" in parts:
        _until_local(parts["UNTIL"])
    for item in filter(None, parts.get("BYDAY", "").split(",")):
        _check_weekday(item, freq)
    if "WKST" in parts and parts["WKST"] not in _WEEKDAYS:
        raise _invalid(f"WKST={parts['WKST']} không phải thứ trong tuần.", "bad WKST")
    _refuse_impossible(numbers)
    # UNTIL is checked above; dateutil would compare a UTC one with our naive start.
    rest = ";".join(f"{n}={v}" for n, v in parts.items() if n != "UNTIL")
    try:
        rrulestr(rest, dtstart=datetime(2000, 1, 1))
    except ValueError as exc:
        raise _invalid(str(exc), str(exc)) from exc
    return parts


def expand_rrule(
    rule: str,
    start: date | datetime,
    end: date | datetime,
    *,
    at: time = time(0, 0),
    limit: int = MAX_OCCURRENCES,
) -> list[datetime]:
    """The occurrences of ``rule`` from ``start`` to ``end`` inclusive, as aware UTC datetimes.

    Dates mean whole local days; ``at`` is the local time of day used when the
    rule has no BYHOUR/BYMINUTE. More than ``limit`` occurrences is an error, not
    a silent cut: a campaign that would send 800 reminders needs a different rule.
    """
    parts = _checked_parts(rule)
    first = _local_naive(start, at)
    last = _local_naive(end, time.max)
    if last < first:
        raise _invalid("ngày kết thúc trước ngày bắt đầu.", "end is before start")
    # The campaign's end becomes the rule's UNTIL; dateutil deprecates COUNT together
    # with UNTIL, so a COUNT is applied while iterating.
    count = int(parts.pop("COUNT")) if "COUNT" in parts else None
    until = min(_until_local(parts.pop("UNTIL")), last) if "UNTIL" in parts else last
    parsed = rrulestr(";".join(f"{name}={value}" for name, value in parts.items()), dtstart=first)
    assert isinstance(parsed, rrule)
    occurrences: list[datetime] = []
    for occurrence in parsed.replace(until=until):
        if count is not None and len(occurrences) >= count:
            break
        if len(occurrences) >= limit:
            raise RecurrenceInvalid(
                f"Quy tắc lặp sinh quá {limit} lần trong thời gian chiến dịch.",
                f"RRULE yields more than {limit} occurrences in the campaign",
            )
        occurrences.append(occurrence.replace(tzinfo=LOCAL_TZ).astimezone(UTC))
    return occurrences


def _split(text: str) -> dict[str, str]:
    if not isinstance(text, str) or not text.strip():
        raise _invalid("quy tắc trống.", "empty rule")
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[len("RRULE:") :]
    if "\n" in body or ":" in body:
        raise _invalid(
            "chỉ ghi một dòng RRULE, không kèm DTSTART hay EXDATE.", "one RRULE line only"
        )
    parts: dict[str, str] = {}
    for item in body.upper().split(";"):
        name, sep, value = item.strip().partition("=")
        if not sep or not name or not value:
            raise _invalid(f"“{item}” phải có dạng TÊN=GIÁ_TRỊ.", f"{item!r} is not NAME=VALUE")
        if name in parts:
            raise _invalid(f"{name} xuất hiện hai lần.", f"{name} given twice")
        if name in _UNSUPPORTED:
            raise _invalid(f"{name} không được hỗ trợ.", f"{name} is not supported")
        if name not in (*_RANGES, "FREQ", "UNTIL", "BYDAY", "WKST"):
            raise _invalid(f"không có thành phần {name}.", f"unknown part {name}")
        parts[name] = value.strip()
    return parts


def _numbers(name: str, value: str) -> list[int]:
    low, high, signed = _RANGES[name]
    items = value.split(",") if name.startswith("BY") else [value]
    numbers = []
    for item in items:
        try:
            number = int(item)
        except ValueError:
            raise _invalid(
                f"{name}={value}: “{item}” không phải số.", f"{name} not a number"
            ) from None
        magnitude = abs(number) if signed else number
        if not low <= magnitude <= high:
            span = f"±{low}…{high}" if signed else f"{low}…{high}"
            raise _invalid(f"{name}={item} nằm ngoài {span}.", f"{name}={item} out of range")
        numbers.append(number)
    return numbers


def _check_weekday(item: str, freq: str) -> None:
    match = _BYDAY.match(item)
    if match is None:
        raise _invalid(f"BYDAY “{item}” không phải thứ (MO…SU).", f"bad BYDAY {item!r}")
    ordinal = int(match[1]) if match[1] else None
    if ordinal is not None:
        limit = {"MONTHLY": 5, "YEARLY": 53}.get(freq)
        if limit is None:
            raise _invalid(
                f"BYDAY={item}: số thứ tự chỉ dùng với MONTHLY hoặc YEARLY.",
                "BYDAY ordinals need MONTHLY or YEARLY",
            )
        if ordinal == 0 or abs(ordinal) > limit:
            raise _invalid(f"BYDAY={item}: số thứ tự nằm ngoài ±1…{limit}.", "BYDAY ordinal range")


def _refuse_impossible(numbers: dict[str, list[int]]) -> None:
    months = numbers.get("BYMONTH") or list(range(1, 13))
    monthdays = numbers.get("BYMONTHDAY")
    if monthdays:
        # February counted with 29 days: a leap year comes within four years.
        longest = max(calendar.monthrange(2024, month)[1] for month in months)
        if all(abs(day) > longest for day in monthdays):
            raise _invalid(
                "ngày trong tháng (BYMONTHDAY) không có trong các tháng đã chọn.",
                "BYMONTHDAY never occurs in BYMONTH",
            )


def _until_local(value: str) -> datetime:
    """UNTIL as naive local time: a UTC time is converted, a bare date means the day's end."""
    match = _UNTIL.match(value)
    if match is None:
        raise _invalid(f"UNTIL={value} phải có dạng YYYYMMDD hoặc YYYYMMDDTHHMMSSZ.", "bad UNTIL")
    try:
        day = datetime.strptime(match[1], "%Y%m%d")
        if match[2] is None:
            local = day + timedelta(days=1, microseconds=-1)
        else:
            clock = datetime.strptime(match[2], "%H%M%S").time()
            local = datetime.combine(day.date(), clock)
            if match[3]:
                local = local.replace(tzinfo=UTC).astimezone(LOCAL_TZ).replace(tzinfo=None)
    except ValueError:
        raise _invalid(f"UNTIL={value} không phải ngày giờ có thật.", "bad UNTIL") from None
    return local


def _local_naive(value: date | datetime, at: time) -> datetime:
    if isinstance(value, datetime):
        return to_local(value).replace(tzinfo=None)
    return datetime.combine(value, at)
