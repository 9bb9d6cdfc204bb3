"""Vietnamese date, time and number formatting."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, time

import pytest

from publisher.planning.vietnamese_dates import (
    format_date_vi,
    format_datetime_vi,
    format_number_vi,
    format_time_range_vi,
    format_time_vi,
    local_to_utc,
)
from tests.unit.planning.samples import local


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2024, 12, 16), "thứ Hai, ngày 16/12/2024"),
        (date(2024, 12, 17), "thứ Ba, ngày 17/12/2024"),
        (date(2024, 12, 18), "thứ Tư, ngày 18/12/2024"),
        (date(2024, 12, 19), "thứ Năm, ngày 19/12/2024"),
        (date(2024, 12, 20), "thứ Sáu, ngày 20/12/2024"),
        (date(2024, 12, 21), "thứ Bảy, ngày 21/12/2024"),
        (date(2024, 12, 22), "Chủ nhật, ngày 22/12/2024"),
        (date(2025, 4, 7), "thứ Hai, ngày 07/04/2025"),
        (date(2025, 11, 28), "thứ Sáu, ngày 28/11/2025"),
    ],
)
def test_format_date_names_the_weekday(day: date, expected: str) -> None:
    assert format_date_vi(day) == expected
    assert unicodedata.is_normalized("NFC", format_date_vi(day))


def test_format_date_uses_the_local_day_of_an_aware_datetime() -> None:
    # 20:00 UTC on the 19th is 03:00 on the 20th in Việt Nam.
    assert format_date_vi(datetime(2024, 12, 19, 20, 0, tzinfo=UTC)) == "thứ Sáu, ngày 20/12/2024"


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        format_date_vi(datetime(2024, 12, 20, 7, 30))
    with pytest.raises(ValueError, match="timezone-aware"):
        format_time_vi(datetime(2024, 12, 20, 7, 30))


@pytest.mark.parametrize(
    ("clock", "expected"),
    [(time(7, 30), "7h30"), (time(7, 0), "7h"), (time(17, 5), "17h05"), (time(0, 0), "0h")],
)
def test_format_time(clock: time, expected: str) -> None:
    assert format_time_vi(clock) == expected


def test_format_time_of_an_aware_datetime_is_local() -> None:
    assert format_time_vi(datetime(2024, 12, 20, 0, 30, tzinfo=UTC)) == "7h30"


def test_format_time_range() -> None:
    assert format_time_range_vi(time(7, 30), time(11, 30)) == "từ 7h30 đến 11h30"
    assert format_time_range_vi(local(2024, 12, 20, 7), local(2024, 12, 20, 11, 30)) == (
        "từ 7h đến 11h30"
    )
    assert format_time_range_vi(time(7, 30), None) == "7h30"


def test_format_time_range_over_two_days_names_both_days() -> None:
    assert format_time_range_vi(local(2024, 12, 20, 19), local(2024, 12, 21, 8)) == (
        "từ 19h thứ Sáu, ngày 20/12/2024 đến 8h thứ Bảy, ngày 21/12/2024"
    )


def test_format_datetime_and_numbers() -> None:
    assert format_datetime_vi(local(2024, 12, 13, 9)) == "9h, thứ Sáu, ngày 13/12/2024"
    assert format_number_vi(350) == "350"
    assert format_number_vi(1200) == "1.200"


def test_local_to_utc_is_seven_hours_behind() -> None:
    assert local_to_utc(date(2025, 6, 7), time(6, 0)) == datetime(2025, 6, 6, 23, 0, tzinfo=UTC)
