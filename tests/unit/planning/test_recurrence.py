"""Recurring reminders: RRULE expansion in local time and refusal of bad rules."""

from __future__ import annotations

import time as clock
from datetime import UTC, date, datetime, time

import pytest

from publisher.planning.errors import RecurrenceInvalid
from publisher.planning.recurrence import expand_rrule, validate_rrule
from publisher.planning.vietnamese_dates import LOCAL_TZ, format_date_vi
from tests.unit.planning.samples import local

# "Những giọt máu hồng hè" (sample dates for the summer campaign).
SUMMER = (date(2025, 6, 1), date(2025, 8, 31))
SATURDAYS_06 = "FREQ=WEEKLY;BYDAY=SA;BYHOUR=6;BYMINUTE=0"


def test_summer_campaign_weekly_saturday_mornings() -> None:
    occurrences = expand_rrule(SATURDAYS_06, *SUMMER)
    assert [o.astimezone(LOCAL_TZ).strftime("%d/%m %H:%M") for o in occurrences] == [
        "07/06 06:00", "14/06 06:00", "21/06 06:00", "28/06 06:00",
        "05/07 06:00", "12/07 06:00", "19/07 06:00", "26/07 06:00",
        "02/08 06:00", "09/08 06:00", "16/08 06:00", "23/08 06:00", "30/08 06:00",
    ]  # fmt: skip
    # Returned in UTC: 06:00 in Việt Nam (UTC+7, no daylight saving) is 23:00 the day before.
    assert occurrences[0] == datetime(2025, 6, 6, 23, 0, tzinfo=UTC)
    assert all(o.tzinfo is UTC for o in occurrences)
    assert {format_date_vi(o).split(",")[0] for o in occurrences} == {"thứ Bảy"}


def test_bounds_are_inclusive() -> None:
    occurrences = expand_rrule(SATURDAYS_06, date(2025, 6, 7), date(2025, 8, 30))
    assert occurrences[0] == local(2025, 6, 7, 6)
    assert occurrences[-1] == local(2025, 8, 30, 6)
    assert len(occurrences) == 13


def test_aware_datetime_bounds() -> None:
    occurrences = expand_rrule(
        SATURDAYS_06, local(2025, 6, 7, 6, 1), datetime(2025, 6, 20, 23, 0, tzinfo=UTC)
    )
    # 23:00 UTC on 20/06 is 06:00 on 21/06 locally, so that Saturday is included.
    assert occurrences == [local(2025, 6, 14, 6), local(2025, 6, 21, 6)]


def test_time_of_day_defaults_to_at() -> None:
    occurrences = expand_rrule("FREQ=DAILY", date(2025, 6, 1), date(2025, 6, 2), at=time(17, 30))
    assert occurrences == [local(2025, 6, 1, 17, 30), local(2025, 6, 2, 17, 30)]


def test_first_sunday_of_each_month() -> None:
    # "Chủ nhật Đỏ": the first Sunday of every month at 7:00.
    occurrences = expand_rrule("RRULE:freq=monthly;byday=1SU;byhour=7", *SUMMER)
    assert occurrences == [local(2025, 6, 1, 7), local(2025, 7, 6, 7), local(2025, 8, 3, 7)]


def test_count_interval_and_until() -> None:
    every_other = "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA;BYHOUR=6;COUNT=3"
    # Weeks are counted from the campaign's first day, Sunday 01/06, whose week (starting
    # Monday, RFC 5545's default WKST) is the first; Saturday 07/06 falls in the second.
    assert expand_rrule(every_other, *SUMMER) == [
        local(2025, 6, 14, 6),
        local(2025, 6, 28, 6),
        local(2025, 7, 12, 6),
    ]
    # A bare UNTIL date includes that whole local day.
    assert expand_rrule(SATURDAYS_06 + ";UNTIL=20250614", *SUMMER) == [
        local(2025, 6, 7, 6),
        local(2025, 6, 14, 6),
    ]
    # A UTC UNTIL: 23:00Z on 13/06 is 06:00 on 14/06 locally.
    assert expand_rrule(SATURDAYS_06 + ";UNTIL=20250613T230000Z", *SUMMER)[-1] == local(
        2025, 6, 14, 6
    )


