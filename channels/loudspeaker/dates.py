"""Dates and clock times spelled out for reading aloud.

Reading rules (tested in tests/unit/loudspeaker):

* ``20/12/2024`` -> "ngày hai mươi tháng mười hai năm hai nghìn không trăm hai
  mươi tư"; the leading "ngày" is dropped when the text already says "ngày";
* days 1 to 10 of a month are read with "mồng" ("ngày mồng năm tháng một");
* months are "tháng một" … "tháng mười hai", April being "tháng tư";
* ``14/6`` is day/month, ``12/2024`` month/year; ``20-22/12/2024`` and
  ``20/12-22/12/2024`` are ranges read "từ ngày … đến ngày …" ("từ" is not
  repeated after "từ", and after "ngày" only the second "ngày" is added);
* ``7h30``, ``07:30`` -> "bảy giờ ba mươi"; ``7h``, ``7h00`` -> "bảy giờ";
  minutes 1 to 9 take "phút" ("bảy giờ năm phút") so they are not heard as a
  fraction of the hour; ``7h00-11h30`` -> "từ bảy giờ đến mười một giờ ba mươi".
"""

from __future__ import annotations

import re

from channels.loudspeaker.abbreviations import at_sentence_start, capitalise
from channels.loudspeaker.numbers import number_to_words

MONTHS = (
    "",
    "một",
    "hai",
    "ba",
    "tư",
    "năm",
    "sáu",
    "bảy",
    "tám",
    "chín",
    "mười",
    "mười một",
    "mười hai",
)

_DASH = r"\s*[-–]\s*"
_DATE = r"(\d{1,2})/(\d{1,2})(?:/(\d{4}))?"
# "20-22/12/2024": a day range sharing month (and year).
_DAY_RANGE = re.compile(rf"(?<![\d/.,])(\d{{1,2}}){_DASH}{_DATE}(?![\d/])")
# "20/12-22/12/2024", "30/12/2024 - 2/1/2025": a range of two full dates.
_DATE_RANGE = re.compile(rf"(?<![\d/.,]){_DATE}{_DASH}{_DATE}(?![\d/])")
# "20/12/2024", "20-12-2024", "20.12.2024", "14/6".
_FULL_DATE = re.compile(r"(?<![\d/.,])(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?![\d/])")
_SHORT_DATE = re.compile(r"(?<![\d/.,])(\d{1,2})/(\d{1,2})(?![\d/]|[.,]\d)")
_MONTH_YEAR = re.compile(r"(?<![\d/.,])(\d{1,2})/(\d{4})(?![\d/])")

_TIME = r"(\d{1,2})(?:[hH](\d{2})?|:(\d{2}))"
_TIME_RANGE = re.compile(
    rf"(?<![\d/.,:])(\d{{1,2}})(?:[hH](\d{{2}})?|:(\d{{2}}))?{_DASH}{_TIME}(?![\w:]|[.,]\d)"
)
_CLOCK = re.compile(rf"(?<![\d/.,:]){_TIME}(?![\w:]|[.,]\d)")

_PREVIOUS_WORD = re.compile(r"(\w+)\s*$")


def previous_word(text: str, position: int) -> str:
    """The word just before ``position``, lower-cased ('' if none)."""
    match = _PREVIOUS_WORD.search(text, max(0, position - 30), position)
    return match.group(1).lower() if match else ""


