"""One module for time: the local zone, ISO 8601 with Z, and the Vietnamese names."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from publisher import times
from publisher.planning import vietnamese_dates
from publisher.ui import formatting


def test_sunday_is_written_chu_nhat_everywhere():
    sunday = date(2025, 1, 12)
    assert sunday.weekday() == 6
    assert times.weekday_heading(sunday) == "Chủ nhật"
    assert formatting.weekday_name(sunday) == "Chủ nhật"
    assert times.format_date_vi(sunday) == "Chủ nhật, ngày 12/01/2025"
    assert times.weekday_heading(date(2025, 1, 10)) == "Thứ Sáu"
    assert times.format_date_vi(date(2025, 1, 10)) == "thứ Sáu, ngày 10/01/2025"


def test_the_local_day_not_the_utc_day():
    # 18:30 UTC on Saturday 11 January is 01:30 on Sunday in Lai Châu.
    moment = datetime(2025, 1, 11, 18, 30, tzinfo=UTC)
    assert times.weekday_heading(moment) == "Chủ nhật"
    assert formatting.local_datetime(moment) == "12/01/2025 01:30"


def test_iso_with_z():
    plus_seven = timezone(timedelta(hours=7))
    assert times.iso_z(datetime(2025, 1, 12, 7, 30, tzinfo=plus_seven)) == "2025-01-12T00:30:00Z"
    assert times.iso_z(date(2025, 1, 12)) == "2025-01-12"
    assert times.iso_z(None) is None


def test_one_table_and_one_zone():
    assert vietnamese_dates.WEEKDAYS_VI is times.WEEKDAYS_VI
    assert vietnamese_dates.LOCAL_TZ is times.LOCAL_TZ
    assert times.MONTHS_VI[0] == "tháng 1" and times.MONTHS_VI[11] == "tháng 12"