def test_the_campaign_end_wins_over_a_later_until() -> None:
    rule = SATURDAYS_06 + ";UNTIL=20261231"
    assert len(expand_rrule(rule, *SUMMER)) == 13


def test_too_many_occurrences_is_an_error_not_a_cut() -> None:
    with pytest.raises(RecurrenceInvalid, match="500"):
        expand_rrule("FREQ=DAILY;BYHOUR=6,17", date(2025, 1, 1), date(2025, 12, 31))
    assert len(expand_rrule("FREQ=DAILY", date(2025, 1, 1), date(2025, 12, 31))) == 365
    with pytest.raises(RecurrenceInvalid):
        expand_rrule(SATURDAYS_06, *SUMMER, limit=10)


def test_end_before_start() -> None:
    with pytest.raises(RecurrenceInvalid, match="end is before start"):
        expand_rrule(SATURDAYS_06, date(2025, 8, 31), date(2025, 6, 1))


def test_validate_normalises() -> None:
    assert validate_rrule(" rrule:freq=weekly;byday=sa ") == "FREQ=WEEKLY;BYDAY=SA"


@pytest.mark.parametrize(
    ("rule", "fragment"),
    [
        ("FREQ=HOURLY", "HOURLY"),
        ("FREQ=MINUTELY;INTERVAL=30", "MINUTELY"),
        ("FREQ=SECONDLY", "SECONDLY"),
        ("BYDAY=SA", "FREQ is required"),
        ("FREQ=FORTNIGHTLY", "unknown FREQ"),
        ("", "empty rule"),
        ("FREQ=WEEKLY;BYDAY=XX", "BYDAY"),
        ("FREQ=WEEKLY;BYDAY=1SA", "ordinals"),
        ("FREQ=MONTHLY;BYDAY=6SU", "ordinal range"),
        ("FREQ=DAILY;BYHOUR=25", "BYHOUR=25 out of range"),
        ("FREQ=DAILY;BYMINUTE=60", "BYMINUTE=60 out of range"),
        ("FREQ=DAILY;BYHOUR=six", "not a number"),
        ("FREQ=WEEKLY;INTERVAL=0", "INTERVAL=0 out of range"),
        ("FREQ=WEEKLY;COUNT=0", "COUNT=0 out of range"),
        ("FREQ=WEEKLY;COUNT=2;UNTIL=20250801", "exclusive"),
        ("FREQ=WEEKLY;FREQ=DAILY", "twice"),
        ("FREQ=WEEKLY;COLOR=RED", "unknown part"),
        ("FREQ=WEEKLY;BYSECOND=0", "not supported"),
        ("FREQ=MONTHLY;BYDAY=SU;BYSETPOS=1", "not supported"),
        ("FREQ=WEEKLY;BYDAY", "NAME=VALUE"),
        ("DTSTART:20250601T060000\nRRULE:FREQ=WEEKLY", "one RRULE line"),
        ("FREQ=WEEKLY;UNTIL=2025-08-31", "bad UNTIL"),
        ("FREQ=WEEKLY;UNTIL=20250231", "bad UNTIL"),
        ("FREQ=WEEKLY;WKST=XY", "WKST"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "never occurs"),
        ("FREQ=DAILY;BYMONTH=4,6;BYMONTHDAY=31", "never occurs"),
        ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY=0 out of range"),
    ],
)
def test_invalid_rules(rule: str, fragment: str) -> None:
    with pytest.raises(RecurrenceInvalid) as caught:
        validate_rrule(rule)
    assert fragment in caught.value.message_en
    assert caught.value.message_vi.startswith("Quy tắc lặp không hợp lệ")


def test_rules_that_can_match_rarely_still_expand_quickly() -> None:
    started = clock.perf_counter()
    # Friday the 13th: possible, so dateutil stops at the first match past the end.
    assert expand_rrule("FREQ=DAILY;BYDAY=FR;BYMONTHDAY=13", *SUMMER) == [
        datetime(2025, 6, 13, tzinfo=LOCAL_TZ)
    ]
    assert clock.perf_counter() - started < 1.0