def _valid_day(day: int, month: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= 31


def day_words(day: int) -> str:
    """The day of the month: "mồng năm", "mười lăm", "hai mươi mốt"."""
    words = number_to_words(day)
    return f"mồng {words}" if day <= 10 else words


def date_words(day: int, month: int, year: int | None, *, with_ngay: bool = True) -> str:
    """Spell a date: (20, 12, 2024) -> "ngày hai mươi tháng mười hai năm hai nghìn…"."""
    words = ("ngày " if with_ngay else "") + day_words(day) + " tháng " + MONTHS[month]
    if year is not None:
        words += " năm " + number_to_words(year)
    return words


def _finish(text: str, start: int, words: str) -> str:
    return capitalise(words) if at_sentence_start(text, start) else words


def _range_prefix(text: str, start: int) -> tuple[str, bool]:
    """What to put before a range ("từ " or nothing) and whether to say the first "ngày"."""
    before = previous_word(text, start)
    if before == "ngày":
        return "", False
    if before == "từ":
        return "", True
    return "từ ", True


def _day_range(match: re.Match[str]) -> str:
    text = match.string
    first, day, month = int(match.group(1)), int(match.group(2)), int(match.group(3))
    year = int(match.group(4)) if match.group(4) else None
    if not (_valid_day(first, month) and _valid_day(day, month)):
        return match.group()
    prefix, say_ngay = _range_prefix(text, match.start())
    words = f"{prefix}{'ngày ' if say_ngay else ''}{day_words(first)} đến " + date_words(
        day, month, year
    )
    return _finish(text, match.start(), words)


def _date_range(match: re.Match[str]) -> str:
    text = match.string
    d1, m1 = int(match.group(1)), int(match.group(2))
    y1 = int(match.group(3)) if match.group(3) else None
    d2, m2 = int(match.group(4)), int(match.group(5))
    y2 = int(match.group(6)) if match.group(6) else None
    if not (_valid_day(d1, m1) and _valid_day(d2, m2)):
        return match.group()
    prefix, say_ngay = _range_prefix(text, match.start())
    words = prefix + date_words(d1, m1, y1, with_ngay=say_ngay) + " đến " + date_words(d2, m2, y2)
    return _finish(text, match.start(), words)


def _full_date(match: re.Match[str]) -> str:
    day, month, year = int(match.group(1)), int(match.group(3)), int(match.group(4))
    if not _valid_day(day, month):
        return match.group()
    with_ngay = previous_word(match.string, match.start()) not in ("ngày", "mồng", "mùng")
    return _finish(match.string, match.start(), date_words(day, month, year, with_ngay=with_ngay))


def _short_date(match: re.Match[str]) -> str:
    day, month = int(match.group(1)), int(match.group(2))
    if not _valid_day(day, month):
        return match.group()
    with_ngay = previous_word(match.string, match.start()) not in ("ngày", "mồng", "mùng")
    return _finish(match.string, match.start(), date_words(day, month, None, with_ngay=with_ngay))


def _month_year(match: re.Match[str]) -> str:
    month, year = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        return match.group()
    say_thang = previous_word(match.string, match.start()) != "tháng"
    words = ("tháng " if say_thang else "") + MONTHS[month] + " năm " + number_to_words(year)
    return _finish(match.string, match.start(), words)


def time_words(hour: int, minute: int) -> str:
    """Spell a clock time: (7, 30) -> "bảy giờ ba mươi", (7, 0) -> "bảy giờ"."""
    words = number_to_words(hour) + " giờ"
    if 0 < minute < 10:
        words += " " + number_to_words(minute) + " phút"
    elif minute:
        words += " " + number_to_words(minute)
    return words


def _minutes(h_minutes: str | None, colon_minutes: str | None) -> int:
    return int(h_minutes or colon_minutes or 0)


def _valid_time(hour: int, minute: int) -> bool:
    return 0 <= hour <= 24 and 0 <= minute <= 59


def _time_range(match: re.Match[str]) -> str:
    text = match.string
    h1, m1 = int(match.group(1)), _minutes(match.group(2), match.group(3))
    h2, m2 = int(match.group(4)), _minutes(match.group(5), match.group(6))
    if not (_valid_time(h1, m1) and _valid_time(h2, m2)):
        return match.group()
    prefix = "" if previous_word(text, match.start()) == "từ" else "từ "
    words = f"{prefix}{time_words(h1, m1)} đến {time_words(h2, m2)}"
    return _finish(text, match.start(), words)


def _clock(match: re.Match[str]) -> str:
    hour, minute = int(match.group(1)), _minutes(match.group(2), match.group(3))
    if not _valid_time(hour, minute):
        return match.group()
    return _finish(match.string, match.start(), time_words(hour, minute))


def spell_dates(text: str) -> str:
    """Spell every date, date range and month/year in ``text``."""
    text = _DAY_RANGE.sub(_day_range, text)
    text = _DATE_RANGE.sub(_date_range, text)
    text = _FULL_DATE.sub(_full_date, text)
    text = _MONTH_YEAR.sub(_month_year, text)
    return _SHORT_DATE.sub(_short_date, text)


def spell_times(text: str) -> str:
    """Spell every clock time and time range in ``text``."""
    text = _TIME_RANGE.sub(_time_range, text)
    return _CLOCK.sub(_clock, text)
